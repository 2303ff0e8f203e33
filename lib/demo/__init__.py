"""Deterministic synthetic institute with planted, documented effects (docs/demo-data.md)."""
