"""Complaints: volumes and rates from the rollups, timeliness and the overdue list from the
complaint table (small: a few per ten thousand contacts), texts for the category model."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
from sqlalchemy import Engine, case, func, select

from lib.db.rollups import complaint_closed
from lib.db.schema import (
    AggComplaintMonth,
    AggInteractionUnitMonth,
    Channel,
    Complaint,
    ComplaintCategory,
    ComplaintKind,
    Ooad,
    Subdelegacion,
)
from lib.filters import Filters
from lib.queries.common import read_frame
from lib.rates import month_range, zero_filled

CM = AggComplaintMonth.__table__
IM = AggInteractionUnitMonth.__table__  # contacts for rates: no procedure needed
C = Complaint.__table__
S = Subdelegacion.__table__
KIND = ComplaintKind.__table__
CAT = ComplaintCategory.__table__
BREAKDOWNS = ("kind", "category", "channel", "ooad", "subdelegacion")


def _fact_conditions(f: Filters, period: bool = True) -> list:
    """Filters on the complaint table itself (place, channel; segment via the rollup only)."""
    out = [C.c.month >= f.start, C.c.month <= f.end] if period else []
    out += f.place_conditions(S.c.ooad_id, C.c.subdelegacion_id)
    if f.channel_id is not None:
        out.append(C.c.channel_id == f.channel_id)
    return out


def volumes(engine: Engine, f: Filters, breakdown: str) -> pd.DataFrame:
    """Complaints received, closed on time and pending per month and value of ``breakdown``,
    with the contacts of the same month and place (for rates per 10,000 contacts).

    One row for every month of the period and every value seen (complaints or, for channel
    and office, contacts), 0 complaints where there were none (``lib.rates.zero_filled``).
    By kind and category the contacts are the month's, the same on every row of the month.
    """
    if breakdown not in BREAKDOWNS:
        raise ValueError(f"Desglose desconocido: {breakdown}")
    spec = {
        "kind": (CM.c.kind_id, KIND, KIND.c.id, None),
        "category": (CM.c.category_id, CAT, CAT.c.id, None),
        "channel": (CM.c.channel_id, Channel.__table__, Channel.__table__.c.id, IM.c.channel_id),
        "ooad": (CM.c.ooad_id, Ooad.__table__, Ooad.__table__.c.id, IM.c.ooad_id),
        "subdelegacion": (CM.c.subdelegacion_id, S, S.c.id, IM.c.subdelegacion_id),
    }
    key, cat, cat_id, contact_key = spec[breakdown]
    q = (
        select(
            CM.c.month,
            key.label("key"),
            func.coalesce(cat.c.name, "Sin categoría").label("label"),
            func.sum(CM.c.received).label("received"),
            func.sum(CM.c.closed_on_time).label("closed_on_time"),
            func.sum(CM.c.pending_not_due).label("pending_not_due"),
        )
        .select_from(CM.outerjoin(cat, cat_id == key))
        .where(*f.conditions(CM))
        .group_by(CM.c.month, key, cat.c.name)
    )
    out = read_frame(engine, q)
    group = [IM.c.month] + ([contact_key.label("key")] if contact_key is not None else [])
    contacts = read_frame(
        engine,
        select(*group, func.sum(IM.c.contacts).label("contacts"))
        .where(*f.conditions(IM))
        .group_by(*group),
    )
    names = read_frame(engine, select(cat_id.label("key"), cat.c.name.label("label")))
    labels = dict(zip(names["key"], names["label"], strict=True))
    # every month of the period and every group (every kind and category of the catalog;
    # every channel or office with contacts or complaints in the selection), with the
    # contacts of each month (and place or channel) even where no complaint was received:
    # a rate's denominator keeps them all
    return zero_filled(
        out,
        contacts,
        month_range(f.start, f.end),
        counts=("received", "closed_on_time", "pending_not_due"),
        keys=list(labels) if contact_key is None else None,
        labels=labels,
    )


def weekly_counts(engine: Engine, f: Filters) -> pd.DataFrame:
    """Complaints received per ISO week (YYYYWW) in the period."""
    q = (
        select(C.c.iso_week, func.count().label("received"))
        .select_from(C.join(S, S.c.id == C.c.subdelegacion_id))
        .where(*_fact_conditions(f))
        .group_by(C.c.iso_week)
        .order_by(C.c.iso_week)
    )
    return read_frame(engine, q)


def office_month_counts(engine: Engine, f: Filters, first: dt.date) -> pd.DataFrame:
    """Complaints and contacts per subdelegación and month from ``first`` to ``f.end``: the
    series the anomaly detector compares each month with."""
    g = replace(f, start=first)
    comp = read_frame(
        engine,
        select(CM.c.subdelegacion_id, CM.c.month, func.sum(CM.c.received).label("received"))
        .where(*g.conditions(CM))
        .group_by(CM.c.subdelegacion_id, CM.c.month),
    )
    cont = read_frame(
        engine,
        select(IM.c.subdelegacion_id, IM.c.month, func.sum(IM.c.contacts).label("contacts"))
        .where(*g.conditions(IM))
        .group_by(IM.c.subdelegacion_id, IM.c.month),
    )
    # months with data anywhere (a month before the data began is no baseline), each office
    # on every one of them, 0 complaints where it had none
    seen = sorted(set(pd.to_datetime(pd.concat([comp["month"], cont["month"]])).dt.date))
    out = zero_filled(comp, cont, seen, key="subdelegacion_id").drop(columns="label")
    names = read_frame(engine, select(S.c.id.label("subdelegacion_id"), S.c.name, S.c.ooad_id))
    return out.merge(names, on="subdelegacion_id")


def timeliness(engine: Engine, f: Filters, as_of: dt.date) -> dict:
    """Closed within the control tier, backlog by age band and days to close."""
    base = C.join(S, S.c.id == C.c.subdelegacion_id)
    conds = _fact_conditions(f)
    bands = [(10, "0-10 días"), (30, "11-30 días"), (60, "31-60 días")]
    age = case(
        *[(C.c.received_on > as_of - dt.timedelta(days=d), label) for d, label in bands],
        else_="más de 60 días",
    )
    backlog = read_frame(
        engine,
        select(age.label("band"), func.count().label("open"))
        .select_from(base)
        .where(*conds, ~complaint_closed(C.c))
        .group_by(age),
    )
    closing = read_frame(
        engine,
        select(C.c.days_to_close, func.count().label("n"))
        .select_from(base)
        .where(*conds, C.c.days_to_close.is_not(None))
        .group_by(C.c.days_to_close)
        .order_by(C.c.days_to_close),
    )
    on_time = read_frame(
        engine,
        select(
            func.sum(case((C.c.closed_on <= C.c.due_on, 1), else_=0)).label("on_time"),
            func.sum(case((complaint_closed(C.c), 1), else_=0)).label("closed"),
            # closed without a closing date: closed, timeliness unknown (docs/data-contract.md)
            func.sum(case((complaint_closed(C.c) & C.c.closed_on.is_(None), 1), else_=0)).label(
                "closed_no_date"
            ),
            func.sum(case((~complaint_closed(C.c) & (C.c.due_on < as_of), 1), else_=0)).label(
                "overdue_open"
            ),
            func.sum(case((~complaint_closed(C.c) & (C.c.due_on >= as_of), 1), else_=0)).label(
                "pending"
            ),
            func.count().label("received"),
        )
        .select_from(base)
        .where(*conds),
    ).iloc[0]
    # the same counts under the semantic layer's measure names, as of ``as_of`` (the rollup's
    # complaints_pending is as of its refresh), for INDICATORS["complaints_on_time"]
    sums = pd.Series(
        {
            "complaints_on_time": on_time["on_time"],
            "complaints": on_time["received"],
            "complaints_pending": on_time["pending"],
            "complaints_no_date": on_time["closed_no_date"],
        },
        dtype=float,
    ).fillna(0.0)
    return {"backlog": backlog, "closing": closing, "summary": on_time, "sums": sums}


def overdue_list(engine: Engine, f: Filters, as_of: dt.date, limit: int = 500) -> pd.DataFrame:
    """Open complaints past their deadline: folio, kind, category, channel, office, dates.
    No patron identifier is selected."""
    q = (
        select(
            C.c.folio,
            KIND.c.name.label("kind"),
            func.coalesce(CAT.c.name, "Sin categoría").label("category"),
            C.c.channel_id,
            S.c.name.label("subdelegacion"),
            C.c.received_on,
            C.c.due_on,
        )
        .select_from(
            C.join(S, S.c.id == C.c.subdelegacion_id)
            .join(KIND, KIND.c.id == C.c.kind_id)
            .outerjoin(CAT, CAT.c.id == C.c.category_id)
        )
        .where(
            *_fact_conditions(f, period=False),
            C.c.month <= f.end,
            ~complaint_closed(C.c),
            C.c.due_on < as_of,
        )
        .order_by(C.c.due_on)
        .limit(limit)
    )
    out = read_frame(engine, q)
    for col in ("received_on", "due_on"):
        out[col] = pd.to_datetime(out[col]).dt.date
    out["days_overdue"] = [(as_of - d).days for d in out["due_on"]]
    return out


def texts(engine: Engine, f: Filters | None = None, limit: int = 20_000) -> pd.DataFrame:
    """Complaint descriptions with their category (None when unlabelled), newest first."""
    q = (
        select(C.c.id, C.c.folio, C.c.month, C.c.category_id, C.c.description)
        .select_from(C.join(S, S.c.id == C.c.subdelegacion_id))
        .where(C.c.description.is_not(None))  # an export may carry no free text
        .order_by(C.c.received_on.desc(), C.c.id.desc())
        .limit(limit)
    )
    if f is not None:
        q = q.where(*_fact_conditions(f))
    out = read_frame(engine, q)
    out["month"] = pd.to_datetime(out["month"]).dt.date
    return out


def categories(engine: Engine) -> tuple[list[int], list[str]]:
    d = read_frame(engine, select(CAT.c.id, CAT.c.name).order_by(CAT.c.id))
    return list(d["id"]), list(d["name"])
