"""The program's baseline: each indicator the other pages compute, for the last 12 months with
data and the 12 before them. Indicators are those of the semantic layer
(:mod:`lib.metrics`: ratios of monthly sums, never averages of averages), by key; campaigns and
their measured return come from :mod:`lib.analysis.campaign_report`. Pure: no SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from lib.analysis.kpis import period_sums
from lib.filters import add_months
from lib.metrics import INDICATORS, Kind

DIVISION = "División de Servicios Subdelegacionales"
COLLECTION = "Coordinación de Cobranza"
COLUMNS = ["key", "indicator", "unit", "previous", "last12", "change", "owner_unit"]


def windows(last_month: dt.date) -> dict[str, tuple[dt.date, dt.date]]:
    """The last 12 months with data and the 12 before them (first and last month of each)."""
    return {
        "last12": (add_months(last_month, -11), last_month),
        "previous": (add_months(last_month, -23), add_months(last_month, -12)),
    }


def _kpi(key: str, sums: pd.Series, percent: bool) -> float | None:
    if sums.empty:
        return None
    v = INDICATORS[key].value(sums)
    return None if v is None else (100 * v if percent else float(v))


def _campaigns_in(campaigns: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
    if campaigns.empty:
        return campaigns
    return campaigns[(campaigns["start_month"] >= start) & (campaigns["start_month"] <= end)]


def _measured_return(c: pd.DataFrame) -> float | None:
    """Pesos of additional collection per peso spent, over the campaigns that measured it."""
    m = c[c["additional"].notna() & (c["cost"] > 0)] if not c.empty else c
    if m.empty:
        return None
    return float(m["additional"].sum() / m["cost"].sum())


def baseline_table(
    monthly: pd.DataFrame,
    channel_month: pd.DataFrame,
    channel_names: Mapping[str, str],
    campaigns: pd.DataFrame,
    oriented: Mapping[str, int],
    last_month: dt.date,
) -> pd.DataFrame:
    """One row per indicator: previous 12 months, last 12 months and the change (relative %
    for counts and pesos, percentage points for shares).

    ``monthly``: lib.queries.overview.monthly_indicators rows; ``channel_month``: month,
    channel_id, contacts; ``campaigns``: code, start_month, additional (MXN, NaN when not
    measured), cost; ``oriented``: distinct patrons oriented per window ("last12", "previous").
    """
    w = windows(last_month)
    sums = {k: period_sums(monthly, *w[k]) for k in w}
    rows: list[dict] = []

    def add(key: str, label: str, unit: str, prev, last, *, owner: str = DIVISION) -> None:
        if prev is None or last is None:
            change = None
        elif unit == "%":
            change = last - prev
        else:
            change = None if prev == 0 else 100 * (last - prev) / prev
        rows.append(
            {
                "key": key,
                "indicator": label,
                "unit": unit,
                "previous": prev,
                "last12": last,
                "change": change,
                "owner_unit": owner,
            }
        )

    def add_indicator(key: str, label: str | None = None, owner: str = DIVISION) -> None:
        """An indicator of the semantic layer (lib/metrics), by key: its label and unit as
        every page shows them, shares in percent."""
        ind = INDICATORS[key]
        share = ind.kind is Kind.SHARE
        unit = "%" if share else ind.unit
        values = (_kpi(key, sums[k], share) for k in ("previous", "last12"))
        add(key, label or ind.label, unit, *values, owner=owner)

    # "(todos los canales)": the total, told apart from the per-channel rows below
    add_indicator("contacts", f"{INDICATORS['contacts'].label} (todos los canales)")
    by_channel = channel_month.groupby(["channel_id"]) if not channel_month.empty else None
    for channel_id, name in channel_names.items():
        vals = []
        for k in ("previous", "last12"):
            start, end = w[k]
            if by_channel is None:
                vals.append(0.0)
                continue
            cm = channel_month[
                (channel_month["channel_id"] == channel_id)
                & (channel_month["month"] >= start)
                & (channel_month["month"] <= end)
            ]
            vals.append(float(cm["contacts"].sum()))
        add(f"contacts_{channel_id}", f"Contactos: {name}", "contactos", *vals)
    for key in ("digital_share", "fcr", "csat", "complaints_on_time"):
        add_indicator(key)
    add_indicator("collection_on_time", owner=COLLECTION)
    add_indicator("patrons_on_time", owner=COLLECTION)
    ran = {k: _campaigns_in(campaigns, *w[k]) for k in w}
    add(
        "campaigns",
        "Campañas iniciadas",
        "campañas",
        *(float(len(ran[k])) for k in ("previous", "last12")),
    )
    add(
        "campaign_return",
        "Retorno medido de campañas",
        "pesos por peso",
        *(_measured_return(ran[k]) for k in ("previous", "last12")),
    )
    add(
        "oriented",
        "Patrones orientados",
        "patrones",
        *(float(oriented.get(k, 0)) for k in ("previous", "last12")),
    )
    return pd.DataFrame(rows, columns=COLUMNS)


def initial_targets(baseline: pd.DataFrame) -> pd.DataFrame:
    """The editable targets table a new draft starts from: every indicator with its baseline
    (last 12 months), no target yet, the usual owner unit, no milestones."""
    return pd.DataFrame(
        {
            "indicator": baseline["indicator"],
            "unit": baseline["unit"],
            "baseline": baseline["last12"].astype(float).round(2),
            "target": [None] * len(baseline),
            "owner_unit": baseline["owner_unit"],
            "q1": [None] * len(baseline),
            "q2": [None] * len(baseline),
            "q3": [None] * len(baseline),
            "q4": [None] * len(baseline),
            "due_on": [None] * len(baseline),
            "notes": [None] * len(baseline),
        }
    )
