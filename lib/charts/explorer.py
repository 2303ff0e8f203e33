"""The explorer's chart: a line over months, or bars by the first dimension."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from lib.charts.theme import ACCENT, style
from lib.format import fmt_num
from lib.metrics import DIMENSIONS, Metric

MAX_SERIES = 12


def label_column(df: pd.DataFrame, dim: str) -> str:
    return f"{dim}_label" if f"{dim}_label" in df else dim


def explorer_figure(df: pd.DataFrame, metric: Metric, dims: list[str]) -> go.Figure:
    title = f"{metric.name} ({metric.unit})"
    y_title = metric.unit
    data = df.dropna(subset=["value"])
    others = [d for d in dims if d != "month"]
    color = label_column(data, others[0]) if others else None
    if color is not None and data[color].nunique() > MAX_SERIES:
        top = data.groupby(color)["numerator"].sum().nlargest(MAX_SERIES).index
        data = data[data[color].isin(top)]
        title += f" · las {MAX_SERIES} con mayor numerador"
    if "month" in dims:
        data = data.assign(month=pd.to_datetime(data["month"]))
        fig = px.line(data, x="month", y="value", color=color, markers=True)
        fig.update_xaxes(title=None, tickformat="%b %Y")
    else:
        x = label_column(data, dims[0])
        second = label_column(data, dims[1]) if len(dims) > 1 else None
        fig = px.bar(
            data,
            x=x,
            y="value",
            color=second,
            custom_data=[dims[0]],  # the clicked bar's code, for click to filter
            barmode="group",
            color_discrete_sequence=None if second else [ACCENT],
        )
        fig.update_xaxes(title=DIMENSIONS[dims[0]][0])
    fig.update_yaxes(title=y_title)
    fig.update_traces(hovertemplate="%{x}<br>%{y:,.2f}<extra>%{fullData.name}</extra>")
    return style(fig, title)


def reading(df: pd.DataFrame, metric: Metric, dims: list[str]) -> str:
    """One line under the chart: the highest and lowest group, or the trend."""
    data = df.dropna(subset=["value"])
    if data.empty:
        return "Sin datos para esta selección."
    unit = "" if metric.unit == "%" else f" {metric.unit}"
    pct = "%" if metric.unit == "%" else ""

    def show(v: float) -> str:
        return f"{fmt_num(v, metric.decimals)}{pct}{unit}"

    if dims == ["month"]:
        first, last = data.iloc[0], data.iloc[-1]
        return (
            f"De {show(first['value'])} en el primer mes a {show(last['value'])} en el último "
            f"({len(data)} meses)."
        )
    key = " · ".join(label_column(data, d) for d in dims)
    cols = [label_column(data, d) for d in dims]
    names = data[cols].astype(str).agg(" · ".join, axis=1)
    hi, lo = data["value"].idxmax(), data["value"].idxmin()
    del key
    return (
        f"Más alto: {names[hi]} ({show(data.at[hi, 'value'])}); más bajo: {names[lo]} "
        f"({show(data.at[lo, 'value'])}); {len(data)} grupos."
    )
