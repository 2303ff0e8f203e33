"""Channel comparison: per-channel sums, time histograms, segments, offices and procedures.

Everything is read from rollups and grouped in the database; results have at most a few
hundred rows whatever the size of the institute.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, case, func, select

from lib.db.schema import (
    AggChannelSegmentMonth,
    AggInteractionMonth,
    AggInteractionTimeMonth,
    AggInteractionTimeNationalMonth,
    AggInteractionUnitMonth,
    AggQueueWaitMonth,
    AggQueueWaitNationalMonth,
    AggSurveyUnitMonth,
    Channel,
    EconomicDivision,
    Ooad,
    Procedure,
    SizeBand,
    Subdelegacion,
)
from lib.filters import Filters
from lib.queries.common import read_frame, total

IM = AggInteractionUnitMonth.__table__  # coarse: no procedure dimension
IMP = AggInteractionMonth.__table__  # by procedure, for procedure_by_channel only
SM = AggSurveyUnitMonth.__table__
SEG = AggChannelSegmentMonth.__table__
TM = AggInteractionTimeMonth.__table__
TMN = AggInteractionTimeNationalMonth.__table__  # summed over offices: national views
QW = AggQueueWaitMonth.__table__  # queued contacts by wait second
QWN = AggQueueWaitNationalMonth.__table__  # summed over offices: national views
CH = Channel.__table__


def channel_sums(engine: Engine, f: Filters) -> pd.DataFrame:
    """One row per channel (catalog order) with every sum the comparison needs.

    ``patrons_month_sum`` is the sum over months of distinct patrons served in the month;
    divided by the number of months it is the average number of patrons served per month.
    ``repeat_30d`` / ``repeat_base`` leave out the last month of data: its 30-day follow-up
    has not happened yet, so its repeat rate would read low (censoring). ``repeat_base``
    counts the followable contacts (an identified patron): an anonymous one can never be
    repeated. ``cost_known`` counts the contacts whose cost is recorded (cost per contact).
    """
    last_month = select(func.max(IM.c.month)).scalar_subquery()
    followed = IM.c.month < last_month
    contacts = (
        select(
            IM.c.channel_id,
            total(IM.c.contacts, "contacts"),
            total(IM.c.resolved_first, "resolved_first"),
            total(IM.c.resolution_known, "resolution_known"),
            total(IM.c.cost_sum, "cost_sum"),
            total(IM.c.cost_known, "cost_known"),
            total(IM.c.wait_minutes_sum, "wait_minutes_sum"),
            total(IM.c.handle_minutes_sum, "handle_minutes_sum"),
            total(case((followed, IM.c.repeat_30d), else_=0), "repeat_30d"),
            total(case((followed, IM.c.followable), else_=0), "repeat_base"),
        )
        .where(*f.conditions(IM))
        .group_by(IM.c.channel_id)
    )
    surveys = (
        select(
            SM.c.channel_id,
            total(SM.c.responses, "responses"),
            total(SM.c.csat_sum, "csat_sum"),
            total(SM.c.csat_sq_sum, "csat_sq_sum"),
            total(SM.c.csat_satisfied, "csat_satisfied"),
            total(SM.c.nps_promoters, "nps_promoters"),
            total(SM.c.nps_detractors, "nps_detractors"),
        )
        .where(*f.conditions(SM))
        .group_by(SM.c.channel_id)
    )
    patrons = (
        select(SEG.c.channel_id, total(SEG.c.patrons, "patrons_month_sum"))
        .where(*f.conditions(SEG))
        .group_by(SEG.c.channel_id)
    )
    catalog = select(
        CH.c.id.label("channel_id"),
        CH.c.name.label("channel"),
        CH.c.kind,
        CH.c.is_digital,
        CH.c.unit_cost,
    ).order_by(CH.c.sort_order)
    with engine.connect() as conn:
        out = pd.read_sql(catalog, conn)
        for q in (contacts, surveys, patrons):
            out = out.merge(pd.read_sql(q, conn), on="channel_id", how="left")
    num = out.columns.difference(["channel_id", "channel", "kind", "is_digital", "unit_cost"])
    out[num] = out[num].fillna(0)
    out["is_digital"] = out["is_digital"].astype(bool)
    if f.channel_id is not None:
        out = out[out["channel_id"] == f.channel_id]
    return out.reset_index(drop=True)


def time_histograms(engine: Engine, f: Filters) -> pd.DataFrame:
    """Contacts per channel, measure (wait | handle) and minute bin."""
    t = TMN if f.is_national else TM
    q = (
        select(t.c.channel_id, t.c.measure, t.c.bin, total(t.c.contacts, "contacts"))
        .where(*f.conditions(t))
        .group_by(t.c.channel_id, t.c.measure, t.c.bin)
        .order_by(t.c.channel_id, t.c.measure, t.c.bin)
    )
    return read_frame(engine, q)


def queue_waits(engine: Engine, f: Filters) -> pd.DataFrame:
    """Queued contacts per channel and stored wait second (lib/contact.py): a few hundred rows
    per channel whatever the volume. The queue rollups have no size band (most queued calls
    are anonymous), so a size filter does not apply here; the page says so."""
    t = QWN if f.is_national else QW
    q = (
        select(
            t.c.channel_id,
            t.c.wait_s,
            total(t.c.queued, "queued"),
            total(t.c.answered, "answered"),
            total(t.c.abandoned, "abandoned"),
            total(t.c.wait_seconds_sum, "wait_seconds_sum"),
            total(t.c.answered_wait_sum, "answered_wait_sum"),
        )
        .where(*f.conditions(t, segment=False))
        .group_by(t.c.channel_id, t.c.wait_s)
        .order_by(t.c.channel_id, t.c.wait_s)
    )
    return read_frame(engine, q)


def channel_by_segment(engine: Engine, f: Filters, dimension: str) -> pd.DataFrame:
    """Contacts and average monthly patrons per channel and size band or economic division."""
    if dimension == "size_band":
        col, cat, label = SEG.c.size_band_id, SizeBand.__table__, SizeBand.__table__.c.name
    elif dimension == "economic_division":
        col, cat = SEG.c.economic_division_id, EconomicDivision.__table__
        label = cat.c.name
    else:
        raise ValueError(f"Segmento desconocido: {dimension}")
    q = (
        select(
            col.label("segment_id"),
            label.label("segment"),
            SEG.c.channel_id,
            total(SEG.c.contacts, "contacts"),
            total(SEG.c.patrons, "patrons_month_sum"),
        )
        .select_from(SEG.join(cat, cat.c.id == col))
        .where(*f.conditions(SEG))
        .group_by(col, label, SEG.c.channel_id)
        .order_by(col)
    )
    return read_frame(engine, q)


def channel_by_unit(engine: Engine, f: Filters) -> pd.DataFrame:
    """Contacts per channel for each OOAD, or each subdelegación of the chosen OOAD."""
    if f.ooad_id is None:
        unit = Ooad.__table__
        key = IM.c.ooad_id
    else:
        unit = Subdelegacion.__table__
        key = IM.c.subdelegacion_id
    q = (
        select(
            key.label("unit_id"),
            unit.c.name.label("unit"),
            IM.c.channel_id,
            CH.c.is_digital,
            total(IM.c.contacts, "contacts"),
        )
        .select_from(IM.join(unit, unit.c.id == key).join(CH, CH.c.id == IM.c.channel_id))
        .where(*f.conditions(IM))
        .group_by(key, unit.c.name, IM.c.channel_id, CH.c.is_digital)
    )
    out = read_frame(engine, q)
    out["is_digital"] = out["is_digital"].astype(bool)
    return out


def procedure_by_channel(engine: Engine, f: Filters) -> pd.DataFrame:
    """Contacts, cost (cost_sum / cost_known) and first-contact resolution (resolved_first /
    resolution_known) per procedure and channel."""
    P = Procedure.__table__
    q = (
        select(
            IMP.c.procedure_id,
            P.c.name.label("procedure"),
            P.c.online_capable,
            IMP.c.channel_id,
            CH.c.name.label("channel"),
            CH.c.is_digital,
            total(IMP.c.contacts, "contacts"),
            total(IMP.c.cost_sum, "cost_sum"),
            total(IMP.c.cost_known, "cost_known"),
            total(IMP.c.resolved_first, "resolved_first"),
            total(IMP.c.resolution_known, "resolution_known"),
        )
        .select_from(
            IMP.join(P, P.c.id == IMP.c.procedure_id).join(CH, CH.c.id == IMP.c.channel_id)
        )
        .where(*f.conditions(IMP))
        .group_by(
            IMP.c.procedure_id,
            P.c.name,
            P.c.online_capable,
            IMP.c.channel_id,
            CH.c.name,
            CH.c.is_digital,
        )
        .order_by(IMP.c.procedure_id, IMP.c.channel_id)
    )
    out = read_frame(engine, q)
    for col in ("online_capable", "is_digital"):
        out[col] = out[col].astype(bool)
    return out
