"""Figures of the complaints page."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from lib.charts.theme import ACCENT, style

PALETTE = ["#2166ac", "#b2182b", "#1b7837", "#762a83", "#e08214", "#4d4d4d", "#35978f", "#c51b7d"]


def volume_figure(d: pd.DataFrame, x: str, title: str, rate: bool) -> go.Figure:
    """One line per breakdown value (top 8 by volume)."""
    y = "rate" if rate else "received"
    top = d.groupby("key")["received"].sum().sort_values(ascending=False).index[:8]
    fig = go.Figure()
    for i, key in enumerate(top):
        rows = d[d["key"] == key].sort_values(x)
        label = rows["label"].iloc[0]
        fig.add_trace(
            go.Scatter(
                x=rows[x],
                y=rows[y],
                mode="lines+markers",
                name=str(label),
                line={"color": PALETTE[i % len(PALETTE)]},
                customdata=[str(key)] * len(rows),  # what a click filters by (crossfilter)
            )
        )
    fig.update_yaxes(title_text="Por 10,000 contactos" if rate else "Recibidas", rangemode="tozero")
    return style(fig, title, height=400)


def anomaly_figure(s: pd.DataFrame, name: str) -> go.Figure:
    """An office's monthly complaints with its expected value and 99.9 % upper limit."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=s["month"],
            y=s["upper"],
            mode="lines",
            name="Límite 99.9 %",
            line={"color": "#7f7f7f", "dash": "dash", "width": 1},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=s["month"],
            y=s["expected"],
            mode="lines",
            name="Esperado",
            line={"color": ACCENT, "width": 1},
        )
    )
    flagged = s["flag"]
    fig.add_trace(
        go.Scatter(
            x=s["month"],
            y=s["received"],
            mode="lines+markers",
            name="Recibidas",
            line={"color": "#2166ac"},
            marker={"size": 9, "color": ["#b2182b" if f else "#2166ac" for f in flagged]},
            hovertemplate="%{x|%b %Y}: %{y} quejas<extra></extra>",
        )
    )
    fig.update_yaxes(title_text="Quejas por mes", rangemode="tozero")
    fig.update_xaxes(tickformat="%b %Y")
    return style(fig, f"{name}: quejas recibidas frente a lo esperado (quejas/mes)", height=360)


BACKLOG_BANDS = ["0-10 días", "11-30 días", "31-60 días", "más de 60 días"]


def backlog_figure(backlog: pd.DataFrame, as_of_label: str) -> go.Figure:
    """Open complaints by age band (every band shown, empty ones at zero), oldest in red."""
    b = backlog.set_index("band")["open"].reindex(BACKLOG_BANDS).fillna(0)
    colors = [ACCENT, ACCENT, "#e08214", "#b2182b"]
    fig = go.Figure(
        go.Bar(
            x=b.index,
            y=b.to_numpy(),
            marker_color=colors,
            text=[f"{int(v):,}" for v in b],
            textposition="outside",
            hovertemplate="%{x}: %{y:,} abiertas<extra></extra>",
        )
    )
    fig.update_yaxes(title_text="Quejas abiertas", rangemode="tozero")
    fig.update_xaxes(title_text="Días desde que se recibió", tickangle=0)
    return style(fig, f"Quejas abiertas al {as_of_label} por antigüedad (quejas)", height=340)
