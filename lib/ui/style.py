"""The app's look that Streamlit's API does not reach: the favicon and the injected CSS.

- ``PAGE_ICON``: the Mirador logo as the browser tab's icon. Streamlit sends an SVG file as
  an inline ``data:`` URI; a ``:material/…:`` icon would make the browser fetch it from
  fonts.gstatic.com (issue 17, item 9: no outside request, the app works offline).
- ``apply_house_style()``: lib/ui/assets/mirador.css (side padding on wide screens, the Plotly
  mode bar on phones, the print stylesheet), injected on every run of every page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

ASSETS = Path(__file__).resolve().parent / "assets"
PAGE_ICON = str(ASSETS / "logo.svg")
CSS = ASSETS / "mirador.css"


def apply_house_style() -> None:
    """Inject the house CSS. A Path to a .css file is wrapped in <style> by st.html and sent
    to the event container, so it takes no room on the page."""
    st.html(CSS)
