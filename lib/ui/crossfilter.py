"""Click to filter: a click on a chart narrows this page to the value clicked (a channel, a
size band, a month, an office), shown as a removable chip and kept in the URL.

Why page-local and not the sidebar filters: a click is a question about the chart in front
of the user, and the sidebar filters follow the user to every page (issue 17: "Ver vencidas"
changed the filters of every page without a word). So a click writes a plain query parameter
(``?sel_canal=contact_center``), which Streamlit keeps on reruns of the page, drops when the
user follows the menu to another page, and pushes as a browser history entry (Back undoes the
click). The chips under the title say what narrows the page; "×" removes one. Offices in a
chart of OOADs or subdelegaciones drill down instead (lib/ui/drill.py): that is the sidebar's
place filter, which is what the user then wants on every page.

A page calls ``ctx = narrow(ctx)`` once, right after ``page_setup``, and uses the narrowed
``ctx.filters`` from then on; each clickable chart passes ``on_select=click(chart_key, param)`` with the value's
id in ``customdata[0]`` (or on the x axis for months: ``source="x"``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

import streamlit as st

from lib.access import within_scope
from lib.filters import Filters
from lib.format import month_label
from lib.ui.drill import point_customdata

Source = Literal["customdata", "x", "y"]
# the size band of contacts without an identified patron (lib/db/rollups.py NO_BAND): a bar,
# not a size band a page can narrow to
NO_BAND = "--"


@dataclass(frozen=True)
class Dimension:
    """One thing a click can narrow a page to: its URL parameter and how the chip names it."""

    param: str
    label: str


CANAL = Dimension("sel_canal", "Canal")
TAMANO = Dimension("sel_tamano", "Tamaño")
MES = Dimension("sel_mes", "Mes")
SUBDEL = Dimension("sel_subdel", "Subdelegación")
DIMENSIONS: tuple[Dimension, ...] = (CANAL, TAMANO, MES, SUBDEL)
PARAMS = tuple(d.param for d in DIMENSIONS)


def _value(point: dict, source: Source) -> str | None:
    if source == "customdata":
        custom = point_customdata(point)
        return None if not custom else str(custom[0])
    value = point.get(source)
    return None if value is None else str(value)


def set_selection(param: str, value: str | None) -> None:
    """Narrow the page (``value``) or widen it again (``None``). A plain query parameter, so
    the browser records it in its history."""
    if value is None:
        st.query_params.pop(param, None)
    else:
        st.query_params[param] = value


def click(chart_key: str, dim: Dimension, source: Source = "customdata") -> Callable[[], None]:
    """The ``on_select`` callback of a chart whose points carry ``dim``'s value: the first
    clicked point narrows the page to it. A month arrives as a date ("2026-03-01" or a
    timestamp) and is kept as "2026-03"."""

    def on_select() -> None:
        event = st.session_state.get(chart_key) or {}
        points = (event.get("selection") or {}).get("points") or []
        if not points:
            return
        value = _value(points[0], source)
        if value is None or value == "":
            return
        if dim is TAMANO and value == NO_BAND:
            return  # «Sin patrón identificado» is no size band: nothing to narrow to
        if dim is MES:
            value = value[:7]
        set_selection(dim.param, value)

    return on_select


def _names(ctx) -> dict[Dimension, dict[str, str]]:
    return {
        CANAL: dict(zip(ctx.channels["id"].astype(str), ctx.channels["name"], strict=True)),
        TAMANO: {
            str(i): f"{i}: {n}"
            for i, n in zip(ctx.size_bands["id"], ctx.size_bands["name"], strict=True)
        },
        MES: {m.strftime("%Y-%m"): month_label(m) for m in ctx.meta.months},
        SUBDEL: dict(
            zip(
                ctx.subdelegaciones["id"].astype(int).astype(str),
                ctx.subdelegaciones["name"],
                strict=True,
            )
        ),
    }


def narrowed(f: Filters, chosen: dict[str, str], ooad_of: dict[int, int]) -> Filters:
    """``f`` narrowed by the page's selections (param → id), each already checked to lie
    inside ``f`` (``outside``). Pure: the place keeps the user's scope inside Filters, so a
    selection never reads more than the filters do."""
    out = f
    if CANAL.param in chosen:
        out = replace(out, channel_id=chosen[CANAL.param])
    if TAMANO.param in chosen:
        out = replace(out, size_band_id=chosen[TAMANO.param])
    if MES.param in chosen:
        month = dt.date.fromisoformat(f"{chosen[MES.param]}-01")
        out = replace(out, start=month, end=month)
    if SUBDEL.param in chosen:
        sub = int(chosen[SUBDEL.param])
        out = replace(out, ooad_id=ooad_of.get(sub, out.ooad_id), subdelegacion_id=sub)
    return out


def outside(f: Filters, dim: Dimension, value: str, ooad_of: dict[int, int]) -> str | None:
    """Why a (known) selection does not narrow ``f`` but would replace part of it, in the
    words the notice uses ("" inside: None). A click only narrows: a channel or size band
    other than the sidebar's, an office outside the sidebar's OOAD or subdelegación, a month
    outside the period are dropped."""
    if dim is CANAL and f.channel_id is not None and value != f.channel_id:
        return "el canal elegido no es el de los filtros"
    if dim is TAMANO and f.size_band_id is not None and value != f.size_band_id:
        return "el tamaño elegido no es el de los filtros"
    if dim is MES and not f.start <= dt.date.fromisoformat(f"{value}-01") <= f.end:
        return "el mes elegido queda fuera del periodo de los filtros"
    if dim is SUBDEL:
        sub = int(value)
        if f.subdelegacion_id is not None and sub != f.subdelegacion_id:
            return "la subdelegación elegida no es la de los filtros"
        if f.ooad_id is not None and ooad_of.get(sub) != f.ooad_id:
            return "la subdelegación elegida queda fuera de la OOAD de los filtros"
    return None


def _forged(ctx, value: str, ooad_of: dict[int, int]) -> bool:
    """A ``sel_subdel`` outside the user's scope: dropped, said without the office's name and
    recorded (forged_scope), as the sidebar does for ``ooad``/``subdel`` (lib/ui/context.py)."""
    sub = int(value)
    if within_scope(ctx.user, None, sub, ooad_of):
        return False
    from lib.audit import record_event

    record_event(
        ctx.write_engine,
        ctx.user,
        "forged_scope",
        ctx.page,
        details={"ooad": ooad_of.get(sub), "subdelegacion": sub},
    )
    st.warning(
        "El enlace pedía datos fuera de su ámbito; se ignoró y quedó registrado.",
        icon=":material/shield:",
    )
    set_selection(SUBDEL.param, None)
    return True


def narrow(ctx):
    """Read the page's selections from the URL, say any that is not understood or that would
    widen or replace the filters instead of narrowing them, draw a chip for each (× removes
    it) and return the page context with its filters narrowed."""
    f = ctx.filters
    names = _names(ctx)
    ooad_of = ctx.ooad_of
    chosen: dict[str, str] = {}
    for dim in DIMENSIONS:
        value = st.query_params.get(dim.param)
        if value is None:
            continue
        if value not in names[dim]:
            st.warning(
                f"El enlace pide «{dim.param}={value}», que no es un valor de «{dim.label}»; "
                "no se aplica.",
                icon=":material/link_off:",
            )
            set_selection(dim.param, None)
            continue
        if dim is SUBDEL and _forged(ctx, value, ooad_of):
            continue
        why = outside(f, dim, value, ooad_of)
        if why is not None:
            st.warning(
                f"«{dim.label}: {names[dim][value]}»: {why}; no se aplica.",
                icon=":material/link_off:",
            )
            set_selection(dim.param, None)
            continue
        chosen[dim.param] = value
    if not chosen:
        return ctx
    row = st.container(horizontal=True, vertical_alignment="center")
    row.caption("Sólo en esta página:", width="content")
    for dim in DIMENSIONS:
        if dim.param in chosen:
            row.button(
                f"{dim.label}: {names[dim][chosen[dim.param]]}",
                icon=":material/close:",
                key=f"chip_{dim.param}",
                help="Quitar este filtro de la página",
                on_click=set_selection,
                args=(dim.param, None),
            )
    return replace(ctx, filters=narrowed(f, chosen, ooad_of))


# What a click on a value of each dimension (lib.metrics.DIMENSIONS names) does: narrow the
# page to it, or for offices drill down (the sidebar's place; lib/ui/drill.py).
BY_NAME: dict[str, Dimension] = {"channel": CANAL, "size_band": TAMANO, "month": MES}
DRILLS = {"ooad": "ooad", "subdelegacion": "subdel"}
HINTS = {
    "channel": "clic en un canal: sólo ese canal en esta página",
    "size_band": "clic en un tamaño: sólo ese tamaño en esta página",
    "month": "clic en un mes: sólo ese mes en esta página",
    "ooad": "clic en una OOAD: baja a sus subdelegaciones",
    "subdelegacion": "clic en una subdelegación: la elige",
}


def chart_events(chart_key: str, dimension: str, source: Source = "customdata") -> dict:
    """``st.plotly_chart`` keyword arguments that make a chart of ``dimension`` clickable
    (key, points selection, callback), or none for a dimension a click cannot filter by
    (procedure, economic division, complaint kind and category are not page filters)."""
    from lib.ui.drill import on_unit_click

    if dimension in DRILLS:
        level = DRILLS[dimension]
        callback: Callable[[], None] = lambda: on_unit_click(chart_key, level)  # noqa: E731
    elif dimension in BY_NAME:
        callback = click(chart_key, BY_NAME[dimension], source)
    else:
        return {}
    return {"key": chart_key, "selection_mode": "points", "on_select": callback}


def hint(dimension: str) -> str:
    """The caption that tells what a click on the chart does ("" when nothing)."""
    return HINTS.get(dimension, "")
