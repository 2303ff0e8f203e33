"""Monthly sums behind the executive overview's KPIs, read from the rollups."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
from sqlalchemy import Engine, select

from lib.db.schema import (
    AggCollectionUnitMonth,
    AggComplaintMonth,
    AggInteractionUnitMonth,
    AggSurveyUnitMonth,
    Channel,
)
from lib.filters import Filters
from lib.metrics import MEASURES, Family
from lib.queries.common import total

# the coarse rollups (no procedure / division dimension): nothing here groups by those
IM = AggInteractionUnitMonth.__table__
SM = AggSurveyUnitMonth.__table__
CM = AggComplaintMonth.__table__
COL = AggCollectionUnitMonth.__table__
CH = Channel.__table__

MONTHLY_COLUMNS = [
    "contacts",
    "digital_contacts",
    "resolved_first",
    "resolution_known",
    "responses",
    "csat_sum",
    "csat_satisfied",
    "nps_promoters",
    "nps_detractors",
    "complaints",
    "complaints_on_time",
    "complaints_pending",
    "complaints_no_date",
    "patrons",
    "patrons_on_time",
    "issued",
    "paid_on_time",
]


def _family_query(family: Family, table, f: Filters, group: list):
    """The monthly sums of ``family``'s measures (lib/metrics/measures.py) over its coarse
    rollup ``table``, grouped by ``group``. Collection has no channel: the channel filter
    does not apply to it."""
    names = [n for n in MONTHLY_COLUMNS if MEASURES[n].family is family]
    return (
        select(*group, *(total(MEASURES[n].expression(table), n) for n in names))
        .where(*f.conditions(table, channel=family.has_channel))
        .group_by(*group)
    )


def _interaction_query(f: Filters, group: list):
    return _family_query(Family.INTERACTION, IM, f, group)


def _survey_query(f: Filters, group: list):
    return _family_query(Family.SURVEY, SM, f, group)


def _complaint_query(f: Filters, group: list):
    return _family_query(Family.COMPLAINT, CM, f, group)


def _collection_query(f: Filters, group: list):
    return _family_query(Family.COLLECTION, COL, f, group)


def _merge(frames: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    out = frames[0]
    for frame in frames[1:]:
        out = out.merge(frame, on=keys, how="outer")
    for col in MONTHLY_COLUMNS:
        if col not in out:
            out[col] = 0
    out[MONTHLY_COLUMNS] = out[MONTHLY_COLUMNS].fillna(0)
    return out


def monthly_indicators(engine: Engine, f: Filters, first: dt.date | None = None) -> pd.DataFrame:
    """One row per month from ``first`` (default ``f.start``) to ``f.end``: the sums each KPI needs.

    Months with no activity at all are absent; callers reindex on the months they expect.
    """
    g = replace(f, start=first) if first else f
    queries = [
        _interaction_query(g, [IM.c.month]),
        _survey_query(g, [SM.c.month]),
        _complaint_query(g, [CM.c.month]),
        _collection_query(g, [COL.c.month]),
    ]
    with engine.connect() as conn:
        frames = [pd.read_sql(q, conn) for q in queries]
    out = _merge(frames, ["month"])
    out["month"] = pd.to_datetime(out["month"]).dt.date
    return out.sort_values("month").reset_index(drop=True)[["month", *MONTHLY_COLUMNS]]


def unit_indicators(engine: Engine, f: Filters, level: str | None = None) -> pd.DataFrame:
    """The same sums per OOAD (or per subdelegación when an OOAD is chosen) for ``f``'s period.

    ``level="subdelegacion"`` groups by subdelegación even in the national view."""
    if level != "subdelegacion" and f.is_national:
        cols = {"im": IM.c.ooad_id, "sm": SM.c.ooad_id, "cm": CM.c.ooad_id, "col": COL.c.ooad_id}
    else:
        cols = {
            "im": IM.c.subdelegacion_id,
            "sm": SM.c.subdelegacion_id,
            "cm": CM.c.subdelegacion_id,
            "col": COL.c.subdelegacion_id,
        }
    queries = [
        _interaction_query(f, [cols["im"].label("unit_id")]),
        _survey_query(f, [cols["sm"].label("unit_id")]),
        _complaint_query(f, [cols["cm"].label("unit_id")]),
        _collection_query(f, [cols["col"].label("unit_id")]),
    ]
    with engine.connect() as conn:
        frames = [pd.read_sql(q, conn) for q in queries]
    return _merge(frames, ["unit_id"]).sort_values("unit_id").reset_index(drop=True)


def channel_month_contacts(engine: Engine, f: Filters) -> pd.DataFrame:
    """Contacts per month and channel (for the volume-by-channel trend)."""
    q = (
        select(
            IM.c.month,
            IM.c.channel_id,
            CH.c.name.label("channel"),
            CH.c.is_digital,
            total(IM.c.contacts, "contacts"),
        )
        .select_from(IM.join(CH, CH.c.id == IM.c.channel_id))
        .where(*f.conditions(IM))
        .group_by(IM.c.month, IM.c.channel_id, CH.c.name, CH.c.is_digital, CH.c.sort_order)
        .order_by(IM.c.month, CH.c.sort_order)
    )
    with engine.connect() as conn:
        out = pd.read_sql(q, conn)
    out["month"] = pd.to_datetime(out["month"]).dt.date
    out["is_digital"] = out["is_digital"].astype(bool)
    return out
