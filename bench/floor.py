"""The benchmark's floor: a Streamlit page with a given number of KPI cards, charts and tables
drawn from constant data, no database, no filters' queries (``python -m lib bench``).

The bench renders this script under the same AppTest harness as the real pages, with the
counts of the page it compares (``?metrics=9&charts=2&tables=1``), so "page time / floor time"
says how much the page costs beyond what Streamlit and Plotly need to draw the same elements
on this machine. Not a page of the app: it is not in lib/ui/nav.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from lib.charts.theme import PLOTLY_CONFIG
from lib.ui.layout import data_table


def _count(name: str) -> int:
    try:
        return max(0, min(50, int(st.query_params.get(name, "0"))))
    except ValueError:
        return 0


n_metrics, n_charts, n_tables = _count("metrics"), _count("charts"), _count("tables")
st.set_page_config(page_title="Piso del benchmark · Mirador", layout="wide")
# the same six sidebar selectboxes every filtered page has
for key, options in (
    ("desde", ["2025-11", "2025-12"]),
    ("hasta", ["2026-10", "2026-09"]),
    ("ooad", ["todas", "1"]),
    ("subdel", ["todas", "1"]),
    ("canal", ["todos", "web"]),
    ("tamano", ["todos", "S1"]),
):
    st.sidebar.selectbox(key, options, key=f"piso_{key}")
st.title("Piso del benchmark")
st.caption("Datos constantes: lo mínimo que cuesta dibujar los mismos elementos.")

months = pd.date_range("2025-11-01", periods=12, freq="MS")
rng = np.random.default_rng(0)
if n_metrics:
    cols = st.columns(min(n_metrics, 5))
    for i in range(n_metrics):
        cols[i % len(cols)].metric(f"Indicador {i + 1}", f"{1000 + i:,}", delta=f"{i % 3 - 1}.0%")
for i in range(n_charts):
    fig = go.Figure()
    for s in range(6):
        fig.add_bar(x=months, y=rng.integers(100, 1000, size=12), name=f"Serie {s + 1}")
    fig.update_layout(title=f"Gráfica {i + 1} (contactos)", barmode="stack", height=360)
    st.plotly_chart(fig, config=PLOTLY_CONFIG, width="stretch")
    st.caption("Una línea de lectura bajo la gráfica.")
for i in range(n_tables):
    table = pd.DataFrame(
        {
            "Unidad": [f"Oficina {k}" for k in range(35)],
            "Contactos": rng.integers(1000, 100000, size=35),
            "Tasa": rng.random(35),
            "Cambio": rng.normal(size=35),
        }
    )
    data_table(table, key=f"piso_tabla_{i}")
