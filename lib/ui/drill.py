"""Drill-down national → OOAD → subdelegación from chart clicks, kept in the URL because it
writes the same bound filter keys the sidebar uses."""

from __future__ import annotations

import streamlit as st

from lib.filters import Filters
from lib.ui.filters import ALL


def point_customdata(point: dict) -> list | None:
    """A clicked point's ``customdata`` as a list. The browser sends an array as an object
    ``{"0": ..., "1": ...}`` and a single value as itself; AppTest passes lists."""
    custom = point.get("customdata")
    if custom is None:
        return None
    if isinstance(custom, dict):
        return [custom[k] for k in sorted(custom, key=int)]
    if isinstance(custom, list | tuple):
        return list(custom)
    return [custom]


def on_unit_click(chart_key: str, level: str) -> None:
    """Callback for st.plotly_chart(on_select=...): the clicked bar's customdata[0] is the id
    of an OOAD (level "ooad") or a subdelegación (level "subdel")."""
    event = st.session_state.get(chart_key) or {}
    points = (event.get("selection") or {}).get("points") or []
    if not points:
        return
    custom = point_customdata(points[0])
    try:
        unit_id = str(int(custom[0]))  # type: ignore[index]
    except (TypeError, ValueError, IndexError, KeyError):
        return  # a click that carries no office id: nothing to drill into
    if level == "ooad":
        st.session_state["ooad"] = unit_id
        st.session_state["subdel"] = ALL
    else:
        st.session_state["subdel"] = unit_id


def _go_up(level: str) -> None:
    st.session_state["subdel"] = ALL
    if level == "national":
        st.session_state["ooad"] = ALL


def breadcrumb(f: Filters, ooad_name: str | None, subdel_name: str | None) -> None:
    """Nacional › OOAD › subdelegación, each level a button that goes back up to it."""
    if f.ooad_id is None:
        st.caption("Nivel: **Nacional** · haga clic en una barra de OOAD para bajar de nivel")
        return
    cols = st.columns([1, 1, 4])
    cols[0].button("↑ Nacional", on_click=_go_up, args=("national",), key="drill_national")
    if f.subdelegacion_id is not None:
        cols[1].button(f"↑ {ooad_name}", on_click=_go_up, args=("ooad",), key="drill_ooad")
        cols[2].caption(f"Nivel: Nacional › {ooad_name} › **{subdel_name}**")
    else:
        cols[2].caption(f"Nivel: Nacional › **{ooad_name}** · clic en una subdelegación para bajar")


def on_office_row(table_key: str, unit_ids: list[int], level: str, ooad_of: dict[int, int]) -> None:
    """Callback for a table of offices (st.dataframe(on_select=..., selection_mode="single-row")):
    the selected row's office becomes the filter. ``unit_ids`` are the table's offices in row
    order; ``level`` "ooad" sets the OOAD (all its subdelegaciones), "subdel" the subdelegación
    and its OOAD."""
    event = st.session_state.get(table_key) or {}
    rows = (event.get("selection") or {}).get("rows") or []
    if not rows or not 0 <= int(rows[0]) < len(unit_ids):
        return
    unit_id = unit_ids[int(rows[0])]
    if level == "ooad":
        st.session_state["ooad"] = str(unit_id)
        st.session_state["subdel"] = ALL
    elif unit_id in ooad_of:
        st.session_state["ooad"] = str(ooad_of[unit_id])
        st.session_state["subdel"] = str(unit_id)
