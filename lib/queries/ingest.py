"""Loads recorded in import_load: the latest per table, and the recent ones."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, select

from lib.db.schema import ImportLoad

T = ImportLoad.__table__
COLUMNS = [
    "id",
    "table_name",
    "started_at",
    "finished_at",
    "username",
    "file_name",
    "status",
    "rows_read",
    "rows_inserted",
    "rows_updated",
    "rows_rejected",
]


def _frame(engine: Engine, q) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(q).mappings().all(), columns=COLUMNS)


def latest_loads(engine: Engine) -> pd.DataFrame:
    """The latest accepted load of each table."""
    last = (
        select(T.c.table_name, func.max(T.c.id).label("last_id"))
        .where(T.c.status == "cargado")
        .group_by(T.c.table_name)
        .subquery()
    )
    q = select(*[T.c[c] for c in COLUMNS]).join(last, last.c.last_id == T.c.id)
    return _frame(engine, q)


def recent_loads(engine: Engine, limit: int = 20) -> pd.DataFrame:
    """The latest loads of any status, newest first."""
    q = select(*[T.c[c] for c in COLUMNS]).order_by(T.c.id.desc()).limit(limit)
    return _frame(engine, q)
