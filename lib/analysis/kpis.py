"""The executive overview's indicators: period values and comparisons.

The cards are indicators of the semantic layer (lib/metrics, ``OVERVIEW``), computed from
monthly *sums* (never from averages of averages), so a period's value is the same whether it
is read from one month or twelve.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence

import pandas as pd

from lib.filters import Filters, add_months
from lib.format import fmt_int, fmt_mxn, fmt_num, fmt_pct, fmt_signed
from lib.metrics import INDICATORS, OVERVIEW, Indicator, Kind

# the cards are indicators of the semantic layer (lib/metrics), in the overview's order
KPIS: tuple[Indicator, ...] = tuple(INDICATORS[key] for key in OVERVIEW)
KPI_BY_KEY = {k.key: k for k in KPIS}


def period_sums(monthly: pd.DataFrame, start: dt.date, end: dt.date) -> pd.Series:
    rows = monthly[(monthly["month"] >= start) & (monthly["month"] <= end)]
    return rows.drop(columns="month").sum()


# how a view can be compared: key -> (label, months to shift the view by, given its length)
COMPARISONS: dict[str, tuple[str, Callable[[int], int]]] = {
    "anio": ("vs. año anterior", lambda n: -12),
    "anterior": ("vs. periodo anterior", lambda n: -n),
}


def shifted_period(f: Filters, kind: str) -> Filters:
    """``f`` moved to the same months a year earlier ("anio") or to the immediately preceding
    period of equal length ("anterior")."""
    return f.shifted(COMPARISONS[kind][1](f.n_months))


def covered(g: Filters, available: Sequence[dt.date]) -> bool:
    """Are all of ``g``'s months in the data?"""
    have = set(available)
    return all(add_months(g.start, i) in have for i in range(g.n_months))


def comparison_period(f: Filters, available: Sequence[dt.date]) -> tuple[Filters | None, str]:
    """Same months a year earlier when the data has them (seasonality cancels), else the
    immediately preceding period of equal length, else nothing to compare with."""
    for kind in ("anio", "anterior"):
        g = shifted_period(f, kind)
        if covered(g, available):
            return g, COMPARISONS[kind][0]
    return None, "sin periodo de comparación en los datos"


def change(kpi: Indicator, current: float | None, previous: float | None) -> float | None:
    """Percentage points for shares and NPS points for NPS; relative % for counts and pesos."""
    if current is None or previous is None:
        return None
    if kpi.kind in (Kind.SHARE, Kind.NPS):
        return (current - previous) * (100 if kpi.kind is Kind.SHARE else 1)
    return None if previous == 0 else 100 * (current - previous) / previous


def kpi_table(
    monthly: pd.DataFrame,
    f: Filters,
    comparison: Filters | None,
    trend_months: int = 12,
    loaded: Collection[str] | None = None,
) -> pd.DataFrame:
    """One row per KPI: value, previous value, change and the monthly trend for sparklines.

    ``loaded``: the fact tables holding rows (DatasetMeta.loaded); a KPI whose table is not
    among them has no value (None, shown "—"), not a count of zero."""
    cur = period_sums(monthly, f.start, f.end)
    prev = period_sums(monthly, comparison.start, comparison.end) if comparison else None
    trend_start = add_months(f.end, -(max(trend_months, f.n_months) - 1))
    trend_rows = monthly[(monthly["month"] >= trend_start) & (monthly["month"] <= f.end)]
    rows = []
    for kpi in KPIS:
        absent = loaded is not None and kpi.source not in loaded
        value = None if absent else kpi.value(cur)
        previous = kpi.value(prev) if prev is not None and not absent else None
        series = [] if absent else [kpi.value(r) for _, r in trend_rows.iterrows()]
        rows.append(
            {
                "key": kpi.key,
                "label": kpi.label,
                "kind": kpi.kind.value,
                "value": value,
                "previous": previous,
                "change": change(kpi, value, previous),
                "higher_is_better": kpi.higher_is_better,
                "help": kpi.help,
                "follows_channel": kpi.follows_channel,
                "trend": [v for v in series if v is not None],
                "trend_months": [
                    m
                    for m, v in zip(trend_rows["month"][: len(series)], series, strict=True)
                    if v is not None
                ],
            }
        )
    return pd.DataFrame(rows)


# how each kind of KPI is written: its value's unit and its change's unit (docs/architecture.md,
# "Formats and units"); shares are written as percentages (38.7), never as proportions (0.387)
VALUE_UNITS = {"count": "número", "share": "%", "nps": "puntos NPS (-100 a 100)", "mxn": "MXN"}
CHANGE_UNITS = {
    "count": "% (cambio relativo)",
    "share": "pp",
    "nps": "puntos",
    "mxn": "% (cambio relativo)",
}


def _value_text(kind: str, value: float | None) -> str:
    if kind == "share":
        return fmt_pct(value)
    if kind == "nps":
        return fmt_num(value)
    if kind == "mxn":
        return fmt_mxn(value)
    return fmt_int(value)


def _change_text(kind: str, value: float | None) -> str:
    return fmt_signed(value, {"share": "pp", "nps": "pts"}.get(kind, "%"))


def kpi_display_table(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`kpi_table` as the screen shows it: one text per cell, each row in its own unit
    (38.7%, +3.0 pp, 1,234, $1,461,225,877, —); the table mixes units, so no column format
    could do it."""
    return pd.DataFrame(
        {
            "Indicador": table["label"],
            "Periodo": [
                _value_text(k, v) for k, v in zip(table["kind"], table["value"], strict=True)
            ],
            "Comparación": [
                _value_text(k, v) for k, v in zip(table["kind"], table["previous"], strict=True)
            ],
            "Cambio": [
                _change_text(k, v) for k, v in zip(table["kind"], table["change"], strict=True)
            ],
        }
    )


def kpi_export_table(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`kpi_table` for the CSV: numbers stay numbers (a spreadsheet can sum and chart
    them), shares as percentages, and each number says its unit in the next column."""

    def scaled(kind: str, v: float | None) -> float | None:
        if v is None or pd.isna(v):
            return None
        return 100 * v if kind == "share" else float(v)

    kinds = list(table["kind"])
    return pd.DataFrame(
        {
            "Indicador": table["label"],
            "Periodo": [scaled(k, v) for k, v in zip(kinds, table["value"], strict=True)],
            "Comparación": [scaled(k, v) for k, v in zip(kinds, table["previous"], strict=True)],
            "Unidad": [VALUE_UNITS[k] for k in kinds],
            "Cambio": [None if v is None or pd.isna(v) else float(v) for v in table["change"]],
            "Unidad del cambio": [CHANGE_UNITS[k] for k in kinds],
        }
    )
