"""KPI cards: value, change against the comparison period, and a sparkline."""

from __future__ import annotations

from typing import Literal

import pandas as pd
import streamlit as st

from lib.format import fmt_int, fmt_mxn_compact, fmt_num, fmt_pct, fmt_signed


def format_value(kind: str, value: float | None) -> str:
    if kind == "share":
        return fmt_pct(value)
    if kind == "nps":
        return fmt_num(value)
    if kind == "mxn":
        return fmt_mxn_compact(value)
    return fmt_int(value)


def format_change(kind: str, change: float | None) -> str | None:
    if change is None or pd.isna(change):
        return None
    unit = {"share": "pp", "nps": "pts"}.get(kind, "%")
    return fmt_signed(change, unit)


# st.metric's delta colour by the KPI's higher_is_better; "off" when neither way is better
_DELTA_COLORS: dict[bool, Literal["normal", "inverse"]] = {True: "normal", False: "inverse"}


def kpi_grid(table: pd.DataFrame, comparison_label: str, channel_filtered: bool, columns: int = 3):
    """Cards in rows of ``columns``; KPIs that ignore the channel filter say so."""
    rows = [table.iloc[i : i + columns] for i in range(0, len(table), columns)]
    for chunk in rows:
        cols = st.columns(columns)
        for col, (_, k) in zip(cols, chunk.iterrows(), strict=False):
            color: Literal["normal", "inverse", "off"] = _DELTA_COLORS.get(
                k["higher_is_better"], "off"
            )
            help_text = k["help"]
            if channel_filtered and not k["follows_channel"]:
                help_text += " No depende del canal: muestra todos los canales."
            trend = [100 * v if k["kind"] == "share" else v for v in k["trend"]]
            delta = format_change(k["kind"], k["change"])
            if delta is None and k["previous"] is not None and not pd.isna(k["previous"]):
                help_text += " Sin cambio calculable: el periodo de comparación vale cero."
            col.metric(
                k["label"],
                format_value(k["kind"], k["value"]),
                delta=delta,
                delta_color=color,
                delta_description=comparison_label if delta else None,
                help=help_text,
                chart_data=trend if len(trend) > 1 else None,
                border=True,
            )
