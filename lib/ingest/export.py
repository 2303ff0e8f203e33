"""Write a contract table out as a file the importer accepts (round trips and examples).

Patron and campaign ids become registros patronales and campaign codes, as in the
institute's own exports; derived columns (date buckets, days to close) are left out.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from lib.db.schema import Base
from lib.ingest.contract import SPECS


def export_query(table: str, limit: int | None = None):  # noqa: ANN201
    spec = SPECS[table]
    t = Base.metadata.tables[table]
    cols = []
    joins = t
    for c in spec.columns:
        if c.lookup:
            tcol, ref_name, ref_key = c.lookup
            ref = Base.metadata.tables[ref_name].alias(f"ref_{c.name}")
            joins = joins.outerjoin(ref, ref.c.id == t.c[tcol])
            cols.append(ref.c[ref_key].label(c.name))
        else:
            cols.append(t.c[c.name])
    pk = list(t.primary_key.columns)
    q = select(*cols).select_from(joins).order_by(*pk)
    return q.limit(limit) if limit else q


def export_table(
    engine: Engine, table: str, path: str | Path, limit: int | None = None, chunk: int = 100_000
) -> int:
    """Stream ``table`` to a UTF-8 CSV at ``path``; returns the rows written."""
    n = 0
    with engine.connect() as conn, open(path, "w", encoding="utf-8", newline="") as out:
        for i, df in enumerate(pd.read_sql(export_query(table, limit), conn, chunksize=chunk)):
            for col in SPECS[table].columns:
                if col.kind == "bool" and col.name in df:
                    df[col.name] = df[col.name].map(
                        lambda v: "" if v is None or pd.isna(v) else str(int(bool(v)))
                    )
            df.to_csv(out, index=False, header=(i == 0))
            n += len(df)
        if n == 0:
            out.write(",".join(c.name for c in SPECS[table].columns) + "\n")
    return n
