"""Diccionario de datos: the metric catalog, every table and column, and the latest loads."""

import pandas as pd
import streamlit as st

from lib.db.schema import Base
from lib.ingest.contract import SPECS
from lib.metrics import CATALOG, DIMENSIONS
from lib.policy import Permission
from lib.queries import meta
from lib.queries.ingest import latest_loads
from lib.ui.context import page_setup, query
from lib.ui.layout import data_table


def _describe(c, col, spec) -> str:
    if c is not None:
        return c.label
    if spec and col.name in spec.derived:
        return "calculada al cargar"
    if spec and col.primary_key and col.name not in spec.key:
        return "asignada por Mirador"
    return ""


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
    pd.DataFrame(
        {
            "Métrica": [m.name for m in CATALOG.values()],
            "Unidad": [m.unit for m in CATALOG.values()],
            "Fórmula": [m.formula for m in CATALOG.values()],
            "Tabla agregada": [m.source for m in CATALOG.values()],
            "Tablas de origen": [", ".join(m.facts) for m in CATALOG.values()],
            "Dimensiones": [
                ", ".join(DIMENSIONS[d][0] for d in m.dimensions) for m in CATALOG.values()
            ],
            "Advertencias": [m.caveats for m in CATALOG.values()],
        }
    ),
    column_config={
        "Fórmula": st.column_config.TextColumn(width="large"),
        "Advertencias": st.column_config.TextColumn(width="large"),
    },
    first=("Métrica", "Unidad", "Fórmula", "Advertencias"),
    short={"Tabla agregada": "Agregado", "Tablas de origen": "Origen"},
)

OTHER = {
    "model_run": "Modelos entrenados",
    "patron_flag": "Patrones calificados por un modelo",
    "work_program": "Programas de trabajo",
    "work_program_target": "Metas de los programas de trabajo",
    "work_program_revision": "Versiones guardadas de los programas",
    "app_user": "Usuarios y su alcance",
    "audit_event": "Bitácora de auditoría",
    "import_load": "Bitácora de importaciones",
    "dataset_info": "Datos sobre la base (demostración, fechas)",
    "ground_truth": "Verdad plantada de la demostración",
}

st.subheader("Tablas")
tables = [*SPECS, *sorted(t.name for t in Base.metadata.sorted_tables if t.name not in SPECS)]
counts = query(ctx, meta.table_counts, tables).set_index("tabla")["filas"]
loads = query(ctx, latest_loads).set_index("table_name")
overview = pd.DataFrame(
    {
        "Tabla": tables,
        "Contenido": [
            SPECS[t].label if t in SPECS else OTHER.get(t, "Agregado (lo recalcula refresh)")
            for t in tables
        ],
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
t = Base.metadata.tables[name]
spec = SPECS.get(name)
contract = {c.target: c for c in spec.columns} if spec else {}
rows = []
for col in t.columns:
    c = contract.get(col.name)
    fks = ", ".join(f"{fk.column.table.name}.{fk.column.name}" for fk in col.foreign_keys)
    rows.append(
        {
            "Columna": col.name,
            "Tipo": str(col.type),
            "Nula": "sí" if col.nullable else "no",
            "Llave": "PK" if col.primary_key else ("FK→" + fks if fks else ""),
            "Descripción": _describe(c, col, spec),
            "En el archivo": (
                (c.name + (" (" + ", ".join(c.aliases[:3]) + ")" if c.aliases else "")) if c else ""
            ),
        }
    )
data_table(pd.DataFrame(rows))
if spec:
    st.caption(
        f"Clave natural para importar: {', '.join(spec.key)}. {spec.notes} "
        "Ejemplo que se importa sin errores: data/examples/" + name + ".csv."
    )
