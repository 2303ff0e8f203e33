"""Figures of the campaign page."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from lib.charts.theme import ACCENT, style


def event_study_figure(es: pd.DataFrame, start_label: str) -> go.Figure:
    """Effect on on-time payment per month around the start, with 95 % intervals."""
    d = es.copy()
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=d["relative_period"],
            y=100 * d["effect"],
            mode="markers+lines",
            name="Efecto",
            line={"color": ACCENT},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": 100 * (d["ci_high"] - d["effect"]),
                "arrayminus": 100 * (d["effect"] - d["ci_low"]),
                "thickness": 1.5,
            },
            hovertemplate="mes %{x}: %{y:.1f} pp<extra></extra>",
        )
    )
    fig.add_hline(y=0, line={"color": "#7f7f7f", "width": 1})
    fig.add_vline(
        x=-0.5,
        line={"color": "#b2182b", "dash": "dash", "width": 1},
        annotation_text=f"inicio ({start_label})",
    )
    fig.update_xaxes(title_text="Meses desde el inicio (mes -1 = referencia)", dtick=1)
    fig.update_yaxes(title_text="Tratados menos control (pp)", ticksuffix=" pp")
    return style(fig, "Efecto mes a mes sobre el pago oportuno (pp, IC 95 %)", height=380)


def effects_figure(d: pd.DataFrame, label: str, title: str) -> go.Figure:
    """Horizontal dots with intervals: effect in pp per segment or per campaign."""
    d = d.sort_values("effect_pp")
    fig = go.Figure(
        go.Scatter(
            x=d["effect_pp"],
            y=d[label].astype(str),
            mode="markers",
            marker={"size": 10, "color": ACCENT},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": d["ci_high_pp"] - d["effect_pp"],
                "arrayminus": d["effect_pp"] - d["ci_low_pp"],
            },
            hovertemplate="%{y}: %{x:.1f} pp<extra></extra>",
        )
    )
    fig.add_vline(x=0, line={"color": "#7f7f7f", "width": 1})
    fig.update_xaxes(title_text="Efecto sobre el pago oportuno (pp)", ticksuffix=" pp")
    fig.update_yaxes(automargin=True)
    return style(fig, title, height=max(300, 28 * len(d) + 120))
