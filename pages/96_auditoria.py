"""Bitácora de auditoría: who signed in, exported, imported or trained, when, and how much."""

import datetime as dt

import pandas as pd
import streamlit as st

from lib.audit import ACTIONS, audit_events
from lib.export import csv_bytes
from lib.policy import Permission
from lib.ui.context import page_setup
from lib.ui.layout import data_table, record_export

ctx = page_setup(
    "Bitácora de auditoría",
    Permission.PAGE_AUDITORIA,
    caption="Inicios de sesión, descargas, importaciones y cambios",
    show_filters=False,
)

left, right = st.columns([1, 2])
action = left.selectbox(
    "Acción",
    [None, *ACTIONS],
    format_func=lambda a: "Todas" if a is None else ACTIONS[a],
    key="accion",
    bind="query-params",
)
who = right.text_input("Usuario contiene", key="quien")
events = audit_events(ctx.engine, action=action, limit=5000)
if who:
    events = events[events["username"].str.contains(who, case=False, regex=False)]
table = pd.DataFrame(
    {
        "Fecha y hora": pd.to_datetime(events["at"]),
        "Usuario": events["username"],
        "Rol": events["role"],
        "Acción": events["action"].map(ACTIONS),
        "Objeto": events["target"],
        "Filas": events["rows"],
        "Detalle": events["details"].map(
            lambda d: (
                ", ".join(f"{k}: {v}" for k, v in d.items())
                if isinstance(d, dict)
                else str(d or "")
            )
        ),
    }
)
data_table(
    table,
    column_config={"Fecha y hora": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm:ss")},
    empty="Ningún evento coincide con la búsqueda.",
)
exports = events[events["action"] == "export"]
st.caption(
    f"{len(events)} eventos mostrados (los 5,000 más recientes como máximo); "
    f"{len(exports)} descargas con {int(exports['rows'].fillna(0).sum()):,} filas en total. "
    "La bitácora no guarda identificadores de patrones: sólo conteos, filtros y nombres."
)
name = f"bitacora_{dt.date.today():%Y%m%d}.csv"
st.download_button(
    "Descargar bitácora (CSV)",
    csv_bytes(table),
    file_name=name,
    mime="text/csv",
    on_click=record_export,
    args=(ctx.write_engine, name, len(table), {"reporte": "bitácora de auditoría"}),
    icon=":material/download:",
)
