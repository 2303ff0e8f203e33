"""Campaign catalog and the panels the effect estimators take, built in SQL.

The patron-month panel is a join of campaign_assignment and collection_monthly restricted to
the campaign's window, computed in the database; only the rows of the campaign's patrons
around its dates come back, never the collection table. Above ``max_units`` patrons both
arms are thinned to every k-th patron id (deterministic, unrelated to the arm; stated on the
page), so the estimator's memory stays bounded at national scale.

``stored_results`` reads what ``python -m lib refresh`` computed from those panels
(``campaign_result``, lib/refresh.py), which is what the page shows when it is there.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection, Engine, case, func, select

from lib.db.schema import (
    AggCollectionUnitMonth,
    Campaign,
    CampaignAssignment,
    CampaignResult,
    CollectionMonthly,
    Patron,
    Subdelegacion,
)
from lib.filters import add_months
from lib.metrics import INDICATORS
from lib.queries.common import read_frame

K = Campaign.__table__
A = CampaignAssignment.__table__
CM = CollectionMonthly.__table__
P = Patron.__table__
S = Subdelegacion.__table__
ACM = AggCollectionUnitMonth.__table__


def campaign_catalog(engine: Engine | Connection) -> pd.DataFrame:
    """Every campaign with its numbers of treated and control patrons."""
    counts = (
        select(
            A.c.campaign_id,
            func.sum(case((A.c.arm == "tratado", 1), else_=0)).label("treated"),
            func.sum(case((A.c.arm == "control", 1), else_=0)).label("control"),
        )
        .group_by(A.c.campaign_id)
        .subquery()
    )
    q = (
        select(
            K,
            func.coalesce(counts.c.treated, 0).label("treated"),
            func.coalesce(counts.c.control, 0).label("control"),
        )
        .select_from(K.outerjoin(counts, counts.c.campaign_id == K.c.id))
        .order_by(K.c.start_month)
    )
    out = read_frame(engine, q)
    for col in ("start_month", "end_month"):
        out[col] = pd.to_datetime(out[col]).dt.date
    return out


def campaign_window(
    start: dt.date, end: dt.date, before: int, after: int
) -> tuple[dt.date, dt.date]:
    return add_months(start, -before), add_months(end, after)


def patron_panel(
    engine: Engine | Connection,
    campaign_id: int,
    first: dt.date,
    last: dt.date,
    max_units: int = 60_000,
) -> pd.DataFrame:
    """One row per assigned patron and month in [first, last]: arm, on-time flag, amounts,
    overdue balance and the patron's segment (for heterogeneity)."""
    campaign_id = int(campaign_id)  # numpy integers do not bind on SQLite
    arms = read_frame(
        engine,
        select(A.c.arm, func.count().label("n"))
        .where(A.c.campaign_id == campaign_id)
        .group_by(A.c.arm),
    ).set_index("arm")["n"]
    n_units = int(arms.sum())
    keep = None
    if n_units > max_units:  # every step-th patron id of both arms: id is unrelated to the arm
        step = int(-(-n_units // max_units))
        keep = A.c.patron_id % step == 0
    on_time = case((CM.c.paid_on_time >= CM.c.issued - 0.005, 1), else_=0)
    q = (
        select(
            A.c.patron_id,
            CM.c.month,
            case((A.c.arm == "tratado", 1), else_=0).label("treated"),
            on_time.label("on_time"),
            CM.c.issued,
            CM.c.paid_on_time,
            (CM.c.paid_on_time + CM.c.paid_late).label("paid"),
            CM.c.overdue_balance,
            P.c.size_band_id,
            P.c.economic_division_id,
            S.c.ooad_id,
        )
        .select_from(
            A.join(CM, CM.c.patron_id == A.c.patron_id)
            .join(P, P.c.id == A.c.patron_id)
            .join(S, S.c.id == P.c.subdelegacion_id)
        )
        .where(A.c.campaign_id == campaign_id, CM.c.month >= first, CM.c.month <= last)
    )
    if keep is not None:
        q = q.where(keep)
    out = read_frame(engine, q)
    out["month"] = pd.to_datetime(out["month"]).dt.date
    out.attrs["units_total"] = n_units
    out.attrs["treated_total"] = int(arms.get("tratado", 0))
    out.attrs["sampled"] = keep is not None
    return out


def office_panel(
    engine: Engine | Connection, campaign_id: int, first: dt.date, last: dt.date
) -> pd.DataFrame:
    """Subdelegación-month on-time rates, treated = offices with targeted patrons (for a
    campaign without control group, all of an exposed office's patrons are targeted):
    the comparison for campaigns without a control group (interrupted time series against
    untreated offices)."""
    campaign_id = int(campaign_id)
    treated_offices = (
        select(P.c.subdelegacion_id)
        .select_from(A.join(P, P.c.id == A.c.patron_id))
        .where(A.c.campaign_id == campaign_id, A.c.arm == "tratado")
        .distinct()
        .subquery()
    )
    q = (
        select(
            ACM.c.subdelegacion_id,
            ACM.c.month,
            func.sum(ACM.c.patrons).label("patrons"),
            func.sum(ACM.c.patrons_on_time).label("patrons_on_time"),
            func.sum(ACM.c.paid_on_time).label("paid_on_time"),
            func.max(
                case(
                    (ACM.c.subdelegacion_id.in_(select(treated_offices.c.subdelegacion_id)), 1),
                    else_=0,
                )
            ).label("treated"),
        )
        .where(ACM.c.month >= first, ACM.c.month <= last)
        .group_by(ACM.c.subdelegacion_id, ACM.c.month)
    )
    out = read_frame(engine, q)
    out["month"] = pd.to_datetime(out["month"]).dt.date
    out["on_time_rate"] = INDICATORS["patrons_on_time"].values(out)
    return out


def stored_results(engine: Engine, campaign_id: int | None = None) -> dict[int, dict]:
    """The stored result of one campaign (or of all), in one query: campaign id → {"result":
    the JSON of ``campaign_report.to_json`` or None, "error": the Spanish message or None,
    "computed_at"}. A campaign the last refresh did not analyse (added since, or a database
    not refreshed since migration 0008) is absent."""
    T = CampaignResult.__table__
    query = select(T.c.campaign_id, T.c.result, T.c.error, T.c.computed_at)
    if campaign_id is not None:
        query = query.where(T.c.campaign_id == int(campaign_id))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return {
        int(r.campaign_id): {"result": r.result, "error": r.error, "computed_at": r.computed_at}
        for r in rows
    }
