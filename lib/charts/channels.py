"""Figures of the channel comparison study."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from lib.charts.theme import ACCENT, CHANNEL_COLORS, style

UNITS = {"share": "%", "nps": "puntos", "minutes": "minutos", "mxn": "MXN"}


def interval_figure(table: pd.DataFrame, column: str, title: str, kind: str) -> go.Figure:
    """One dot per channel with its 95 % interval (horizontal), best at the top."""
    scale = 100 if kind == "share" else 1
    t = table.dropna(subset=[column]).sort_values(column)
    low = t.get(f"{column}_low")
    high = t.get(f"{column}_high")
    fig = go.Figure(
        go.Scatter(
            x=t[column] * scale,
            y=t["channel"],
            mode="markers",
            marker={"size": 12, "color": [CHANNEL_COLORS.get(c, ACCENT) for c in t["channel"]]},
            error_x=None
            if low is None
            else {
                "type": "data",
                "symmetric": False,
                "array": (high - t[column]) * scale,
                "arrayminus": (t[column] - low) * scale,
                "thickness": 2,
                "width": 6,
            },
            hovertemplate="%{y}: %{x:.1f}<extra></extra>",
        )
    )
    fig.update_xaxes(
        title_text=f"{title} ({UNITS.get(kind, '')})", ticksuffix="%" if kind == "share" else ""
    )
    return style(fig, f"{title} (IC 95 %)", height=340)


def time_percentiles_figure(table: pd.DataFrame) -> go.Figure:
    """Median and 90th percentile of waiting and handling minutes per channel, as horizontal
    bars: a channel's name is a y label that never collides with its neighbour's (issue 17:
    at 1280 px the names under vertical bars ran into each other)."""
    fig = go.Figure()
    specs = [
        ("wait_median", "Espera: mediana", "#9ecae1"),
        ("wait_p90", "Espera: percentil 90", "#3182bd"),
        ("handle_median", "Atención: mediana", "#fdae6b"),
        ("handle_p90", "Atención: percentil 90", "#e6550d"),
    ]
    for col, name, color in specs:
        fig.add_trace(
            go.Bar(
                x=table[col],
                y=table["channel"],
                orientation="h",
                name=name,
                marker_color=color,
                hovertemplate="%{y}: %{x:.1f} min<extra>" + name + "</extra>",
            )
        )
    fig.update_layout(barmode="group", bargap=0.25)
    fig.update_xaxes(title_text="Minutos")
    # first channel on top, as in the table; each name on one line beside its bars
    fig.update_yaxes(autorange="reversed", automargin=True)
    return style(fig, "Espera y atención por canal (minutos)", height=120 + 52 * len(table))


def digital_share_bars(
    df: pd.DataFrame, id_col: str, label_col: str, title: str, highlight=None
) -> go.Figure:
    """Horizontal bars of the digital share, one per segment or office; the id travels in
    ``customdata`` so a click can drill down."""
    d = df.sort_values("digital_share")
    colors = [ACCENT if highlight is not None and i == highlight else "#1b7837" for i in d[id_col]]
    fig = go.Figure(
        go.Bar(
            x=d["digital_share"] * 100,
            y=d[label_col],
            orientation="h",
            customdata=d[[id_col, "contacts"]].to_numpy(),
            marker_color=colors,
            hovertemplate="%{y}: %{x:.1f}% digital de %{customdata[1]:,} contactos<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="Contactos en canales digitales (%)", ticksuffix="%")
    fig.update_yaxes(automargin=True)
    return style(fig, title, height=max(320, 22 * len(d) + 120))


def procedure_mix_figure(proc: pd.DataFrame) -> go.Figure:
    """Share of each procedure's contacts by channel (100 % stacked bars)."""
    totals = proc.groupby("procedure")["contacts"].transform("sum")
    p = proc.assign(share=100 * proc["contacts"] / totals)
    fig = go.Figure()
    for channel, rows in p.groupby("channel", sort=False):
        fig.add_trace(
            go.Bar(
                x=rows["share"],
                y=rows["procedure"],
                name=channel,
                orientation="h",
                marker_color=CHANNEL_COLORS.get(channel),
                hovertemplate="%{y}: %{x:.1f}%<extra>" + channel + "</extra>",
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text="Contactos del trámite (%)", range=[0, 100], ticksuffix="%")
    fig.update_yaxes(automargin=True)
    return style(fig, "Canal por el que se hace cada trámite (% de sus contactos)", height=420)
