"""Datos y cobertura: what the database holds, how fresh, and (for demo data) its planted truth."""

import pandas as pd
import streamlit as st

from lib.format import date_label, month_label
from lib.policy import Permission
from lib.queries import meta
from lib.ui.context import page_setup, query
from lib.ui.layout import data_table

TABLES = {
    "patron": "Patrones",
    "interaction": "Contactos",
    "survey_response": "Encuestas",
    "complaint": "Quejas y denuncias",
    "campaign": "Campañas",
    "campaign_assignment": "Asignaciones a campañas",
    "collection_monthly": "Recaudación mensual por patrón",
    "orientation": "Orientaciones",
    "model_run": "Modelos entrenados",
    "work_program": "Programas de trabajo",
}


def _stamp(value: str) -> str:
    return pd.Timestamp(value).strftime("%d/%m/%Y %H:%M") if value else "—"


ctx = page_setup("Datos y cobertura", Permission.PAGE_DATOS, show_filters=False)
m = ctx.meta

c1, c2, c3 = st.columns(3)
c1.metric(
    "Origen",
    "Mixto" if m.demo_with_imports else ("Demostración" if m.is_demo else "Institucional"),
    help="Datos sintéticos generados por Mirador"
    + (", con archivos cargados encima" if m.demo_with_imports else "")
    if m.is_demo
    else None,
)
c2.metric("Datos al", date_label(m.data_as_of))
c3.metric(
    "Meses con datos",
    f"{len(m.months)}",
    help=f"{month_label(m.months[0])} a {month_label(m.months[-1])}" if m.months else None,
)
st.caption(
    f"Base de datos: {ctx.target.display} (configurada por {ctx.target.source}) · "
    f"cargada el {_stamp(m.loaded_at)} · agregados del {_stamp(m.rollups_refreshed_at)}"
)

st.subheader("Tablas")
counts = query(ctx, meta.table_counts, list(TABLES))
counts.insert(0, "contenido", counts["tabla"].map(TABLES))
data_table(
    counts,
    column_config={
        "contenido": "Contenido",
        "tabla": "Tabla",
        "filas": st.column_config.NumberColumn("Filas", format="localized"),
    },
)

if m.is_demo:
    st.subheader("Verdad plantada del instituto de demostración")
    st.caption(
        f"Escala «{m.info.get('scale')}», semilla {m.info.get('seed')}. Cada análisis "
        "de Mirador se prueba contra estos valores (docs/demo-data.md)."
        + (
            " Con los archivos cargados encima, ya no describen los datos de esta base."
            if m.demo_with_imports
            else ""
        )
    )
    truth = query(ctx, meta.ground_truth)
    data_table(
        truth[["key", "value", "unit", "description"]],
        column_config={
            "key": "Clave",
            "value": st.column_config.NumberColumn("Valor", format="localized"),
            "unit": "Unidad",
            "description": st.column_config.TextColumn("Descripción", width="large"),
        },
    )
