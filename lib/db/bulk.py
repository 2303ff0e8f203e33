"""Fast, transactional bulk loading of DataFrames: COPY on PostgreSQL, executemany on SQLite.

Both paths run inside the caller's transaction, so a failed load leaves nothing behind.
Values are written in the storage format SQLAlchemy itself uses (ISO dates, 0/1 booleans on
SQLite) so rows loaded here read back identically through the ORM and Core.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Date, DateTime, Table


def _prepare(table: Table, df: pd.DataFrame, dialect: str) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    for name in df.columns:
        col = df[name]
        sqltype = table.c[name].type
        if isinstance(sqltype, DateTime):
            out[name] = pd.to_datetime(col).dt.strftime("%Y-%m-%d %H:%M:%S.%f")
        elif isinstance(sqltype, Date):
            out[name] = pd.to_datetime(col).dt.strftime("%Y-%m-%d")
        elif col.dtype == bool:
            out[name] = (
                col.astype(np.int8)
                if dialect == "sqlite"
                else col.map({True: "true", False: "false"})
            )
        else:
            out[name] = col
    return out


def insert_frame(conn: Connection, table: Table, df: pd.DataFrame) -> int:
    """Append ``df`` (columns named as in ``table``) to ``table``; returns rows written."""
    if df.empty:
        return 0
    dialect = conn.dialect.name
    data = _prepare(table, df, dialect)
    cols = ", ".join(f'"{c}"' for c in data.columns)
    if dialect == "postgresql":
        buf = io.StringIO()
        data.to_csv(buf, index=False, header=False, na_rep="")
        raw = conn.connection.driver_connection
        with (
            raw.cursor() as cur,
            cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN WITH (FORMAT csv)') as copy,
        ):
            copy.write(buf.getvalue())
        return len(data)
    marks = ", ".join("?" for _ in data.columns)
    columns = [
        data[c].astype(object).where(data[c].notna(), None).tolist()
        if data[c].isna().any()
        else data[c].tolist()
        for c in data.columns
    ]
    conn.exec_driver_sql(
        f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})', list(zip(*columns, strict=True))
    )
    return len(data)
