"""Efecto de campañas en la recaudación."""

from functools import partial

import streamlit as st

from lib.policy import Permission
from lib.queries import campaigns as q
from lib.ui import campanas as tab
from lib.ui.campaigns import campaign_result, stored_results
from lib.ui.context import page_setup, query
from lib.ui.layout import lazy_tabs

ctx = page_setup(
    "Efecto de campañas",
    Permission.PAGE_CAMPANAS,
    caption="Campañas de difusión y regularización",
    show_filters=False,
)
catalog = query(ctx, q.campaign_catalog)
if catalog.empty:
    st.info("No hay campañas registradas en la base de datos.")
    st.stop()
channels = ctx.channels.set_index("id")["name"].to_dict()

tab.catalog_table(catalog, channels)
code, campaign = tab.choose(catalog)
known = stored_results(ctx, campaign["id"])
try:
    if campaign["id"] in known:
        res, live = campaign_result(ctx, campaign, known)
    else:
        with st.spinner("Estimando el efecto (panel patrón-mes armado en la base de datos)…"):
            res, live = campaign_result(ctx, campaign, known)
except ValueError as exc:
    st.error(f"No se pudo estimar el efecto: {exc}")
    st.stop()
tab.headline(campaign, res, live)

lazy_tabs(
    {
        "Mes a mes": partial(tab.month_by_month, campaign, res),
        "Dónde funcionó": partial(tab.where_it_worked, ctx, res),
        "Todas las campañas": partial(tab.all_campaigns, ctx, catalog),
        "Exportar": partial(tab.export, ctx, code, campaign, res),
    }
)
