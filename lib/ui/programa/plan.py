"""What the work program plans from: the inputs the page computes once (``Plan``) and the
tables derived from them and from the working copy: baseline, demand forecast, staff minutes
per contact, capacity and the campaign plan."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pandas as pd

from lib.analysis.campaign_report import CampaignResult
from lib.filters import Filters, add_months
from lib.metrics import INDICATORS
from lib.planning import baseline as bl
from lib.planning import capacity as cap
from lib.planning import forecast as fc
from lib.planning.campaigns import campaign_plan, measured_campaigns
from lib.queries import campaigns as qc
from lib.queries import overview
from lib.queries import planning as qp
from lib.ui.campaigns import campaign_result, stored_results
from lib.ui.context import PageContext, query
from lib.ui.data import cached_pure

SELF_SERVICE = {"en_linea", "buzon", "impresos"}  # no staff minutes per contact by default
BASELINE_COLUMNS = {
    "indicator": "Indicador",
    "unit": "Unidad",
    "previous": "12 meses anteriores",
    "last12": "Últimos 12 meses",
    "change": "Cambio",
}


@dataclass(frozen=True, eq=False)
class Plan:
    """The page's shared inputs: its context, the plan year, the last month with data, the
    channel names by id and the contacts by channel, OOAD and month over the whole history
    (lib.queries.planning.channel_ooad_month, in the filters' place)."""

    ctx: PageContext
    year: int
    last: date
    channel_names: dict[str, str]
    history: pd.DataFrame

    @property
    def filters(self) -> Filters:
        f = self.ctx.filters
        assert f is not None  # page_setup draws the filters on this page
        return f

    @property
    def windows(self) -> dict[str, tuple[date, date]]:
        """The last 12 months and the 12 before them (lib.planning.baseline.windows)."""
        return bl.windows(self.last)


def measured(plan: Plan) -> pd.DataFrame:
    """The finished campaigns with the effect the campaign page shows (lib.ui.campaigns)."""
    ctx = plan.ctx
    catalog = query(ctx, qc.campaign_catalog)
    finished = catalog[catalog["end_month"] <= plan.last]
    known = stored_results(ctx)
    results: dict[str, CampaignResult | None] = {}
    for _, c in finished.iterrows():
        c = c.copy()
        c["id"] = int(c["id"])
        try:
            results[c["code"]] = campaign_result(ctx, c, known)[0]
        except ValueError:  # not estimable: listed without a measured effect
            results[c["code"]] = None
    return measured_campaigns(finished, results)


def baseline(plan: Plan) -> pd.DataFrame:
    """Each indicator over the last 12 months against the 12 before (lib.planning.baseline)."""
    ctx, w = plan.ctx, plan.windows
    two_years = replace(plan.filters, start=add_months(plan.last, -23), end=plan.last)
    monthly = query(ctx, overview.monthly_indicators, two_years)
    oriented = {k: query(ctx, qp.oriented_patrons, two_years, *w[k]) for k in w}
    return cached_pure(
        bl.baseline_table,
        monthly,
        plan.history,
        dict(plan.channel_names),
        measured(plan),
        oriented,
        plan.last,
    )


def channel_forecast(plan: Plan) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly forecast from the month after the data to December of the plan year (for the
    chart), and the plan year's totals per channel."""
    by_channel = plan.history.groupby(["month", "channel_id"], as_index=False)["contacts"].sum()
    return cached_pure(
        fc.forecast_by, by_channel, "channel_id", plan.last, plan.year, "contacts", fc.LEVEL, True
    )


def handling_minutes(plan: Plan) -> dict[str, float]:
    """Staff minutes per contact by channel, measured over the last 12 months."""
    history = plan.history
    recent = (
        history[history["month"] >= plan.windows["last12"][0]]
        .groupby("channel_id")[["handle_minutes_sum", "contacts"]]
        .sum()
    )
    return INDICATORS["handle_mean"].values(recent).round(1).to_dict()


def capacity_now(plan: Plan, work: dict[str, Any]) -> pd.DataFrame:
    """The capacity table for the forecast and the working copy's minutes and hours."""
    _, totals = channel_forecast(plan)
    c = work["capacity"]
    table = cap.capacity_table(
        totals,
        dict(zip(c["channel_id"], pd.to_numeric(c["handle_minutes"]), strict=True)),
        dict(zip(c["channel_id"], pd.to_numeric(c["hours_available"]), strict=True)),
    )
    table.insert(1, "channel", table["channel_id"].map(plan.channel_names).fillna("Total"))
    return table


def plan_now(plan: Plan, work: dict[str, Any]) -> pd.DataFrame:
    """The campaigns the working copy picks, with their expected return."""
    return campaign_plan(measured(plan), work["picks"])
