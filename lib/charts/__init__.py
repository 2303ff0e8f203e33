"""Plotly figure builders: one function per chart kind, one house theme."""
