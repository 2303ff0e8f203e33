"""Estudio comparativo de canales de atención y servicio."""

from functools import partial

import streamlit as st

from lib.analysis import channels as study
from lib.policy import Permission
from lib.queries import channels as q
from lib.ui import canales as tab
from lib.ui import crossfilter
from lib.ui.context import page_setup, query
from lib.ui.data import cached_pure
from lib.ui.drill import breadcrumb
from lib.ui.layout import lazy_tabs

ctx = crossfilter.narrow(
    page_setup(
        "Canales de atención", Permission.PAGE_CANALES, caption="Estudio comparativo de canales"
    )
)
f = ctx.filters

sums = query(ctx, q.channel_sums, f)
hist = query(ctx, q.time_histograms, f)
table = cached_pure(study.channel_table, sums, hist, f.n_months)
tests = cached_pure(study.pairwise_tests, sums, hist, table)
names = table["channel"].to_dict()
ooad_name = ctx.ooads.set_index("id")["name"].get(f.ooad_id)
subdel_name = ctx.subdelegaciones.set_index("id")["name"].get(f.subdelegacion_id)
breadcrumb(f, ooad_name, subdel_name)

if sums["contacts"].sum() == 0:
    st.info("No hay contactos para este periodo y alcance. Amplíe el periodo o quite filtros.")
    st.stop()

tab.verdicts(f, table, tests)

# Only the open tab is computed; which one is open is part of the URL (?vista=...).
lazy_tabs(
    {
        "Comparación": partial(tab.comparison, table),
        "Tendencias": partial(tab.trends, ctx, f),
        "Segmentos y oficinas": partial(tab.segments, ctx, f, ooad_name),
        "Trámites": partial(tab.procedures, ctx, f, names),
        "Colas y abandono": partial(tab.queues, ctx, f, sums),
        "Exportar": partial(tab.export, ctx, f, table, tests, names),
    }
)
