"""Resumen ejecutivo: the first page a division head sees."""

import streamlit as st

from lib.analysis.kpis import (
    comparison_period,
    kpi_display_table,
    kpi_export_table,
    kpi_table,
)
from lib.analysis.movers import top_movers
from lib.analysis.readings import digital_share_reading, mover_sentence
from lib.charts.theme import PLOTLY_CONFIG
from lib.charts.trends import channel_volume_figure
from lib.filters import add_months
from lib.format import period_label
from lib.policy import Permission
from lib.queries import overview
from lib.ui import crossfilter
from lib.ui.context import page_setup, query
from lib.ui.data import cached_figure
from lib.ui.kpi import kpi_grid
from lib.ui.layout import csv_button, data_table
from lib.ui.offices import offices_section

ctx = crossfilter.narrow(page_setup("Resumen ejecutivo", Permission.PAGE_RESUMEN))
f = ctx.filters
comparison, comparison_label = comparison_period(f, ctx.meta.months)

first = min(comparison.start if comparison else f.start, add_months(f.end, -11))
monthly = query(ctx, overview.monthly_indicators, f, first)
table = kpi_table(monthly, f, comparison, loaded=ctx.meta.loaded)

st.subheader(f"Indicadores de {period_label(f.start, f.end)}")
if comparison:
    st.caption(
        f"Cambios {comparison_label} ({period_label(comparison.start, comparison.end)}); "
        "la línea de cada tarjeta es su tendencia mensual hasta el último mes elegido."
    )
kpi_grid(table, comparison_label, channel_filtered=f.channel_id is not None)

left, right = st.columns([3, 2])
with left:
    by_channel = query(ctx, overview.channel_month_contacts, f)
    st.plotly_chart(
        cached_figure(channel_volume_figure, by_channel),
        config=PLOTLY_CONFIG,
        width="stretch",
        **crossfilter.chart_events("resumen_canales", "channel"),
    )
    st.caption(f"{digital_share_reading(by_channel)} ({crossfilter.hint('channel')}).")
with right:
    unit = "subdelegación" if f.ooad_id is not None else "OOAD"
    st.subheader(
        "Lo que más cambió",
        help=(
            f"Cambios por {unit} frente al periodo de comparación, ordenados por qué tan poco "
            "probable es que sean ruido (estadístico z; se listan |z| ≥ 3)."
        ),
    )
    if comparison is None:
        st.info("No hay un periodo de comparación en los datos para este filtro.")
    else:
        names = ctx.subdelegaciones if f.ooad_id is not None else ctx.ooads
        names = dict(zip(names["id"], names["name"], strict=True))
        movers = top_movers(
            query(ctx, overview.unit_indicators, f),
            query(ctx, overview.unit_indicators, comparison),
            names,
        )
        if movers.empty:
            st.write(f"Ningún cambio por {unit} es mayor que el ruido esperado.")
        for _, row in movers.iterrows():
            st.markdown(mover_sentence(row))
        st.caption(comparison_label)

with st.expander("Tabla de indicadores"):
    # on screen each row in its own unit (38.7%, +3.0 pp, $1,461,225,877); the CSV keeps
    # numbers and says each row's unit in a column (lib.analysis.kpis)
    data_table(kpi_display_table(table))
    csv_button(
        ctx,
        "Descargar CSV",
        kpi_export_table(table),
        "resumen_indicadores.csv",
        {"alcance": ctx.scope},
    )

offices_section(ctx, comparison, comparison_label)
