"""Write a contract table out as a file the importer accepts (round trips and examples).

Patron and campaign ids become registros patronales and campaign codes, as in the
institute's own exports; derived columns (date buckets, days to close) are left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Engine, FromClause, select

from lib.db.schema import Base
from lib.ingest.contract import SPECS


def export_query(table: str, limit: int | None = None):
    spec = SPECS[table]
    t = Base.metadata.tables[table]
    cols: list[ColumnElement[Any]] = []
    joins: FromClause = t
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


def _spanish(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """Headers and cells as an analyst's Excel export has them: Spanish headers (the first
    alias), dd/mm/aaaa dates, mm/aaaa months, decimal comma, «sí»/«no»."""
    out = pd.DataFrame(index=df.index)
    for col in SPECS[table].columns:
        if col.name not in df:
            continue
        v = df[col.name]
        if col.kind == "date":
            v = pd.to_datetime(v).dt.strftime("%d/%m/%Y")
        elif col.kind == "datetime":
            v = pd.to_datetime(v).dt.strftime("%d/%m/%Y %H:%M:%S")
        elif col.kind == "month":
            v = pd.to_datetime(v).dt.strftime("%m/%Y")
        elif col.kind == "float":
            v = v.map(lambda x: "" if pd.isna(x) else f"{x:.2f}".replace(".", ","))
        elif col.kind == "bool":
            v = v.map(lambda x: "" if x is None or pd.isna(x) else ("sí" if x else "no"))
        elif col.kind == "int":
            v = v.astype("Int64")
        out[col.aliases[0] if col.aliases else col.name] = v
    return out


def write_examples(engine: Engine, folder: str | Path, patrons: int = 12) -> dict[str, int]:
    """One small example file per contract table, taken from a demo database, that imports
    cleanly into an empty database in the order of IMPORT_ORDER (data/examples/)."""
    from lib.ingest.contract import IMPORT_ORDER

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with engine.connect() as conn:
        full = {t: pd.read_sql(export_query(t), conn) for t in IMPORT_ORDER}
    keep = set(full["patron"]["registro_patronal"].head(patrons))
    frames = dict(full)
    frames["patron"] = full["patron"][full["patron"]["registro_patronal"].isin(keep)]
    it = full["interaction"]
    frames["interaction"] = it[it["registro_patronal"].isin(keep)].head(40)
    sr = full["survey_response"]
    frames["survey_response"] = sr[sr["interaction_id"].isin(frames["interaction"]["id"])]
    cp = full["complaint"]
    frames["complaint"] = cp[cp["registro_patronal"].isna() | cp["registro_patronal"].isin(keep)]
    frames["complaint"] = frames["complaint"].head(12)
    for t in ("campaign_assignment", "collection_monthly", "orientation"):
        df = full[t]
        frames[t] = df[df["registro_patronal"].isin(keep)].head(36)
    frames["orientation"] = frames["orientation"].assign(model_run_id=pd.NA)
    counts = {}
    for t in IMPORT_ORDER:
        path = folder / f"{t}.csv"
        _spanish(t, frames[t]).to_csv(path, sep=";", index=False, encoding="utf-8-sig")
        counts[t] = len(frames[t])
    return counts
