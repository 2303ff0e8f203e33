"""Page state that lives in the URL without a bound widget, and the «Copiar enlace» button.

A widget bound to the URL (``bind="query-params"``) writes its option's label there; that
does not suit a choice whose label changes while its identity does not (a draft is "#12 ·
title · v3 · status" and its version grows with every save). Such a choice keeps its id in a
plain query parameter instead: ``follow`` (before the widget) lets a link or the browser's
Back set the widget, ``publish`` (after it) writes the widget's value back. What was last
written is remembered, so a stale URL never overrides what the user just picked.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import streamlit as st

from lib.urlparams import ParamProblem, offered

_WRITTEN = "_mirador_url_written"


def follow(
    param: str, key: str, valid: Collection[object], parse: Callable[[str], object]
) -> str | None:
    """Before drawing the widget ``key``: when the URL's ``param`` is not what this session
    last wrote (it came in a link, or Back restored an older URL), the widget takes it.
    Returns a Spanish notice when the URL's value is none of ``valid`` (it is then dropped)."""
    written: dict[str, str | None] = st.session_state.setdefault(_WRITTEN, {})
    raw = st.query_params.get(param)
    if raw == written.get(param):
        return None
    written[param] = raw
    if raw is None:
        st.session_state.pop(key, None)  # back to the widget's default
        return None
    try:
        value = parse(raw)
    except ValueError:
        value = None
    if value not in valid:
        st.query_params.pop(param, None)
        written[param] = None
        return f"El enlace pide «{param}={raw}», que no existe; se muestra el valor inicial."
    st.session_state[key] = value
    return None


def say_unknown(
    param: str,
    label: str,
    options: Collection[str] | tuple[float, float] | type[bool],
    used: str,
) -> None:
    """Before drawing an in-tab widget bound to the URL as ``param`` (``bind="query-params"``,
    key ``param``): Streamlit drops a value it cannot use without a word, so say it, as the
    sidebar does for its filters (lib/ui/filters.py ``_check_link``). ``options``: the labels
    the widget writes (its ``format_func`` labels), a number's ``(min, max)`` or ``bool`` for a
    toggle (lib.urlparams.offered); ``used``: what is shown instead (the default's label)."""
    raw = st.query_params.get(param)
    if raw is None or offered(raw, options):
        return
    st.warning(ParamProblem(param, raw, used, label).message, icon=":material/link_off:")


def publish(param: str, value: object | None) -> None:
    """After drawing the widget: its value into the URL (``None`` removes the parameter)."""
    written: dict[str, str | None] = st.session_state.setdefault(_WRITTEN, {})
    raw = None if value is None else str(value)
    written[param] = raw
    if raw is None:
        st.query_params.pop(param, None)
    elif st.query_params.get(param) != raw:
        st.query_params[param] = raw


# The button copies the address bar itself (window.location in the app's own document, no
# outside fetch), so the link is exactly what the page shows, filters, tab, clicks and all.
_COPY_BUTTON = """
<div style="display:flex;gap:.5rem;align-items:center">
<button type="button" id="mirador-copiar-enlace" data-testid="miradorCopyLink"
  style="border:1px solid rgba(49,51,63,.2);border-radius:.5rem;padding:.25rem .75rem;
  background:white;cursor:pointer;font:inherit">Copiar enlace</button>
<span id="mirador-copiado" style="font-size:.85rem;color:#2e7d32"></span>
</div>
<script>
(function () {
  const button = document.getElementById("mirador-copiar-enlace");
  const said = document.getElementById("mirador-copiado");
  if (!button || button.dataset.ready) return;
  button.dataset.ready = "1";
  button.addEventListener("click", async function () {
    const link = window.location.href;
    try {
      await navigator.clipboard.writeText(link);
      said.textContent = "Enlace copiado";
    } catch (e) {
      window.prompt("Copie el enlace:", link);
    }
    button.dataset.link = link;
  });
})();
</script>
"""


def copy_link_button() -> None:
    """«Copiar enlace» in the sidebar: the current address, which carries every filter."""
    st.sidebar.html(_COPY_BUTTON, unsafe_allow_javascript=True)
    st.sidebar.caption("El enlace reproduce esta vista: filtros, pestaña y clics.")
