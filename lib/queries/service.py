"""Service evaluation: survey sums by any dimension, daily sums for before/after, the
sufficient statistics of the drivers regression, and a sample of comments."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Engine, and_, case, func, select

from lib.db.schema import (
    AggInteractionMonth,
    AggInteractionUnitMonth,
    AggSurveyDay,
    AggSurveyMonth,
    AggSurveyUnitMonth,
    Channel,
    Interaction,
    Ooad,
    Patron,
    Procedure,
    Subdelegacion,
    SurveyResponse,
)
from lib.filters import Filters
from lib.queries.common import read_frame, total

# coarse rollups (no procedure dimension) unless the breakdown is by procedure
SM = AggSurveyUnitMonth.__table__
SMP = AggSurveyMonth.__table__
SD = AggSurveyDay.__table__
IM = AggInteractionUnitMonth.__table__
IMP = AggInteractionMonth.__table__
SR = SurveyResponse.__table__
DIMENSIONS = ("channel", "ooad", "subdelegacion", "procedure", "month")
DRIVER_COLUMNS = ("courtesy", "clarity", "timeliness", "solution")


def _survey_sums(t) -> list:
    return [
        total(t.c.responses, "responses"),
        total(t.c.csat_sum, "csat_sum"),
        total(t.c.csat_sq_sum, "csat_sq_sum"),
        total(t.c.csat_satisfied, "csat_satisfied"),
        total(t.c.nps_promoters, "nps_promoters"),
        total(t.c.nps_detractors, "nps_detractors"),
    ]


def scores_by(engine: Engine, f: Filters, dimension: str) -> pd.DataFrame:
    """Survey sums and contacts (for the response rate) per value of ``dimension``.

    Columns: key, label, responses, csat_sum, csat_sq_sum, csat_satisfied, nps_promoters,
    nps_detractors, effort_sum, effort_sq_sum, contacts.
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"Dimensión desconocida: {dimension}")
    names = {
        "channel": (Channel.__table__, "channel_id"),
        "ooad": (Ooad.__table__, "ooad_id"),
        "subdelegacion": (Subdelegacion.__table__, "subdelegacion_id"),
        "procedure": (Procedure.__table__, "procedure_id"),
    }
    sm, im = (SMP, IMP) if dimension == "procedure" else (SM, IM)
    out = []
    for table, extra in (
        (sm, [total(sm.c.effort_sum, "effort_sum"), total(sm.c.effort_sq_sum, "effort_sq_sum")]),
        (im, [total(im.c.contacts, "contacts")]),
    ):
        sums = _survey_sums(sm) + extra if table is sm else extra
        if dimension == "month":
            key = table.c.month
            q = select(key.label("key"), key.label("label"), *sums)
        else:
            cat, col = names[dimension]
            key = table.c[col]
            q = select(key.label("key"), cat.c.name.label("label"), *sums).select_from(
                table.join(cat, cat.c.id == key)
            )
        q = q.where(*f.conditions(table)).group_by(*q.selected_columns[:2])
        out.append(read_frame(engine, q))
    surveys, contacts = out
    merged = surveys.merge(contacts, on=["key", "label"], how="outer").fillna(0)
    if dimension == "month":
        merged["key"] = pd.to_datetime(merged["key"]).dt.date
        merged["label"] = merged["key"]
    return merged.sort_values("key").reset_index(drop=True)


def monthly_by_channel(engine: Engine, f: Filters) -> pd.DataFrame:
    """Responses and satisfied per month and channel, for the control charts."""
    q = (
        select(SM.c.month, SM.c.channel_id, *_survey_sums(SM))
        .where(*f.conditions(SM))
        .group_by(SM.c.month, SM.c.channel_id)
        .order_by(SM.c.channel_id, SM.c.month)
    )
    out = read_frame(engine, q)
    out["month"] = pd.to_datetime(out["month"]).dt.date
    return out


def before_after(engine: Engine, f: Filters, cut: dt.date, days: int) -> pd.DataFrame:
    """Survey sums per channel in the ``days`` before ``cut`` and the ``days`` from it on.

    The period filter is replaced by that window; place, channel and segment still apply.
    """
    start, end = cut - dt.timedelta(days=days), cut + dt.timedelta(days=days)
    period = and_(SD.c.day >= start, SD.c.day < end)
    after = case((SD.c.day >= cut, 1), else_=0)
    q = (
        select(SD.c.channel_id, after.label("after"), *_survey_sums(SD))
        .where(period, *f.conditions(SD, period=False))
        .group_by(SD.c.channel_id, after)
    )
    out = read_frame(engine, q)
    out["after"] = out["after"].astype(bool)
    return out


def _responses(f: Filters):
    """survey_response joined to its office (and patron, for a segment filter) with the
    filter's conditions: the source of the regression moments and the comment sample."""
    IT = Interaction.__table__
    P = Patron.__table__
    S = Subdelegacion.__table__
    src = SR.join(S, S.c.id == SR.c.subdelegacion_id)
    conds = [SR.c.month >= f.start, SR.c.month <= f.end]
    conds += f.place_conditions(S.c.ooad_id, SR.c.subdelegacion_id)
    if f.channel_id is not None:
        conds.append(SR.c.channel_id == f.channel_id)
    if f.size_band_id is not None:
        src = src.join(IT, IT.c.id == SR.c.interaction_id).join(P, P.c.id == IT.c.patron_id)
        conds.append(P.c.size_band_id == f.size_band_id)
    return src, conds


def driver_moments(engine: Engine, f: Filters) -> pd.DataFrame:
    """n, sums and cross-product sums of (1, courtesy, clarity, timeliness, solution, csat):
    everything a linear regression of CSAT on the four dimensions needs, computed in SQL.
    One row; columns ``n``, ``s_<x>`` and ``p_<x>_<y>``."""
    cols = {name: SR.c[name] for name in (*DRIVER_COLUMNS, "csat")}
    exprs = [func.count().label("n")]
    names = list(cols)
    for i, a in enumerate(names):
        exprs.append(func.sum(cols[a]).label(f"s_{a}"))
        for b in names[i:]:
            exprs.append(func.sum(cols[a] * cols[b]).label(f"p_{a}_{b}"))
    src, conds = _responses(f)
    return read_frame(engine, select(*exprs).select_from(src).where(*conds))


def comment_sample(engine: Engine, f: Filters, limit: int = 20) -> pd.DataFrame:
    """Recent comments for the selection: channel, office, month, CSAT and text only (no
    patron identifiers ever leave this query)."""
    S = Subdelegacion.__table__
    C = Channel.__table__
    src, conds = _responses(f)
    q = (
        select(
            SR.c.responded_on,
            C.c.name.label("channel"),
            S.c.name.label("subdelegacion"),
            SR.c.csat,
            SR.c.comment,
        )
        .select_from(src.join(C, C.c.id == SR.c.channel_id))
        .where(*conds, SR.c.comment.is_not(None))
        .order_by(SR.c.responded_on.desc(), SR.c.id.desc())
        .limit(limit)
    )
    return read_frame(engine, q)
