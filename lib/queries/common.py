"""The two helpers every query module uses."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, Engine, func


def read_frame(engine: Engine | Connection, query) -> pd.DataFrame:
    """Run a select on its own short-lived connection and return its rows; given a
    connection, on it (the refresh computes campaign results inside its transaction)."""
    if isinstance(engine, Connection):
        return pd.read_sql(query, engine)
    with engine.connect() as conn:
        return pd.read_sql(query, conn)


def total(col, label: str):
    """SUM that is 0, not NULL, when no row matches."""
    return func.coalesce(func.sum(col), 0).label(label)
