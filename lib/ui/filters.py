"""The global filter bar. Its state lives in the URL (bound query parameters), so a view can
be shared by link, survives a reload, and follows the user from page to page."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterator

import pandas as pd
import streamlit as st

from lib.filters import Filters
from lib.format import month_label
from lib.urlparams import reversed_period, unknown_values

ALL = "todas"
ALL_M = "todos"
KEYS = ("desde", "hasta", "ooad", "subdel", "canal", "tamano")
SHADOW = "_mirador_filters"
# Restoring a filter on a page switch sets its state before the widget (which also declares a
# default): Streamlit logs a warning for that pattern on every page switch. It is intended here.
logging.getLogger("streamlit.elements.lib.policies").setLevel(logging.ERROR)


def _month_key(d: dt.date) -> str:
    return d.strftime("%Y-%m")


def _reset(defaults: dict[str, str]) -> None:
    """Back to the defaults; bound parameters then drop out of the URL by themselves."""
    for key, value in defaults.items():
        st.session_state[key] = value


def remember_page(page: str) -> None:
    """Record which page ran last, for pages that do not show the filter bar."""
    shadow = st.session_state.get(SHADOW, {})
    st.session_state[SHADOW] = {**shadow, "_page": page}


def _restore_after_page_switch(page: str) -> None:
    """Carry the filters to a new page when the URL lost them.

    Streamlit keeps a bound value in the URL across pages only if the browser set it; a value
    that arrived in a shared link is dropped from the URL when the user follows a navigation
    link, and on the first run of a page the widgets may not have read the URL yet. The last
    values shown are kept in the session and put back on the first run of a different page
    (browser history navigation still wins: Streamlit lets the URL override this).
    """
    shadow = st.session_state.get(SHADOW)
    if not shadow or shadow.get("_page") == page:
        return
    for key in KEYS:
        if key in shadow:  # even when equal: the new page's widget must see it as set
            st.session_state[key] = shadow[key]


@contextlib.contextmanager
def shared_by_every_page() -> Iterator[None]:
    """Draw the widgets inside as if the entry point (Home.py) drew them.

    Streamlit ties a widget, and the query parameter it is bound to, to the script that
    drew it: a filter drawn by pages/2_canales.py is a different widget from the same filter
    drawn by pages/1_resumen.py, and on a page switch Streamlit strips from the URL every
    parameter bound to another page (``QueryParams.populate_from_query_string``, 1.67). So
    following the sidebar menu from ``/?ooad=Jalisco`` landed on a bare ``/canales``. Widgets
    of the entry point are kept across pages, with their parameters, which is what the
    filters are; but they must be drawn by each page (a page can run without Home.py:
    STREAMLIT-NOTES §1), so each page draws them under the entry point's script hash, as
    ``st.Page.run`` itself switches hashes (``ScriptRunContext.run_with_active_hash``).
    """
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:  # bare mode (no Streamlit run): nothing to share
        yield
        return
    with ctx.run_with_active_hash(ctx.pages_manager.main_script_hash):
        yield


def _option_labels(
    months: tuple[dt.date, ...],
    ooads: pd.DataFrame,
    subdelegaciones: pd.DataFrame,
    channels: pd.DataFrame,
    size_bands: pd.DataFrame,
    ooad_locked: bool,
    ooad_label: str | None,
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The labels each filter offers (what Streamlit writes in the URL) and each default's
    label, as ``filter_bar`` draws them. ``ooad_label``: the OOAD the link asks for, which
    decides how subdelegaciones are named ("Juárez" under an OOAD, "Juárez (Chihuahua)")."""
    month_labels = [month_label(m) for m in months] or [month_label(dt.date.today())]
    names = dict(zip(ooads["id"].astype(int), ooads["name"], strict=True))
    ooad_labels = list(names.values()) if ooad_locked else ["Todas las OOAD", *names.values()]
    chosen = next((i for i, n in names.items() if n == ooad_label), None)
    subs = subdelegaciones
    if chosen is not None:
        sub_labels = list(subs.loc[subs["ooad_id"] == chosen, "name"])
    else:
        sub_labels = [
            f"{n} ({names.get(int(o), o)})"
            for n, o in zip(subs["name"], subs["ooad_id"], strict=True)
        ]
    options = {
        "desde": month_labels,
        "hasta": month_labels,
        "ooad": ooad_labels,
        "subdel": ["Todas las subdelegaciones", *sub_labels],
        "canal": ["Todos los canales", *channels["name"]],
        "tamano": [
            "Todos los tamaños",
            *(f"{i}: {n}" for i, n in zip(size_bands["id"], size_bands["name"], strict=True)),
        ],
    }
    used = {
        "desde": month_labels[max(0, len(month_labels) - 12)],
        "hasta": month_labels[-1],
        "ooad": ooad_labels[0],
        "subdel": "Todas las subdelegaciones",
        "canal": "Todos los canales",
        "tamano": "Todos los tamaños",
    }
    return options, used


def _check_link(
    months: tuple[dt.date, ...],
    ooads: pd.DataFrame,
    subdelegaciones: pd.DataFrame,
    channels: pd.DataFrame,
    size_bands: pd.DataFrame,
    ooad_locked: bool,
    notices: list[str],
) -> None:
    """Say which filter parameters of the URL are no option (``?ooad=Narnia``, a month
    outside the data): Streamlit would drop them without a word and show the default."""
    params = st.query_params.to_dict()
    if not any(k in params for k in KEYS):
        return
    options, used = _option_labels(
        months, ooads, subdelegaciones, channels, size_bands, ooad_locked, params.get("ooad")
    )
    if params.get("ooad") not in options["ooad"]:
        # the subdelegación is then read as it would be without an OOAD
        options, _ = _option_labels(
            months, ooads, subdelegaciones, channels, size_bands, ooad_locked, None
        )
    notices.extend(p.message for p in unknown_values(params, options, used))


def filter_bar(
    months: tuple[dt.date, ...],
    ooads: pd.DataFrame,
    subdelegaciones: pd.DataFrame,
    channels: pd.DataFrame,
    size_bands: pd.DataFrame,
    page: str = "",
    ooad_locked: bool = False,
    subdel_locked: bool = False,
    notices: list[str] | None = None,
) -> Filters:
    """``*_locked``: the user's scope is that one place (the lists hold only it), so the
    choice of "all" is not offered. ``notices`` receives, in Spanish, each parameter of the
    link that could not be used and what is shown instead (the page shows them)."""
    notices = [] if notices is None else notices
    _restore_after_page_switch(page)
    _check_link(months, ooads, subdelegaciones, channels, size_bands, ooad_locked, notices)
    sb = st.sidebar
    sb.markdown("### Filtros")
    if not months:  # no facts with a date loaded yet: the current month, said
        months = (dt.date.today().replace(day=1),)
        sb.caption("Todavía no hay meses con datos; el periodo es el mes en curso.")
    opts = [_month_key(m) for m in months]
    labels = {_month_key(m): month_label(m) for m in months}
    left, right = sb.columns(2)
    desde = left.selectbox(
        "Desde",
        opts,
        index=max(0, len(opts) - 12),
        format_func=labels.__getitem__,
        key="desde",
        bind="query-params",
        placeholder="Elija una opción",
    )
    hasta = right.selectbox(
        "Hasta",
        opts,
        index=len(opts) - 1,
        format_func=labels.__getitem__,
        key="hasta",
        bind="query-params",
        placeholder="Elija una opción",
    )
    said = reversed_period(desde, hasta, labels)
    if said is not None:  # said once, on the page, with both months and what is shown
        notices.append(said)
        desde, hasta = hasta, desde

    ooad_names = dict(zip(ooads["id"].astype(str), ooads["name"], strict=True))
    ooad_opts = list(ooad_names) if ooad_locked else [ALL, *ooad_names]
    if st.session_state.get("ooad", ooad_opts[0]) not in ooad_opts:
        st.session_state["ooad"] = ooad_opts[0]
    ooad = sb.selectbox(
        "OOAD",
        ooad_opts,
        key="ooad",
        bind="query-params",
        format_func=lambda v: "Todas las OOAD" if v == ALL else ooad_names[v],
        placeholder="Elija una opción",
    )
    subs = subdelegaciones
    if ooad != ALL:
        subs = subs[subs["ooad_id"] == int(ooad)]
        sub_names = {str(i): n for i, n in zip(subs["id"], subs["name"], strict=True)}
    else:  # names repeat across OOAD (Juárez, Hidalgo, ...): say which
        sub_names = {
            str(i): f"{n} ({ooad_names[str(o)]})"
            for i, n, o in zip(subs["id"], subs["name"], subs["ooad_id"], strict=True)
        }
    sub_opts = list(sub_names) if subdel_locked else [ALL, *sub_names]
    if st.session_state.get("subdel", sub_opts[0]) not in sub_opts:
        st.session_state["subdel"] = sub_opts[0]
    subdel = sb.selectbox(
        "Subdelegación",
        sub_opts,
        key="subdel",
        bind="query-params",
        format_func=lambda v: "Todas las subdelegaciones" if v == ALL else sub_names[v],
        placeholder="Elija una opción",
    )
    ch_names = dict(zip(channels["id"], channels["name"], strict=True))
    canal = sb.selectbox(
        "Canal",
        [ALL_M, *ch_names],
        key="canal",
        bind="query-params",
        format_func=lambda v: "Todos los canales" if v == ALL_M else ch_names[v],
        placeholder="Elija una opción",
    )
    band_names = dict(zip(size_bands["id"], size_bands["name"], strict=True))
    tamano = sb.selectbox(
        "Tamaño de patrón",
        [ALL_M, *band_names],
        key="tamano",
        bind="query-params",
        format_func=lambda v: "Todos los tamaños" if v == ALL_M else f"{v}: {band_names[v]}",
        placeholder="Elija una opción",
    )
    defaults = {
        "desde": opts[max(0, len(opts) - 12)],
        "hasta": opts[-1],
        "ooad": ooad_opts[0],
        "subdel": sub_opts[0],
        "canal": ALL_M,
        "tamano": ALL_M,
    }
    sb.button("Restablecer filtros", on_click=_reset, args=(defaults,), width="stretch")

    st.session_state[SHADOW] = {
        "_page": page,
        "desde": desde,
        "hasta": hasta,
        "ooad": ooad,
        "subdel": subdel,
        "canal": canal,
        "tamano": tamano,
    }
    sub_id = None if subdel == ALL else int(subdel)
    ooad_id = None if ooad == ALL else int(ooad)
    if sub_id is not None and ooad_id is None:
        ooad_id = int(subdelegaciones.loc[subdelegaciones["id"] == sub_id, "ooad_id"].iloc[0])
    return Filters(
        start=dt.date.fromisoformat(f"{desde}-01"),
        end=dt.date.fromisoformat(f"{hasta}-01"),
        ooad_id=ooad_id,
        subdelegacion_id=sub_id,
        channel_id=None if canal == ALL_M else canal,
        size_band_id=None if tamano == ALL_M else tamano,
    )


def scope_label(
    f: Filters,
    ooads: pd.DataFrame,
    subdelegaciones: pd.DataFrame,
    channels: pd.DataFrame,
    size_bands: pd.DataFrame,
) -> str:
    """'Nacional · todos los canales' style caption of what the numbers cover."""
    if f.subdelegacion_id is not None:
        row = subdelegaciones.loc[subdelegaciones["id"] == f.subdelegacion_id].iloc[0]
        place = f"Subdelegación {row['name']}"
    elif f.ooad_id is not None:
        place = f"OOAD {ooads.loc[ooads['id'] == f.ooad_id, 'name'].iloc[0]}"
    else:
        place = "Nacional"
    parts = [place]
    if f.channel_id:
        parts.append(channels.loc[channels["id"] == f.channel_id, "name"].iloc[0])
    if f.size_band_id:
        parts.append(f"patrones {f.size_band_id}")
    return " · ".join(parts)
