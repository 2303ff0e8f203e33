"""The program's baseline: each indicator the other pages compute, for the last 12 months with
data and the 12 before them, one row per indicator of :func:`lib.planning.targets.
program_indicators` (its key, label, unit and owner). Values come from the semantic layer
(:mod:`lib.metrics`: ratios of monthly sums, never averages of averages); campaigns and their
measured return from :mod:`lib.analysis.campaign_report`. Pure: no SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from lib.analysis.kpis import period_sums
from lib.filters import add_months
from lib.metrics import INDICATORS
from lib.planning.targets import DIVISION, program_indicators

COLUMNS = ["key", "indicator", "unit", "previous", "last12", "change", "owner_unit"]


WINDOWS = ("previous", "last12")


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


def _channel_contacts(
    channel_month: pd.DataFrame, channel_id: str, start: dt.date, end: dt.date
) -> float:
    """Contacts of one channel in the window (0 where the channel had none)."""
    if channel_month.empty:
        return 0.0
    cm = channel_month[
        (channel_month["channel_id"] == channel_id)
        & (channel_month["month"] >= start)
        & (channel_month["month"] <= end)
    ]
    return float(cm["contacts"].sum())


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

    ran = {k: _campaigns_in(campaigns, *w[k]) for k in w}
    program_measures = {
        "campaigns": lambda k: float(len(ran[k])),
        "campaign_return": lambda k: _measured_return(ran[k]),
        "oriented": lambda k: float(oriented.get(k, 0)),
    }
    for p in program_indicators(channel_names).values():
        values: list[float | None]
        if p.channel_id is not None:
            channel = p.channel_id
            values = [_channel_contacts(channel_month, channel, *w[k]) for k in WINDOWS]
        elif p.metric is not None:
            values = [_kpi(p.metric, sums[k], p.unit == "%") for k in WINDOWS]
        else:
            values = [program_measures[p.key](k) for k in WINDOWS]
        add(p.key, p.label, p.unit, *values, owner=p.owner)
    return pd.DataFrame(rows, columns=COLUMNS)


def initial_targets(baseline: pd.DataFrame) -> pd.DataFrame:
    """The editable targets table a new draft starts from: every indicator with its baseline
    (last 12 months), no target yet, the usual owner unit, no milestones."""
    return pd.DataFrame(
        {
            "indicator": baseline["indicator"],
            "key": baseline["key"],
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
