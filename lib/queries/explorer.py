"""The analyst's explorer: one catalog metric, grouped by up to two dimensions, in SQL."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Engine, FromClause, Table, func, literal, select

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
from lib.filters import Filters, add_months, months_between
from lib.metrics import DIMENSIONS, INDICATORS, Indicator, Kind

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


def _grouping(t: Table, dims: tuple[str, ...]) -> tuple[list, list, FromClause]:
    """GROUP BY expressions, selected columns and FROM clause for ``dims`` on rollup ``t``:
    each dimension's code and, for a coded dimension, its catalog name as ``<dim>_label``."""
    group: list[ColumnElement[Any]] = []
    cols: list[ColumnElement[Any]] = []
    src: FromClause = t
    for d in dims:
        code = t.c[DIMENSIONS[d][1]]
        group.append(code)
        cols.append(code.label(d))
        if d in LABELS:
            cat = LABELS[d].alias(f"cat_{d}")
            src = src.outerjoin(cat, cat.c.id == code)
            group.append(cat.c.name)
            cols.append(cat.c.name.label(f"{d}_label"))
    return group, cols, src


def explore(engine: Engine, f: Filters, metric: str, dims: tuple[str, ...] = ()) -> pd.DataFrame:
    """Columns: for each dimension its code and ``<dim>_label``; ``numerator``,
    ``denominator`` and ``value`` (scale × Σ numerator / Σ denominator)."""
    m = INDICATORS[metric]
    t = m.table
    dims = tuple(d for d in dims if d in m.dimensions)[:MAX_DIMENSIONS]
    if m.quantile is not None:
        return _explore_quantile(engine, f, m, dims)
    num = func.sum(m.numerator_sql(t))
    den: ColumnElement[Any]
    if m.stock:
        den = func.count(func.distinct(t.c.month))
    elif m.denominator is not None:
        den = func.sum(m.denominator_sql(t))
    else:
        den = literal(1)
    group, cols, src = _grouping(t, dims)
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


def _explore_quantile(
    engine: Engine, f: Filters, m: Indicator, dims: tuple[str, ...]
) -> pd.DataFrame:
    """A quantile metric: the weights per group and stored value (a few hundred per group),
    then the nearest-rank quantile of each group; ``numerator`` = the quantile, ``denominator``
    = the weight (e.g. answered contacts)."""
    from lib.analysis.queue import weighted_quantile

    assert m.quantile is not None and m.value_column is not None  # a quantile metric names both
    t = m.table
    value = t.c[m.value_column]
    group, cols, src = _grouping(t, dims)
    q = (
        select(*cols, value.label("_value"), func.sum(m.numerator_sql(t)).label("_weight"))
        .select_from(src)
        .where(*f.conditions(t))
        .group_by(*group, value)
        .order_by(*group, value)
    )
    with engine.connect() as conn:
        raw = pd.DataFrame(conn.execute(q).mappings().all())
    columns = [c for d in dims for c in ([d, f"{d}_label"] if d in LABELS else [d])]
    if raw.empty:
        return pd.DataFrame(columns=[*columns, "numerator", "denominator", "value"])
    rows = []
    groups = raw.groupby(columns, sort=True, dropna=False) if columns else [((), raw)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        weight = float(g["_weight"].sum())
        qv = weighted_quantile(g["_value"].to_numpy(), g["_weight"].to_numpy(), m.quantile)
        rows.append(
            {**dict(zip(columns, key, strict=True)), "numerator": qv, "denominator": weight}
        )
    df = pd.DataFrame(rows, columns=[*columns, "numerator", "denominator"])
    df["value"] = df["numerator"].astype(float)
    if "month" in df:
        df["month"] = pd.to_datetime(df["month"]).dt.date
    return df


def change_unit(m: Indicator) -> str:
    """How a change of ``m`` is shown: pp for a percentage, points for NPS, relative % else."""
    if m.kind is Kind.SHARE:
        return "pp"
    return "pts" if m.kind is Kind.NPS else "%"


def explore_compared(
    engine: Engine, f: Filters, comparison: Filters, metric: str, dims: tuple[str, ...] = ()
) -> pd.DataFrame:
    """``explore`` for ``f`` with, for each row, the same row in ``comparison`` (its months
    moved onto ``f``'s, so a month is compared with the month that many months earlier):
    ``previous`` and ``change`` (``change_unit``: value − previous in pp or NPS points, else
    100 × (value − previous) / previous, missing when previous is 0). A group present in one
    period only has the other's value missing, except for a plain sum (a count, pesos), where
    it is 0 when that period has any rows at all; a quantile (median or P90 wait) of a group
    with no rows is missing, never 0."""
    m = INDICATORS[metric]
    current = explore(engine, f, metric, dims)
    before = explore(engine, comparison, metric, dims)
    keys = [c for c in current.columns if c not in ("numerator", "denominator", "value")]
    codes = [d for d in keys if not d.endswith("_label")]
    if "month" in before and len(before):
        shift = months_between(comparison.start, f.start) - 1
        before["month"] = [add_months(mo, shift) for mo in before["month"]]
    before = before.rename(columns={"value": "previous"})
    if codes:
        labels = [k for k in keys if k.endswith("_label")]
        out = current.merge(
            before.drop(columns=["numerator", "denominator", *labels]), on=codes, how="outer"
        )
        for lab in labels:  # a group only in the comparison keeps its label
            missing = out[lab].isna()
            if missing.any():
                fill = before.set_index(codes)[lab]
                out.loc[missing, lab] = [
                    fill.get(tuple(r) if len(codes) > 1 else r[0])
                    for r in out.loc[missing, codes].itertuples(index=False)
                ]
        out = out.sort_values(codes).reset_index(drop=True)
    else:
        out = current.copy()
        out["previous"] = before["previous"].iloc[0] if len(before) else float("nan")
    if m.denominator is None and not m.stock and m.quantile is None:
        # a plain sum: a group with no rows in a period that has rows counted zero there
        if len(current):
            out["value"] = out["value"].fillna(0.0)
        if len(before):
            out["previous"] = out["previous"].fillna(0.0)
    value = out["value"].astype(float)
    previous = out["previous"].astype(float)
    if change_unit(m) == "%":
        out["change"] = 100 * (value - previous) / previous.where(previous != 0)
    else:
        out["change"] = value - previous
    out["change_unit"] = change_unit(m)
    return out
