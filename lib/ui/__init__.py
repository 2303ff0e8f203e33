"""Shared Streamlit pieces: page setup, filter bar, KPI cards, formatting, downloads."""
