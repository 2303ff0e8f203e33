"""Mirador: router only. Each page sets itself up (lib.ui.context.page_setup)."""

import streamlit as st

from lib.ui.nav import navigation

st.set_page_config(page_title="Mirador", page_icon=":material/monitoring:", layout="wide")
navigation().run()
