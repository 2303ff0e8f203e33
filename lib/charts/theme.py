"""House style for every figure, and the Plotly config that makes dates speak Spanish."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from lib.filters import add_months
from lib.format import DAYS, DAYS_SHORT, MONTHS, MONTHS_SHORT, month_label

CHANNEL_COLORS = {
    "Ventanilla única": "#8c2d04",
    "Asistencia personalizada": "#d94801",
    "Servicios en línea": "#1b7837",
    "Contact center": "#2166ac",
    "Buzón IMSS": "#5aae61",
    "Impresos": "#7f7f7f",
}
ACCENT = "#13322B"  # IMSS green-black
GRID = "#e5e5e5"
# Every figure starts from this template. Set as the default once rather than per figure in
# ``style``: naming a template in update_layout validates and deep-copies it, ~9 ms a figure
# against ~0.6 ms for the default (issue 20's profile: 18 ms of the overview's warm view).
TEMPLATE = "plotly_white"
pio.templates.default = TEMPLATE

PLOTLY_LOCALE_ES = {
    "moduleType": "locale",
    "name": "es-MX",
    # plotly.js's own strings (mode bar titles, messages, box/candlestick hover labels), keyed
    # by their English text as plotly.js's modebar calls _(gd, "…") with it (checked against the
    # plotly.js bundled in Streamlit 1.67: static/js/PlotlyChart.*.js)
    "dictionary": {
        "Autoscale": "Autoescalar",
        "Box Select": "Seleccionar con rectángulo",
        "Click to enter Colorscale title": "Clic para escribir el título de la escala de color",
        "Click to enter Component A title": "Clic para escribir el título del componente A",
        "Click to enter Component B title": "Clic para escribir el título del componente B",
        "Click to enter Component C title": "Clic para escribir el título del componente C",
        "Click to enter Plot title": "Clic para escribir el título de la gráfica",
        "Click to enter X axis title": "Clic para escribir el título del eje X",
        "Click to enter Y axis title": "Clic para escribir el título del eje Y",
        "Click to enter radial axis title": "Clic para escribir el título del eje radial",
        "Compare data on hover": "Comparar datos al pasar el cursor",
        "Double-click on legend to isolate one trace": (
            "Doble clic en la leyenda para aislar una serie"
        ),
        "Double-click to zoom back out": "Doble clic para volver a alejar",
        "Download plot": "Descargar gráfica",
        "Download plot as a PNG": "Descargar gráfica como PNG",  # plotly.js 3 (Streamlit 1.67)
        "Download plot as a png": "Descargar gráfica como PNG",  # plotly.js 2 (kaleido, older)
        "Download plot as JSON": "Descargar gráfica como JSON",
        "Image download succeeded": "Imagen descargada",
        "JSON download succeeded": "JSON descargado",
        "Preparing image - this may take a few seconds": (
            "Preparando la imagen; puede tardar unos segundos"
        ),
        "Sorry, there was a problem downloading your image!": "No se pudo descargar la imagen.",
        "Sorry, there was a problem downloading your JSON file!": (
            "No se pudo descargar el archivo JSON."
        ),
        "Click to enter Plot subtitle": "Clic para escribir el subtítulo de la gráfica",
        "Share chart": "Compartir gráfica",
        "Cancel": "Cancelar",
        "Draw circle": "Dibujar círculo",
        "Draw closed freeform": "Dibujar forma libre cerrada",
        "Draw line": "Dibujar línea",
        "Draw open freeform": "Dibujar forma libre abierta",
        "Draw rectangle": "Dibujar rectángulo",
        "Edit in Chart Studio": "Editar en Chart Studio",
        "Erase active shape": "Borrar la forma activa",
        "Lasso Select": "Seleccionar con lazo",
        "Orbital rotation": "Rotación orbital",
        "Pan": "Desplazar",
        "Produced with Plotly.js": "Hecho con Plotly.js",
        "Reset": "Restablecer",
        "Reset axes": "Restablecer ejes",
        "Reset camera to default": "Restablecer la cámara",
        "Reset camera to last save": "Volver a la última cámara guardada",
        "Reset view": "Restablecer vista",
        "Reset views": "Restablecer vistas",
        "Show closest data on hover": "Mostrar el dato más cercano al pasar el cursor",
        "Snapshot succeeded": "Imagen descargada",
        "Sorry, there was a problem downloading your snapshot!": (
            "No se pudo descargar la imagen."
        ),
        "Taking snapshot - this may take a few seconds": (
            "Generando la imagen; puede tardar unos segundos"
        ),
        "Toggle Spike Lines": "Mostrar u ocultar líneas guía",
        "Toggle show closest data on hover": "Mostrar u ocultar el dato más cercano",
        "Turntable rotation": "Rotación sobre eje",
        "Zoom": "Acercar área",
        "Zoom in": "Acercar",
        "Zoom out": "Alejar",
        "close:": "cierre:",
        "high:": "máximo:",
        "low:": "mínimo:",
        "open:": "apertura:",
        "kde:": "densidad:",
        "lower fence:": "límite inferior:",
        "upper fence:": "límite superior:",
        "max:": "máx.:",
        "mean ± σ:": "media ± σ:",
        "mean:": "media:",
        "median:": "mediana:",
        "min:": "mín.:",
        "q1:": "Q1:",
        "q3:": "Q3:",
        "new text": "texto nuevo",
        "trace": "serie",
        "source:": "origen:",
        "target:": "destino:",
        "incoming flow count:": "flujos de entrada:",
        "outgoing flow count:": "flujos de salida:",
    },
    "format": {
        "days": DAYS,
        "shortDays": DAYS_SHORT,
        "months": [m.capitalize() for m in MONTHS],
        "shortMonths": MONTHS_SHORT,
        "date": "%d/%m/%Y",
        "decimal": ".",
        "thousands": ",",
        "grouping": [3],
        "currency": ["$", ""],
    },
}

PLOTLY_CONFIG = {
    "locale": "es-MX",
    "locales": {"es-MX": PLOTLY_LOCALE_ES},
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


TITLE_PX = 34  # a one-line title (17.5 px font) and its padding, from the top of the figure
SUBTITLE_PX = 20  # the <sup> line under it


def has_legend(fig: go.Figure) -> bool:
    """Whether plotly will draw a legend: from two named traces on, or for a trace with
    showlegend=True, unless the layout turns it off."""
    if fig.layout.showlegend is False:
        return False
    named = [t for t in fig.data if t.name and t.showlegend is not False]
    return len(named) >= 2 or any(t.showlegend is True for t in named)


def style(fig: go.Figure, title: str, subtitle: str | None = None, height: int = 380) -> go.Figure:
    """Title (with units), white background, light grid, and the legend horizontal between
    the title and the plot (issue 17: a legend under the plot sat on the x axis's labels and
    title, whose height varies with the width of the screen).

    The legend hangs from a fixed height under the title (``yref="container"``); plotly then
    reserves the top margin down to the legend's last row, however many rows the entries wrap
    into at the width the chart is drawn, so the plot starts below it: neither the title nor
    the axes are ever covered, on a phone as on a desktop."""
    text = title if not subtitle else f"{title}<br><sup>{subtitle}</sup>"
    title_px = TITLE_PX + (SUBTITLE_PX if subtitle else 0)
    legend = has_legend(fig)
    if fig.layout.template.layout.plot_bgcolor != "white":  # made before this module's import
        fig.update_layout(template=TEMPLATE)
    fig.update_layout(
        title={
            "text": text,
            "x": 0,
            "xanchor": "left",
            "xref": "container",
            "y": 1,
            "yanchor": "top",
            "yref": "container",
            "pad": {"t": 8, "l": 4},
        },
        height=height,
        # with a legend, the legend's reserved room covers the title's too
        margin={"l": 10, "r": 10, "t": 8 if legend else title_px + 6, "b": 10},
        legend={
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "xref": "paper",
            "y": 1 - title_px / height,
            "yanchor": "top",
            "yref": "container",
            "font": {"size": 12},
        },
        separators=".,",
        font={"family": "Source Sans Pro, sans-serif", "size": 13},
        hoverlabel={"namelength": -1},
    )
    # full numbers with separators (36,000), never Plotly's SI "36k" (English, and "k" is not
    # how a Mexican reader abbreviates thousands); a tickformat set by the chart still wins
    fig.update_xaxes(gridcolor=GRID, exponentformat="none", separatethousands=True)
    fig.update_yaxes(gridcolor=GRID, exponentformat="none", separatethousands=True)
    return fig


def _as_month(v: object) -> dt.date | None:
    """A date-like x value as the first of its month; None for anything else (numbers and
    category labels are not dates)."""
    if not (isinstance(v, dt.date | np.datetime64) or (isinstance(v, str) and _ISO_DATE.match(v))):
        return None
    t = pd.Timestamp(v)
    return dt.date(t.year, t.month, 1)


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def spanish_month_ticks(fig: go.Figure, max_ticks: int = 12) -> go.Figure:
    """``fig`` with every date x axis labelled by explicit ticks in Spanish ("ene 2024"), one
    a month or every few months (at most ``max_ticks``). For images drawn outside the
    browser (kaleido, Word): there plotly.js has no locale, and its own month names are
    English whatever the config says; on screen PLOTLY_CONFIG's locale does it."""
    months: dict[str, set[dt.date]] = {}
    for trace in fig.data:
        xs = getattr(trace, "x", None)
        if xs is None or len(xs) == 0:
            continue
        parsed = [_as_month(v) for v in xs]
        dates = [m for m in parsed if m is not None]
        if len(dates) < len(parsed):
            continue
        axis = getattr(trace, "xaxis", None) or "x"
        months.setdefault(axis, set()).update(dates)
    for axis, found in months.items():
        first, last = min(found), max(found)
        span = (last.year - first.year) * 12 + last.month - first.month + 1
        step = -(-span // max_ticks)  # ceil
        ticks = [add_months(first, i) for i in range(0, span, step)]
        fig.update_layout(
            {
                f"xaxis{axis[1:]}": {
                    "tickmode": "array",
                    "tickvals": [d.isoformat() for d in ticks],
                    "ticktext": [month_label(d) for d in ticks],
                }
            }
        )
    return fig
