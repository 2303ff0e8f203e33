"""Importar datos: files checked against the data contract and loaded all or nothing."""

import streamlit as st

from lib.ingest.limits import import_limits
from lib.policy import Permission
from lib.sessions import SettingError
from lib.ui import importar as section
from lib.ui.context import page_setup

ctx = page_setup(
    "Importar datos",
    Permission.PAGE_IMPORTAR,
    caption="CSV, Excel (.xlsx) o Parquet contra el contrato de datos; todo o nada",
    show_filters=False,
    allow_empty=True,
)
try:
    limits = import_limits()
except SettingError as exc:
    st.error(f"Un ajuste de Mirador no es válido: {exc} (variable de entorno).")
    st.stop()

table = section.choose_table()
profile, profile_params = section.choose_profile(table)
upload = section.choose_file(limits)
options = section.read_options()
section.run_import(ctx, table, upload, options, profile, profile_params, limits)
section.last_result(ctx)
section.recent_loads(ctx)
