"""Diccionario de datos: the metric catalog, every table and column, and the latest loads."""

import pandas as pd
import streamlit as st

from lib import dictionary
from lib.ingest.contract import SPECS
from lib.policy import Permission
from lib.queries import meta
from lib.queries.ingest import latest_loads
from lib.ui.context import page_setup, query
from lib.ui.layout import data_table


def _stamp(value) -> str:
    return (
        "—" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%d/%m/%Y %H:%M")
    )


ctx = page_setup(
    "Diccionario de datos",
    Permission.PAGE_DICCIONARIO,
    caption="Métricas, tablas y columnas de la base compartida",
    show_filters=False,
)

st.subheader("Métricas")
data_table(
    dictionary.metric_table(),
    column_config={
        "Fórmula": st.column_config.TextColumn(width="large"),
        "Advertencias": st.column_config.TextColumn(width="large"),
    },
    first=("Métrica", "Unidad", "Fórmula", "Advertencias"),
    short={"Tabla agregada": "Agregado", "Tablas de origen": "Origen"},
)

st.subheader("Tablas")
tables = dictionary.table_names()
counts = query(ctx, meta.table_counts, tables).set_index("tabla")["filas"]
loads = query(ctx, latest_loads).set_index("table_name")
overview = pd.DataFrame(
    {
        "Tabla": tables,
        "Contenido": [dictionary.table_content(t) for t in tables],
        "Se importa": ["sí" if t in SPECS else "no" for t in tables],
        "Filas": [int(counts.get(t, 0)) for t in tables],
        "Última carga": [_stamp(loads["finished_at"].get(t)) for t in tables],
        "Archivo": [loads["file_name"].get(t, "") for t in tables],
        "Cargó": [loads["username"].get(t, "") for t in tables],
    }
)
data_table(
    overview,
    column_config={
        "Filas": st.column_config.NumberColumn(format="localized"),
    },
)
st.caption(
    "Última carga = la importación aceptada más reciente (import_load). Las tablas que no se "
    "importan las llenan la demostración, la actualización de agregados o la propia aplicación."
)


name = st.selectbox(
    "Columnas de la tabla", tables, key="tabla", bind="query-params", placeholder="Elija una opción"
)
data_table(dictionary.column_table(name))
if note := dictionary.import_note(name):
    st.caption(note)
