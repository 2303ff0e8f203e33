"""Orientación proactiva: which patrons each office should orient first, why, how good the
ranking is, and what the offices' orientations have done to payment."""

from functools import partial

import streamlit as st

from lib.policy import Permission
from lib.queries import orientation as q
from lib.ui import orientacion as tab
from lib.ui.context import page_setup, query
from lib.ui.layout import lazy_tabs

ctx = page_setup(
    "Orientación proactiva",
    Permission.PAGE_ORIENTACION,
    caption="Patrones con riesgo de pagar tarde",
)
f = ctx.filters
assert f is not None  # the page shows the filter bar (page_setup)
model = query(ctx, q.model_in_use)

if model.empty:
    st.info(
        "Todavía no hay un modelo entrenado en esta base de datos. Entrénelo aquí o con "
        "`python -m lib train` y `python -m lib score`."
    )
    tab.train_button(ctx, "Entrenar y calificar", ":material/model_training:", "entrenar")
    st.stop()

run = model.iloc[0]
tab.headline(run)

lazy_tabs(
    {
        "Lista": partial(tab.patron_list, ctx, f, run),
        "Ficha del modelo": partial(tab.model_card, ctx, run),
        "Retroalimentación": partial(tab.feedback, ctx, f),
    }
)

tab.train_button(ctx, "Volver a entrenar y calificar", ":material/refresh:", "reentrenar")
