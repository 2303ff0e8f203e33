"""Programa Anual de Trabajo: baseline, demand forecast, editable targets, capacity, campaign
plan, saved drafts with versions, and the files to circulate. The rooms are in
lib/ui/programa: the inputs and tables (plan.py), the working draft and its save panel
(draft.py), the tabs (tabs.py)."""

from dataclasses import replace
from functools import partial

import streamlit as st

from lib.access import sees_identifiers
from lib.policy import Permission
from lib.queries import planning as qp
from lib.ui.context import page_setup, query
from lib.ui.layout import lazy_tabs
from lib.ui.programa import tabs
from lib.ui.programa.draft import save_panel, working_draft
from lib.ui.programa.plan import Plan

ctx = page_setup(
    "Programa anual de trabajo", Permission.PAGE_PROGRAMA, caption="Planeación del año siguiente"
)
f = ctx.filters
assert f is not None  # page_setup draws the filters on this page
# a role without the identifiers grant sees the draft's free text with identifiers masked
# (lib/ui/programa/draft.py)
clear = sees_identifiers(ctx.user)
if not ctx.meta.months:
    st.info("No hay datos mensuales para planear.")
    st.stop()
last = ctx.meta.months[-1]
plan = Plan(
    ctx,
    year=last.year + 1,
    last=last,
    channel_names=ctx.channels.set_index("id")["name"].to_dict(),
    history=query(ctx, qp.channel_ooad_month, replace(f, start=ctx.meta.months[0], end=last)),
)

# the draft chooser (?borrador=<id>) and the planner's working copy of it
work = working_draft(plan, clear)

lazy_tabs(
    {
        "Línea base": partial(tabs.baseline_tab, plan),
        "Pronóstico": partial(tabs.forecast_tab, plan),
        "Metas": partial(tabs.targets_tab, plan.year, work, clear),
        "Capacidad": partial(tabs.capacity_tab, plan, work, clear),
        "Campañas": partial(tabs.campaigns_tab, plan, work, clear),
        "Versiones": partial(tabs.versions_tab, plan, work, clear),
        "Exportar": partial(tabs.export_tab, plan, work, clear),
    }
)

# under the tabs, always shown: title, status, notes and «Guardar versión»
save_panel(plan, work, clear)
