"""Mirador: router only. Each page sets itself up (lib.ui.context.page_setup)."""

import streamlit as st

from lib.ui.nav import navigation
from lib.ui.style import PAGE_ICON

st.set_page_config(page_title="Mirador", page_icon=PAGE_ICON, layout="wide")
navigation().run()
