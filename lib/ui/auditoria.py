"""The audit log page's sections (pages/96_auditoria.py), top to bottom: the search (filters and
page number, bound to the URL), one page of events, the export totals, the CSV download. Reads
and the download's audit event go through the page's store (``ctx.store``), as the signed-in
user."""

import datetime as dt
import math
from collections.abc import Mapping

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from lib.access import ROLES
from lib.audit import ACTIONS, AuditQuery
from lib.export import csv_bytes
from lib.format import fmt_num
from lib.ui.context import PageContext
from lib.ui.layout import data_table

PAGE_SIZE = 100
EXPORT_CAP = 50_000  # rows in one CSV download of the log


def _first_page() -> None:
    """A new filter shows its first page."""
    st.session_state["pagina"] = 1


def _choice(
    where: DeltaGenerator, label: str, names: Mapping[str, str], every: str, key: str
) -> str | None:
    """A filter over ``names``' keys (shown by name), None first, shown as ``every``."""
    return where.selectbox(
        label,
        [None, *names],
        format_func=lambda v: every if v is None else names[v],
        key=key,
        bind="query-params",
        on_change=_first_page,
        placeholder="Elija una opción",
    )


def _day(where: DeltaGenerator, label: str, key: str) -> dt.date | None:
    """A day filter, empty at first."""
    return where.date_input(
        label,
        value=None,
        format="DD/MM/YYYY",
        key=key,
        bind="query-params",
        on_change=_first_page,
    )


def search() -> tuple[AuditQuery, int]:
    """The filters (action, user, role, first and last day) and the page number asked for, each
    bound to the URL; a new filter goes back to page 1. Days given the wrong way round are
    swapped, with a warning."""
    top = st.columns([1, 1, 1])
    action = _choice(top[0], "Acción", ACTIONS, "Todas", "accion")
    who = top[1].text_input(
        "Usuario contiene", key="quien", bind="query-params", on_change=_first_page
    )
    role = _choice(top[2], "Rol", ROLES, "Todos", "rol")
    bottom = st.columns([1, 1, 1])
    start = _day(bottom[0], "Desde el día", "evento_desde")
    end = _day(bottom[1], "Hasta el día", "evento_hasta")
    if start and end and start > end:
        st.warning(
            "«Desde el día» es posterior a «Hasta el día»; se muestran los días entre ambos."
        )
        start, end = end, start
    page_no = bottom[2].number_input(
        "Página", min_value=1, value=1, step=1, key="pagina", bind="query-params"
    )
    query = AuditQuery(action=action, user_contains=who or None, start=start, end=end, role=role)
    return query, int(page_no)


def events_page(ctx: PageContext, query: AuditQuery, page_no: int) -> tuple[pd.DataFrame, int, int]:
    """The events of page ``page_no`` (PAGE_SIZE a page, newest first), how many events the
    filters select, and the page shown: a URL, or a narrower filter, past the last page shows
    the last one."""
    events, total = ctx.store.audit_page(query, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    if page_no > pages:
        page_no = pages
        events, total = ctx.store.audit_page(
            query, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE
        )
    return events, total, page_no


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


def events_table(events: pd.DataFrame, total: int, page_no: int) -> None:
    """The page's events and which of them they are ("Eventos 101–200 de 6,042 · página 2 de
    61")."""
    data_table(
        _table(events),
        column_config={
            "Fecha y hora": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm:ss")
        },
        empty="Ningún evento coincide con la búsqueda.",
    )
    if total:
        pages = max(1, math.ceil(total / PAGE_SIZE))
        first = (page_no - 1) * PAGE_SIZE + 1
        last = first + len(events) - 1
        shown = f"Eventos {fmt_num(first, 0)}–{fmt_num(last, 0)} de {fmt_num(total, 0)}"
        st.caption(f"{shown} · página {fmt_num(page_no, 0)} de {fmt_num(pages, 0)}")


def export_totals(ctx: PageContext, query: AuditQuery) -> None:
    """How many downloads the filters select, and how many rows they carried."""
    n_exports, rows_exported = ctx.store.export_totals(query)
    st.caption(
        f"Con estos filtros: {fmt_num(n_exports, 0)} descargas con {fmt_num(rows_exported, 0)} "
        "filas en total. La bitácora no guarda identificadores de patrones: sólo conteos, "
        "filtros y nombres."
    )


def download(ctx: PageContext, query: AuditQuery, total: int) -> None:
    """Every event the filters select as CSV, up to EXPORT_CAP (the newest, with a warning
    when there are more), built when the button is clicked; the download is audited with the
    filters it used."""
    rows = min(total, EXPORT_CAP)
    if total > EXPORT_CAP:
        st.warning(
            f"Los filtros seleccionan {fmt_num(total, 0)} eventos: la descarga lleva los "
            f"{fmt_num(EXPORT_CAP, 0)} más recientes. Acote las fechas o la acción para "
            "descargar el resto.",
            icon=":material/warning:",
        )

    def _csv() -> bytes:
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
                "acción": query.action,
                "usuario_contiene": query.user_contains,
                "rol": query.role,
                "desde": f"{query.start}" if query.start else None,
                "hasta": f"{query.end}" if query.end else None,
                "recortado": total > EXPORT_CAP,
            },
        ),
        icon=":material/download:",
        disabled=total == 0,
    )
