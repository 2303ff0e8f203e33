"""The analyst's explorer: one catalog metric, grouped by up to two dimensions, in SQL."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, literal, select

from lib.db.schema import (
    Channel,
    ComplaintCategory,
    ComplaintKind,
    EconomicDivision,
    Ooad,
    Procedure,
    SizeBand,
    Subdelegacion,
)
from lib.filters import Filters
from lib.metrics import CATALOG, DIMENSIONS

# dimension → catalog table whose ``name`` labels the rollup's code
LABELS = {
    "ooad": Ooad.__table__,
    "subdelegacion": Subdelegacion.__table__,
    "channel": Channel.__table__,
    "procedure": Procedure.__table__,
    "size_band": SizeBand.__table__,
    "economic_division": EconomicDivision.__table__,
    "kind": ComplaintKind.__table__,
    "category": ComplaintCategory.__table__,
}
MAX_DIMENSIONS = 2


def explore(engine: Engine, f: Filters, metric: str, dims: tuple[str, ...] = ()) -> pd.DataFrame:
    """Columns: for each dimension its code and ``<dim>_label``; ``numerator``,
    ``denominator`` and ``value`` (scale × Σ numerator / Σ denominator)."""
    m = CATALOG[metric]
    t = m.table
    dims = tuple(d for d in dims if d in m.dimensions)[:MAX_DIMENSIONS]
    num = func.sum(m.numerator(t))
    if m.stock:
        den = func.count(func.distinct(t.c.month))
    elif m.denominator is not None:
        den = func.sum(m.denominator(t))
    else:
        den = literal(1)
    group, cols, src = [], [], t
    for d in dims:
        code = t.c[DIMENSIONS[d][1]]
        group.append(code)
        cols.append(code.label(d))
        if d in LABELS:
            cat = LABELS[d].alias(f"cat_{d}")
            src = src.outerjoin(cat, cat.c.id == code)
            group.append(cat.c.name)
            cols.append(cat.c.name.label(f"{d}_label"))
    q = (
        select(*cols, num.label("numerator"), den.label("denominator"))
        .select_from(src)
        .where(*f.conditions(t))
        .group_by(*group)
        .order_by(*group)
    )
    with engine.connect() as conn:
        df = pd.DataFrame(conn.execute(q).mappings().all())
    columns = [c for d in dims for c in ([d, f"{d}_label"] if d in LABELS else [d])]
    if df.empty:
        return pd.DataFrame(columns=[*columns, "numerator", "denominator", "value"])
    for d in dims:
        if d in LABELS:
            fallback = {"category": "Sin categoría", "size_band": "Sin patrón identificado"}
            df[f"{d}_label"] = df[f"{d}_label"].fillna(fallback.get(d, "—"))
    num_v = df["numerator"].astype(float)
    den_v = df["denominator"].astype(float)
    df["value"] = (m.scale * num_v / den_v.where(den_v != 0)).astype(float)
    if "month" in df:
        df["month"] = pd.to_datetime(df["month"]).dt.date
    return df
