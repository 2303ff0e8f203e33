"""Model card figures: how much of the risk the ranking finds, and whether its percentages
can be read as probabilities."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from lib.charts.theme import ACCENT, style

MODEL_NAMES = {
    "boosting": "Árboles potenciados (gradient boosting)",
    "logistic": "Logística",
    "rule_late_last_month": "Regla: pagó tarde el mes pasado",
}
COLORS = {"boosting": ACCENT, "logistic": "#2166ac", "rule_late_last_month": "#b2182b"}


def gain_figure(curves: dict[str, dict[str, list[float]]]) -> go.Figure:
    """Cumulative gain: share of next-quarter late payers found orienting the top x %."""
    fig = go.Figure()
    for name, c in curves.items():
        fig.add_scatter(
            x=[100 * f for f in [0.0, *c["fraction"]]],
            y=[100 * g for g in [0.0, *c["gain"]]],
            mode="lines+markers",
            name=MODEL_NAMES.get(name, name),
            line={"color": COLORS.get(name)},
            hovertemplate="%{x:.0f}% más riesgoso: %{y:.1f}% de los incumplidos<extra></extra>",
        )
    fig.add_scatter(
        x=[0, 100], y=[0, 100], mode="lines", name="Al azar", line={"dash": "dot", "color": "#999"}
    )
    fig.update_xaxes(title="Patrones orientados, del más riesgoso (%)", range=[0, 100])
    fig.update_yaxes(title="Incumplidos encontrados (%)", range=[0, 101])
    return style(fig, "Ganancia acumulada (%)", "Corte de evaluación; más arriba es mejor")


def calibration_figure(curves: dict[str, list[float]], model: str) -> go.Figure:
    """Observed late rate against the mean predicted risk, by score decile."""
    d = pd.DataFrame(
        {
            "predicted": [100 * v for v in curves["calibration_predicted"]],
            "observed": [100 * v for v in curves["calibration_observed"]],
        }
    )
    top = max(d["predicted"].max(), d["observed"].max(), 1) * 1.05
    fig = go.Figure()
    fig.add_scatter(
        x=[0, top],
        y=[0, top],
        mode="lines",
        name="Calibración perfecta",
        line={"dash": "dot", "color": "#999"},
    )
    fig.add_scatter(
        x=d["predicted"],
        y=d["observed"],
        mode="lines+markers",
        name=MODEL_NAMES.get(model, model),
        line={"color": COLORS.get(model, ACCENT)},
        hovertemplate="Predicho %{x:.1f}% · observado %{y:.1f}%<extra></extra>",
    )
    fig.update_xaxes(title="Riesgo predicho, promedio del decil (%)", range=[0, top])
    fig.update_yaxes(title="Tasa observada de pago tardío (%)", range=[0, top])
    return style(fig, "Calibración por decil de riesgo (%)", "Sobre la diagonal: el riesgo es real")


def orientations_figure(monthly: pd.DataFrame) -> go.Figure:
    """Orientations recorded per month, stacked by outcome."""
    fig = go.Figure()
    for outcome, part in monthly.groupby("outcome", sort=False):
        fig.add_bar(x=part["month"], y=part["orientations"], name=str(outcome).capitalize())
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title=None, tickformat="%b %Y")
    fig.update_yaxes(title="Orientaciones", tickformat=",d")
    return style(fig, "Orientaciones registradas por mes (patrones)", "Por resultado")
