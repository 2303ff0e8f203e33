"""Datos y cobertura: what the database holds, how fresh, and (for demo data) its planted truth."""

import streamlit as st

from lib.queries import meta
from lib.ui.context import page_setup, query
from lib.ui.format import date_label, month_label

ctx = page_setup("Datos y cobertura")
m = ctx.meta

c1, c2, c3 = st.columns(3)
c1.metric("Origen", "Demostración (sintético)" if m.is_demo else "Datos institucionales")
c2.metric("Datos al", date_label(m.data_as_of))
c3.metric(
    "Meses con datos",
    f"{len(m.months)}",
    help=f"{month_label(m.months[0])} a {month_label(m.months[-1])}" if m.months else None,
)
st.caption(
    f"Base de datos: {ctx.target.display} (configurada por {ctx.target.source}) · "
    f"cargada el {m.loaded_at or '—'} · agregados del {m.rollups_refreshed_at or '—'}"
)

st.subheader("Tablas")
counts = query(
    ctx,
    meta.table_counts,
    [
        "patron",
        "interaction",
        "survey_response",
        "complaint",
        "campaign",
        "campaign_assignment",
        "collection_monthly",
        "orientation",
        "model_run",
        "work_program",
    ],
)
st.dataframe(
    counts,
    hide_index=True,
    column_config={
        "tabla": "Tabla",
        "filas": st.column_config.NumberColumn("Filas", format="localized"),
    },
)

if m.is_demo:
    st.subheader("Verdad plantada del instituto de demostración")
    st.caption(
        f"Escala «{m.info.get('scale')}», semilla {m.info.get('seed')}. Cada análisis "
        "de Mirador se prueba contra estos valores (docs/demo-data.md)."
    )
    truth = query(ctx, meta.ground_truth)
    st.dataframe(
        truth,
        hide_index=True,
        width="stretch",
        column_config={
            "key": "Clave",
            "value": st.column_config.NumberColumn("Valor", format="%.4f"),
            "unit": "Unidad",
            "description": "Descripción",
            "details": "Detalles",
        },
    )
