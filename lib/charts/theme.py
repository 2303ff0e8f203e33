"""House style for every figure, and the Plotly config that makes dates speak Spanish."""

from __future__ import annotations

import plotly.graph_objects as go

from lib.format import DAYS, DAYS_SHORT, MONTHS, MONTHS_SHORT

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

PLOTLY_LOCALE_ES = {
    "moduleType": "locale",
    "name": "es-MX",
    "dictionary": {
        "Download plot as a png": "Descargar como PNG",
        "Zoom": "Acercar",
        "Pan": "Desplazar",
        "Reset axes": "Restablecer ejes",
        "Autoscale": "Autoescalar",
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


def style(fig: go.Figure, title: str, subtitle: str | None = None, height: int = 380) -> go.Figure:
    """Title (with units), white background, light grid, legend on top."""
    text = title if not subtitle else f"{title}<br><sup>{subtitle}</sup>"
    fig.update_layout(
        title={"text": text, "x": 0, "xanchor": "left"},
        template="plotly_white",
        height=height,
        margin={"l": 10, "r": 10, "t": 70 if subtitle else 50, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": -0.3, "x": 0},
        separators=".,",
        font={"family": "Source Sans Pro, sans-serif", "size": 13},
        hoverlabel={"namelength": -1},
    )
    fig.update_xaxes(gridcolor=GRID)
    fig.update_yaxes(gridcolor=GRID)
    return fig
