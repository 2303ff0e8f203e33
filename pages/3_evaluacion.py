"""Evaluación del servicio: scores, fair comparison of offices, change over time, drivers."""

from functools import partial

import streamlit as st

from lib.analysis import service as ev
from lib.policy import Permission
from lib.queries import service as q
from lib.ui import crossfilter
from lib.ui import evaluacion as tab
from lib.ui.context import page_setup, query
from lib.ui.layout import lazy_tabs

ctx = crossfilter.narrow(
    page_setup(
        "Evaluación del servicio",
        Permission.PAGE_EVALUACION,
        caption="Encuestas posteriores al contacto",
    )
)
f = ctx.filters
channel_names = ctx.channels.set_index("id")["name"].to_dict()

overall = query(ctx, q.scores_by, f, "channel")
totals = overall.drop(columns=["key", "label"]).sum().to_frame().T.assign(key="all", label="Todo")
top = ev.score_table(totals).iloc[0]
if top["responses"] == 0:
    st.info("No hay encuestas para este periodo y alcance. Amplíe el periodo o quite filtros.")
    st.stop()

tab.headline(top)

lazy_tabs(
    {
        "Puntajes": partial(tab.scores, ctx, f),
        "Oficinas": partial(tab.offices, ctx, f),
        "Cambio en el tiempo": partial(tab.over_time, ctx, f, channel_names),
        "Qué mueve la satisfacción": partial(tab.drivers, ctx, f),
        "Metas": partial(tab.targets, top),
        "Comentarios": partial(tab.comments, ctx, f),
        "Exportar": partial(tab.export, ctx, f),
    }
)
