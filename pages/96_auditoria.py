"""Bitácora de auditoría: who signed in, exported, imported or trained, when, and how much.

Filters run in SQL over the whole log (lib.audit.audit_page), a page of PAGE_SIZE events at a
time, so a flood of failed sign-ins cannot push older events out of reach."""

import datetime as dt
import math

import pandas as pd
import streamlit as st

from lib.access import ROLES
from lib.audit import ACTIONS, AuditQuery
from lib.export import csv_bytes
from lib.format import fmt_num
from lib.policy import Permission
from lib.ui.context import page_setup
from lib.ui.layout import data_table

PAGE_SIZE = 100
EXPORT_CAP = 50_000  # rows in one CSV download of the log

ctx = page_setup(
    "Bitácora de auditoría",
    Permission.PAGE_AUDITORIA,
    caption="Inicios de sesión, descargas, importaciones y cambios",
    show_filters=False,
)


def _first_page() -> None:
    """A new filter shows its first page."""
    st.session_state["pagina"] = 1


top = st.columns([1, 1, 1])
action = top[0].selectbox(
    "Acción",
    [None, *ACTIONS],
    format_func=lambda a: "Todas" if a is None else ACTIONS[a],
    key="accion",
    bind="query-params",
    on_change=_first_page,
    placeholder="Elija una opción",
)
who = top[1].text_input("Usuario contiene", key="quien", bind="query-params", on_change=_first_page)
role = top[2].selectbox(
    "Rol",
    [None, *ROLES],
    format_func=lambda r: "Todos" if r is None else ROLES[r],
    key="rol",
    bind="query-params",
    on_change=_first_page,
    placeholder="Elija una opción",
)
bottom = st.columns([1, 1, 1])
start = bottom[0].date_input(
    "Desde el día",
    value=None,
    format="DD/MM/YYYY",
    key="evento_desde",
    bind="query-params",
    on_change=_first_page,
)
end = bottom[1].date_input(
    "Hasta el día",
    value=None,
    format="DD/MM/YYYY",
    key="evento_hasta",
    bind="query-params",
    on_change=_first_page,
)
if start and end and start > end:
    st.warning("«Desde el día» es posterior a «Hasta el día»; se muestran los días entre ambos.")
    start, end = end, start
page_no = bottom[2].number_input(
    "Página", min_value=1, value=1, step=1, key="pagina", bind="query-params"
)
query = AuditQuery(action=action, user_contains=who or None, start=start, end=end, role=role)

page_no = int(page_no)
events, total = ctx.store.audit_page(query, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
pages = max(1, math.ceil(total / PAGE_SIZE))
if page_no > pages:  # a URL, or a narrower filter, past the last page: show the last one
    page_no = pages
    events, total = ctx.store.audit_page(query, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)


def _table(events: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
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
    _table(events),
    column_config={"Fecha y hora": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm:ss")},
    empty="Ningún evento coincide con la búsqueda.",
)
if total:
    first = (page_no - 1) * PAGE_SIZE + 1
    last = first + len(events) - 1
    shown = f"Eventos {fmt_num(first, 0)}–{fmt_num(last, 0)} de {fmt_num(total, 0)}"
    st.caption(f"{shown} · página {fmt_num(page_no, 0)} de {fmt_num(pages, 0)}")
n_exports, rows_exported = ctx.store.export_totals(query)
st.caption(
    f"Con estos filtros: {fmt_num(n_exports, 0)} descargas con {fmt_num(rows_exported, 0)} "
    "filas en total. La bitácora no guarda identificadores de patrones: sólo conteos, filtros "
    "y nombres."
)

rows = min(total, EXPORT_CAP)
if total > EXPORT_CAP:
    st.warning(
        f"Los filtros seleccionan {fmt_num(total, 0)} eventos: la descarga lleva los "
        f"{fmt_num(EXPORT_CAP, 0)} más recientes. Acote las fechas o la acción para "
        "descargar el resto.",
        icon=":material/warning:",
    )


def _csv() -> bytes:
    """Built when the button is clicked: every event the filters select, up to the cap."""
    selected, _ = ctx.store.audit_page(query, limit=EXPORT_CAP)
    return csv_bytes(_table(selected))


name = f"bitacora_{dt.date.today():%Y%m%d}.csv"
st.download_button(
    f"Descargar los {fmt_num(rows, 0)} eventos filtrados (CSV)",
    _csv,
    file_name=name,
    mime="text/csv",
    on_click=ctx.store.record_export,
    args=(
        name,
        rows,
        {
            "reporte": "bitácora de auditoría",
            "acción": action,
            "usuario_contiene": who or None,
            "rol": role,
            "desde": f"{start}" if start else None,
            "hasta": f"{end}" if end else None,
            "recortado": total > EXPORT_CAP,
        },
    ),
    icon=":material/download:",
    disabled=total == 0,
)
