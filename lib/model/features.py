"""Features of every patron as of a cut-off month, computed in the database.

Everything a feature uses happens strictly before the cut-off (first day of a month); the
label looks at the ``HORIZON`` months from the cut-off on. A test deletes every row dated on or
after the cut-off and checks the features do not change (no leakage).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import Engine, case, func, select

from lib.db.bulk import read_select
from lib.db.schema import (
    Campaign,
    CampaignAssignment,
    CollectionMonthly,
    Complaint,
    Interaction,
    Orientation,
    Patron,
    Subdelegacion,
)
from lib.filters import add_months

HORIZON = 3  # label: pays late (or not at all) at least once in the next 3 months

CM = CollectionMonthly.__table__
P = Patron.__table__
S = Subdelegacion.__table__
IT = Interaction.__table__
C = Complaint.__table__
O = Orientation.__table__  # noqa: E741
A = CampaignAssignment.__table__
K = Campaign.__table__

NUMERIC = [
    "late_1m",
    "late_6m",
    "late_12m",
    "log_overdue",
    "overdue_up",
    "log_issued",
    "months_active",
    "log_workers",
    "age_years",
    "risk_class",
    "contacts_3m",
    "unresolved_3m",
    "complaints_12m",
    "orientations_12m",
    "campaigns_treated",
]
CATEGORICAL = ["size_band_id", "economic_division_id"]


def _late(col_month, lo: dt.date, hi: dt.date):
    """1 when the month is in [lo, hi) and the patron did not pay in full on time."""
    late = CM.c.paid_on_time < CM.c.issued - 0.005
    return func.sum(case(((col_month >= lo) & (col_month < hi) & late, 1), else_=0))


WORK_MEM = "256MB"  # PostgreSQL, this statement only: 1.1 M patrons' aggregates fit in memory
COUNTS = ["contacts_3m", "unresolved_3m", "complaints_12m", "orientations_12m", "campaigns_treated"]


def features_as_of(engine: Engine, cutoff: dt.date, with_label: bool = True) -> pd.DataFrame:
    """One row per patron registered before ``cutoff`` with something issued in the 12 months
    before it (and, with the label, in the ``HORIZON`` months from it): features (and label).

    One statement: a single pass over the collection months needed (12 before the cut-off, plus
    the label's), the other per-patron counts joined to it in the database, and one result read
    (through COPY on PostgreSQL; fetching rows as Python tuples cost as much as the query).

    On PostgreSQL the statement gets ``work_mem`` to hash the patron-months in memory (with the
    server's 4 MB it spilled 0.6 GB to temporary files at national scale) and no parallel
    workers: the months are stored month by month, so every worker meets nearly every patron
    and builds its own 0.34 GB table of all of them, for no gain in time on a national-sized
    copy (docs/performance.md).
    """
    if cutoff.day != 1:
        raise ValueError("El corte debe ser el primer día de un mes")
    m = CM.c.month
    c1, c3, c4, c6, c12 = (add_months(cutoff, -k) for k in (1, 3, 4, 6, 12))
    months_active = func.sum(case(((m >= c12) & (m < cutoff), 1), else_=0))
    label_cols, having = [], [months_active > 0]  # nothing issued in a year: nothing to go on
    if with_label:
        horizon = (m >= cutoff) & (m < add_months(cutoff, HORIZON))
        months_next = func.sum(case((horizon, 1), else_=0))
        label_cols = [
            _late(m, cutoff, add_months(cutoff, HORIZON)).label("late_next"),
            months_next.label("months_next"),
        ]
        having.append(months_next > 0)  # no bill in the horizon: no label
    pay = (
        select(
            CM.c.patron_id.label("id"),
            _late(m, c1, cutoff).label("late_1m"),
            _late(m, c6, cutoff).label("late_6m"),
            _late(m, c12, cutoff).label("late_12m"),
            func.sum(case((m == c1, CM.c.overdue_balance), else_=0)).label("overdue"),
            func.sum(case((m == c4, CM.c.overdue_balance), else_=0)).label("overdue_4m"),
            func.avg(case(((m >= c6) & (m < cutoff), CM.c.issued), else_=None)).label("issued"),
            months_active.label("months_active"),
            *label_cols,
        )
        .where(m >= c12, m < (add_months(cutoff, HORIZON) if with_label else cutoff))
        .group_by(CM.c.patron_id)
        .having(*having)
        .subquery("pay")
    )
    contacts = (
        select(
            IT.c.patron_id.label("id"),
            func.count().label("contacts_3m"),
            # a contact whose resolution was not recorded (NULL, contract 0012) is not counted
            # as unresolved: only an explicit «no»
            func.sum(case((IT.c.resolved_first_contact.is_(False), 1), else_=0)).label(
                "unresolved_3m"
            ),
        )
        .where(IT.c.month >= c3, IT.c.month < cutoff)
        .group_by(IT.c.patron_id)
        .subquery("contacts")
    )
    complaints = (
        select(C.c.patron_id.label("id"), func.count().label("complaints_12m"))
        .where(C.c.month >= c12, C.c.month < cutoff, C.c.patron_id.is_not(None))
        .group_by(C.c.patron_id)
        .subquery("complaints")
    )
    orientations = (
        select(O.c.patron_id.label("id"), func.count().label("orientations_12m"))
        .where(O.c.month >= c12, O.c.month < cutoff)
        .group_by(O.c.patron_id)
        .subquery("orientations")
    )
    campaigns = (
        select(A.c.patron_id.label("id"), func.count().label("campaigns_treated"))
        .select_from(A.join(K, K.c.id == A.c.campaign_id))
        .where(A.c.arm == "tratado", K.c.start_month < cutoff)
        .group_by(A.c.patron_id)
        .subquery("campaigns")
    )
    extras = (contacts, complaints, orientations, campaigns)
    joined = P.join(S, S.c.id == P.c.subdelegacion_id).join(pay, pay.c.id == P.c.id)
    for extra in extras:
        joined = joined.outerjoin(extra, extra.c.id == P.c.id)
    query = (
        select(
            P.c.id,
            P.c.subdelegacion_id,
            S.c.ooad_id,
            P.c.size_band_id,
            P.c.economic_division_id,
            P.c.workers,
            P.c.risk_class,
            P.c.registered_on,
            *(c for c in pay.c if c.name != "id"),
            *(c for e in extras for c in e.c if c.name != "id"),
        )
        .select_from(joined)
        .where(P.c.registered_on < cutoff)
    )
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SET LOCAL work_mem = '{WORK_MEM}'")
            conn.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
        d = read_select(conn, query)
    d = d.fillna({c: 0 for c in COUNTS}).sort_values("id", ignore_index=True)
    registered = pd.to_datetime(d["registered_on"])
    d["age_years"] = (pd.Timestamp(cutoff) - registered).dt.days / 365.25
    d["log_overdue"] = np.log1p(d["overdue"].clip(lower=0))
    d["overdue_up"] = (d["overdue"] > d["overdue_4m"] + 0.005).astype(int)
    d["log_issued"] = np.log1p(d["issued"].fillna(0))
    d["log_workers"] = np.log1p(d["workers"])
    if with_label:
        d["label"] = (d["late_next"] > 0).astype(int)
    d["cutoff"] = cutoff
    keep = ["id", "subdelegacion_id", "ooad_id", "cutoff", *NUMERIC, *CATEGORICAL]
    return d[keep + (["label"] if with_label else [])].reset_index(drop=True)
