"""Figures of the service evaluation page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from lib.analysis.service import Z95, Z998, funnel_limits
from lib.charts.theme import ACCENT, style

BAD, GOOD, NEUTRAL = "#b2182b", "#1b7837", "#7f7f7f"


def funnel_figure(f: pd.DataFrame, title: str) -> go.Figure:
    """% satisfied against responses, with 95 % and 99.8 % limits around the overall value."""
    p0 = float(f["p0"].iloc[0])
    n = np.geomspace(max(5, f["responses"].min() * 0.8), f["responses"].max() * 1.2, 120)
    fig = go.Figure()
    for z, dash, name in ((Z998, "dash", "Límite 99.8 %"), (Z95, "dot", "Límite 95 %")):
        lo, hi = funnel_limits(p0, n, z)
        for y, show in ((lo, True), (hi, False)):
            fig.add_trace(
                go.Scatter(
                    x=n,
                    y=100 * y,
                    mode="lines",
                    name=name,
                    showlegend=show,
                    line={"color": NEUTRAL, "dash": dash, "width": 1},
                    hoverinfo="skip",
                )
            )
    fig.add_hline(
        y=100 * p0,
        line={"color": ACCENT, "width": 1},
        annotation_text=f"Valor de referencia {100 * p0:.1f}%",
    )
    colors = np.where(
        f["status"] == "bajo 99.8 %", BAD, np.where(f["status"] == "sobre 99.8 %", GOOD, "#6baed6")
    )
    fig.add_trace(
        go.Scatter(
            x=f["responses"],
            y=100 * f["p"],
            mode="markers",
            name="Oficinas",
            marker={"size": 9, "color": colors, "line": {"width": 0.5, "color": "white"}},
            text=f["label"],
            customdata=np.stack([f["key"], f["z"]], axis=1),
            hovertemplate="%{text}: %{y:.1f}% satisfechos de %{x:,} respuestas "
            "(z = %{customdata[1]:.1f})<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="Respuestas (escala logarítmica)", type="log")
    fig.update_yaxes(title_text="Satisfechos (%)", ticksuffix="%")
    return style(fig, title, height=460)


def p_chart_figure(d: pd.DataFrame, title: str) -> go.Figure:
    """Monthly % satisfied with centre line and 3-sigma limits (drawn per phase, so they
    break at a detected level shift); months with a signal (``signal``) in red."""
    fig = go.Figure()
    phases = d["phase"] if "phase" in d else pd.Series(0, index=d.index)
    for i, (_, g) in enumerate(d.groupby(phases, sort=True)):
        for col, name, line in (
            ("ucl", "Límites 3σ", {"color": NEUTRAL, "dash": "dash", "width": 1}),
            ("lcl", None, {"color": NEUTRAL, "dash": "dash", "width": 1}),
            ("centre", "Línea central", {"color": ACCENT, "width": 1}),
        ):
            fig.add_trace(
                go.Scatter(
                    x=g["month"],
                    y=100 * g[col],
                    mode="lines",
                    name=name,
                    showlegend=name is not None and i == 0,
                    legendgroup=col if col != "lcl" else "ucl",
                    line=line,
                )
            )
    signal = d["signal"] if "signal" in d else d["outside"] | d["in_run"]
    fig.add_trace(
        go.Scatter(
            x=d["month"],
            y=100 * d["p"],
            mode="lines+markers",
            name="Satisfechos (%)",
            line={"color": "#2166ac"},
            marker={"size": 8, "color": np.where(signal, BAD, "#2166ac")},
            customdata=d["responses"],
            hovertemplate="%{x|%b %Y}: %{y:.1f}% de %{customdata:,} respuestas<extra></extra>",
        )
    )
    fig.update_yaxes(title_text="Satisfechos (%)", ticksuffix="%")
    fig.update_xaxes(tickformat="%b %Y")
    return style(fig, title, height=360)


def drivers_figure(t: pd.DataFrame) -> go.Figure:
    d = t.sort_values("r2_share")
    fig = go.Figure(
        go.Bar(
            x=100 * d["importance"],
            y=d["label"],
            orientation="h",
            marker_color=ACCENT,
            customdata=d["coefficient"],
            hovertemplate="%{y}: %{x:.1f}% de la varianza explicada; +1 punto en la dimensión = "
            "%{customdata:+.2f} en CSAT<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="Parte de la satisfacción explicada (%)", ticksuffix="%")
    return style(
        fig, "Qué dimensiones mueven la satisfacción (importancia relativa, %)", height=320
    )


def score_bars(t: pd.DataFrame, title: str) -> go.Figure:
    """% satisfied with 95 % intervals, one bar per row of a score table."""
    d = t.dropna(subset=["satisfied"]).sort_values("satisfied")
    fig = go.Figure(
        go.Bar(
            x=100 * d["satisfied"],
            y=d["label"].astype(str),
            orientation="h",
            marker_color="#2166ac",
            error_x={
                "type": "data",
                "symmetric": False,
                "array": 100 * (d["satisfied_high"] - d["satisfied"]),
                "arrayminus": 100 * (d["satisfied"] - d["satisfied_low"]),
            },
            customdata=d["responses"],
            hovertemplate="%{y}: %{x:.1f}% de %{customdata:,} respuestas<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="Satisfechos (%) con IC 95 %", ticksuffix="%", range=[0, 100])
    fig.update_yaxes(automargin=True)
    return style(fig, title, height=max(300, 24 * len(d) + 120))
