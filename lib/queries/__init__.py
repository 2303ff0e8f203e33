"""Portable SQLAlchemy Core queries that aggregate in the database and return small frames.

Every function takes an ``Engine`` first and the user's :class:`~lib.filters.Filters`;
none of them imports Streamlit, so each is tested directly on SQLite and PostgreSQL.
"""
