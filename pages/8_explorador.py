"""Explorador: any catalog metric by the dimensions the analyst picks, computed in SQL."""

import streamlit as st

from lib.charts.explorer import explorer_figure, label_column, reading
from lib.charts.theme import PLOTLY_CONFIG
from lib.format import fmt_num
from lib.metrics import CATALOG, DIMENSIONS
from lib.policy import Permission
from lib.queries.explorer import MAX_DIMENSIONS, explore
from lib.ui.context import page_setup, query
from lib.ui.layout import data_table, excel_button

ctx = page_setup(
    "Explorador",
    Permission.PAGE_EXPLORADOR,
    caption="Medidas del catálogo por las dimensiones que elija",
)
f = ctx.filters

left, right = st.columns([2, 3])
key = left.selectbox(
    "Medida",
    list(CATALOG),
    format_func=lambda k: CATALOG[k].name,
    key="medida",
    bind="query-params",
)
chosen = right.multiselect(
    "Dimensiones (hasta dos)",
    list(DIMENSIONS),
    default=["month"],
    format_func=lambda d: DIMENSIONS[d][0],
    max_selections=MAX_DIMENSIONS,
    key="dims",
    bind="query-params",
    placeholder="Elija dimensiones",
)
m = CATALOG[key]
dims = [d for d in chosen if d in m.dimensions]
dropped = [DIMENSIONS[d][0] for d in chosen if d not in m.dimensions]
st.caption(
    f"**Fórmula:** {m.formula} · **Unidad:** {m.unit} · **Fuente:** `{m.source}` "
    f"(de {', '.join(m.facts)})" + (f" · **Advertencia:** {m.caveats}" if m.caveats else "")
)
if dropped:
    st.info(
        f"{m.name} no tiene la dimensión {', '.join(dropped)}; se muestra sin ella. "
        f"Dimensiones disponibles: {', '.join(DIMENSIONS[d][0] for d in m.dimensions)}."
    )

df = query(ctx, explore, f, key, tuple(dims))
unit = "%" if m.unit == "%" else f" {m.unit}"
if df.empty or df["value"].isna().all():
    st.info("No hay datos para esta medida con los filtros elegidos.")
    st.stop()

if not dims:
    st.metric(m.name, fmt_num(df["value"].iloc[0], m.decimals) + unit)
else:
    st.plotly_chart(explorer_figure(df, m, dims), config=PLOTLY_CONFIG, width="stretch")
    st.caption(reading(df, m, dims))

names = {label_column(df, d): DIMENSIONS[d][0] for d in dims}
codes = {d: f"Clave {DIMENSIONS[d][0].lower()}" for d in dims if f"{d}_label" in df}
table = df.rename(
    columns={
        **names,
        **codes,
        "numerator": "Numerador",
        "denominator": "Denominador",
        "value": f"{m.name} ({m.unit})",
    }
)
table = table[
    [*names.values(), *codes.values(), "Numerador", "Denominador", f"{m.name} ({m.unit})"]
]
if m.denominator is None and not m.stock:  # a plain sum: the value is the numerator, scaled
    table = table.drop(columns=["Denominador"] + (["Numerador"] if m.scale == 1 else []))
data_table(
    table,
    column_config={
        "Mes": st.column_config.DateColumn(format="MM/YYYY"),
        f"{m.name} ({m.unit})": st.column_config.NumberColumn(format=f"%,.{m.decimals}f"),
        "Numerador": st.column_config.NumberColumn(format="localized"),
        "Denominador": st.column_config.NumberColumn(format="localized"),
    },
)
excel_button(
    ctx,
    f"Explorador: {m.name}",
    {"Datos": table},
    f"explorador_{key}_{f.start:%Y%m}_{f.end:%Y%m}",
    "Descargar tabla (Excel)",
    extra=[
        ("Medida", f"{m.name} ({m.unit})"),
        ("Fórmula", m.formula),
        ("Dimensiones", ", ".join(DIMENSIONS[d][0] for d in dims) or "ninguna"),
    ],
)
