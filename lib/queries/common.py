"""The two helpers every query module uses."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func


def read_frame(engine: Engine, query) -> pd.DataFrame:  # noqa: ANN001
    """Run a select on its own short-lived connection and return its rows."""
    with engine.connect() as conn:
        return pd.read_sql(query, conn)


def total(col, label: str):  # noqa: ANN001, ANN201
    """SUM that is 0, not NULL, when no row matches."""
    return func.coalesce(func.sum(col), 0).label(label)
