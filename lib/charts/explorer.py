"""The explorer's chart: a line over months, or bars by the first dimension."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from lib.charts.theme import ACCENT, style
from lib.format import fmt_num
from lib.metrics import DIMENSIONS, Indicator

MAX_SERIES = 12
# A group whose rate rests on fewer cases than this (responses, contacts…) is not named in the
# one-line reading: 8 of 8 satisfied is "100 %" but says little (issue 17).
MIN_BASE = 30


def label_column(df: pd.DataFrame, dim: str) -> str:
    return f"{dim}_label" if f"{dim}_label" in df else dim


def explorer_figure(df: pd.DataFrame, metric: Indicator, dims: list[str]) -> go.Figure:
    title = f"{metric.label} ({metric.unit})"
    y_title = metric.unit
    data = df.dropna(subset=["value"])
    # Spanish names for every column plotly may print: legend title, axes, hover
    labels = {label_column(data, d): DIMENSIONS[d][0] for d in dims}
    labels |= {"month": "Mes", "value": metric.unit}
    others = [d for d in dims if d != "month"]
    color = label_column(data, others[0]) if others else None
    if color is not None and data[color].nunique() > MAX_SERIES:
        top = data.groupby(color)["numerator"].sum().nlargest(MAX_SERIES).index
        data = data[data[color].isin(top)]
        title += f" · las {MAX_SERIES} con mayor numerador"
    if "month" in dims:
        data = data.assign(month=pd.to_datetime(data["month"]))
        fig = px.line(data, x="month", y="value", color=color, markers=True, labels=labels)
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
            labels=labels,
        )
        fig.update_xaxes(title=DIMENSIONS[dims[0]][0])
    fig.update_yaxes(title=y_title)
    fig.update_traces(hovertemplate="%{x}<br>%{y:,.2f}<extra>%{fullData.name}</extra>")
    return style(fig, title)


def reading(df: pd.DataFrame, metric: Indicator, dims: list[str]) -> str:
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
    cols = [label_column(data, d) for d in dims]
    names = data[cols].astype(str).agg(" · ".join, axis=1)
    few = ""
    if metric.denominator is not None and "denominator" in data:
        base = data["denominator"].fillna(0)
        small = int((base < MIN_BASE).sum())
        if small == len(data):
            return (
                f"Ningún grupo reúne {MIN_BASE} casos en el denominador: los valores son "
                f"inestables y no se destaca ninguno ({len(data)} grupos)."
            )
        if small:
            few = f"; no se destacan {small} con menos de {MIN_BASE} casos"
        data = data[base >= MIN_BASE]

        def show_n(i: object) -> str:
            return f"{show(data.at[i, 'value'])}, n = {fmt_num(data.at[i, 'denominator'], 0)}"
    else:

        def show_n(i: object) -> str:
            return show(data.at[i, "value"])

    hi, lo = data["value"].idxmax(), data["value"].idxmin()
    total = len(names)
    return (
        f"Más alto: {names[hi]} ({show_n(hi)}); más bajo: {names[lo]} ({show_n(lo)}); "
        f"{total} grupos{few}."
    )


def explorer_table(
    df: pd.DataFrame, m: Indicator, dims: list[str], *, compared: bool
) -> tuple[pd.DataFrame, str]:
    """The explorer's result as the page's table (and its Excel sheet) shows it: Spanish
    headers, each dimension's name then its code, numerator and denominator, the value in its
    unit and, when ``compared``, the comparison and the change in its own unit. A plain sum
    drops the denominator (and the numerator too when the value is the numerator itself).
    Returns the table and the change column's header."""
    names = {label_column(df, d): DIMENSIONS[d][0] for d in dims}
    codes = {d: f"Clave {DIMENSIONS[d][0].lower()}" for d in dims if f"{d}_label" in df}
    value = f"{m.label} ({m.unit})"
    table = df.rename(
        columns={
            **names,
            **codes,
            "numerator": "Numerador",
            "denominator": "Denominador",
            "value": value,
            "previous": "Comparación",
            "change": "Cambio",
        }
    )
    extra = ["Comparación", "Cambio"] if compared else []
    change_label = f"Cambio ({df['change_unit'].iloc[0]})" if compared else "Cambio"
    table = table[
        [*names.values(), *codes.values(), "Numerador", "Denominador", value, *extra]
    ].rename(columns={"Cambio": change_label})
    if m.denominator is None and not m.stock:  # a plain sum: the value is the numerator
        table = table.drop(columns=["Denominador"] + (["Numerador"] if m.scale == 1 else []))
    return table, change_label
