"""Figures of the work-program planner."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from lib.charts.theme import ACCENT, CHANNEL_COLORS, style


def forecast_figure(
    history: pd.DataFrame, monthly: pd.DataFrame, names: dict, year: int, level: float
) -> go.Figure:
    """History (solid) and forecast (dotted) of monthly contacts per channel, with the
    forecast's interval as a band. ``history``: month, channel_id, contacts; ``monthly``:
    channel_id, month, forecast, lower, upper."""
    fig = go.Figure()
    for channel_id, name in names.items():
        color = CHANNEL_COLORS.get(name, ACCENT)
        h = (
            history[history["channel_id"] == channel_id]
            .groupby("month", as_index=False)["contacts"]
            .sum()
        )
        f = monthly[monthly["channel_id"] == channel_id]
        if h.empty and f.empty:
            continue
        fig.add_scatter(
            x=h["month"],
            y=h["contacts"],
            name=name,
            mode="lines",
            line={"color": color},
            legendgroup=name,
        )
        fig.add_scatter(
            x=list(f["month"]) + list(f["month"])[::-1],
            y=list(f["upper"]) + list(f["lower"])[::-1],
            fill="toself",
            fillcolor=color,
            opacity=0.15,
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
            legendgroup=name,
        )
        fig.add_scatter(
            x=f["month"],
            y=f["forecast"],
            name=f"{name} (pronóstico)",
            mode="lines",
            line={"color": color, "dash": "dot"},
            legendgroup=name,
            showlegend=False,
        )
    fig.update_yaxes(title_text="Contactos al mes", rangemode="tozero")
    return style(
        fig,
        f"Contactos por canal: historia y pronóstico {year} (contactos al mes)",
        f"Línea punteada: pronóstico; banda: intervalo de predicción al {level:.0%}",
        height=420,
    )


def backtest_figure(frame: pd.DataFrame, mape: float) -> go.Figure:
    """Actual against forecast months of the backtest year (all channels)."""
    fig = go.Figure()
    fig.add_scatter(
        x=frame["month"],
        y=frame["actual"],
        name="Real",
        mode="lines+markers",
        line={"color": ACCENT},
    )
    fig.add_scatter(
        x=frame["month"],
        y=frame["forecast"],
        name="Pronosticado",
        mode="lines",
        line={"color": "#d94801", "dash": "dot"},
    )
    fig.update_yaxes(title_text="Contactos al mes", rangemode="tozero")
    return style(
        fig,
        "Contraste: último año real frente a su pronóstico (contactos al mes)",
        f"Error porcentual absoluto medio (MAPE): {mape:.1f}%",
        height=340,
    )


def capacity_figure(table: pd.DataFrame, names: dict) -> go.Figure:
    """Hours needed (with the forecast interval) against hours available per channel."""
    t = table[table["channel_id"] != "total"]
    labels = [names.get(c, c) for c in t["channel_id"]]
    fig = go.Figure()
    fig.add_bar(
        x=labels,
        y=t["hours_needed"],
        name="Horas necesarias",
        marker_color=ACCENT,
        error_y={
            "type": "data",
            "symmetric": False,
            "array": t["hours_upper"] - t["hours_needed"],
            "arrayminus": t["hours_needed"] - t["hours_lower"],
        },
    )
    fig.add_bar(x=labels, y=t["hours_available"], name="Horas disponibles", marker_color="#5aae61")
    fig.update_yaxes(title_text="Horas de personal al año")
    return style(
        fig,
        "Capacidad: horas necesarias frente a disponibles (horas al año)",
        "Barras de error: intervalo del pronóstico de contactos",
        height=360,
    )
