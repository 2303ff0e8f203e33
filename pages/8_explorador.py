"""Explorador: any catalog metric by the dimensions the analyst picks, computed in SQL."""

import streamlit as st

from lib.analysis.kpis import COMPARISONS, covered, shifted_period
from lib.charts.explorer import explorer_figure, explorer_table, reading
from lib.charts.theme import PLOTLY_CONFIG
from lib.format import fmt_num, fmt_signed, period_label
from lib.metrics import DIMENSIONS, INDICATORS
from lib.policy import Permission
from lib.queries.explorer import MAX_DIMENSIONS, explore, explore_compared
from lib.ui import crossfilter
from lib.ui.context import page_setup, query
from lib.ui.layout import data_table, excel_button

ctx = crossfilter.narrow(
    page_setup(
        "Explorador",
        Permission.PAGE_EXPLORADOR,
        caption="Medidas del catálogo por las dimensiones que elija",
    )
)
f = ctx.filters

left, right, third = st.columns([2, 3, 2])
key = left.selectbox(
    "Medida",
    list(INDICATORS),
    format_func=lambda k: INDICATORS[k].label,
    key="medida",
    bind="query-params",
    placeholder="Elija una opción",
)
chosen = right.multiselect(
    "Dimensiones (hasta dos)",
    list(DIMENSIONS),
    default=["month"],
    format_func=lambda d: DIMENSIONS[d][0],
    max_selections=MAX_DIMENSIONS,
    select_all=False,  # Streamlit's "Select all" is English, and only two may be chosen
    key="dims",
    bind="query-params",
    placeholder="Elija dimensiones",
)
compare = third.selectbox(
    "Comparar con",
    ["ninguno", "anterior", "anio"],
    format_func={
        "ninguno": "Sin comparación",
        "anterior": "Periodo anterior",
        "anio": "Mismo periodo del año anterior",
    }.__getitem__,
    key="comparar",
    bind="query-params",
    placeholder="Elija una opción",
)
m = INDICATORS[key]
dims = [d for d in chosen if d in m.dimensions]
dropped = [DIMENSIONS[d][0] for d in chosen if d not in m.dimensions]
st.caption(
    f"**Fórmula:** {m.formula} · **Unidad:** {m.unit} · **Fuente:** `{m.table.name}` "
    f"(de {', '.join(m.sources)})" + (f" · **Advertencia:** {m.caveats}" if m.caveats else "")
)
if dropped:
    st.info(
        f"{m.label} no tiene la dimensión {', '.join(dropped)}; se muestra sin ella. "
        f"Dimensiones disponibles: {', '.join(DIMENSIONS[d][0] for d in m.dimensions)}."
    )

comparison = None if compare == "ninguno" else shifted_period(f, compare)
if comparison is not None:
    st.caption(
        f"Comparación {COMPARISONS[compare][0]}: {period_label(comparison.start, comparison.end)}"
        " · cambio en pp para porcentajes, en puntos para NPS y en % para lo demás."
    )
    if not covered(comparison, ctx.meta.months):
        st.warning(
            "El periodo de comparación cae en parte fuera de los datos: sus valores faltan o "
            "están incompletos."
        )
    df = query(ctx, explore_compared, f, comparison, key, tuple(dims))
else:
    df = query(ctx, explore, f, key, tuple(dims))
unit = "%" if m.unit == "%" else f" {m.unit}"
if df.empty or df["value"].isna().all():
    st.info("No hay datos para esta medida con los filtros elegidos.")
    st.stop()

if not dims:
    delta = None
    if comparison is not None:
        delta = fmt_signed(df["change"].iloc[0], df["change_unit"].iloc[0])
        delta = None if delta == "—" else f"{delta} {COMPARISONS[compare][0]}"
    st.metric(m.label, fmt_num(df["value"].iloc[0], m.decimals) + unit, delta=delta)
else:
    # months are on the x axis of a line chart; any other first dimension is a bar's code
    clicked = "month" if "month" in dims else dims[0]
    st.plotly_chart(
        explorer_figure(df, m, dims),
        config=PLOTLY_CONFIG,
        width="stretch",
        **crossfilter.chart_events(
            "explorador_grafica", clicked, source="x" if clicked == "month" else "customdata"
        ),
    )
    hint = crossfilter.hint(clicked)
    st.caption(reading(df, m, dims) + (f" ({hint}.)" if hint else ""))

table, change_label = explorer_table(df, m, dims, compared=comparison is not None)
data_table(
    table,
    column_config={
        "Mes": st.column_config.DateColumn(format="MM/YYYY"),
        f"{m.label} ({m.unit})": st.column_config.NumberColumn(format=f"%,.{m.decimals}f"),
        "Numerador": st.column_config.NumberColumn(format="localized"),
        "Denominador": st.column_config.NumberColumn(format="localized"),
        "Comparación": st.column_config.NumberColumn(format=f"%,.{m.decimals}f"),
        change_label: st.column_config.NumberColumn(format="%+,.1f"),
    },
)
excel_button(
    ctx,
    f"Explorador: {m.label}",
    {"Datos": table},
    f"explorador_{key}_{f.start:%Y%m}_{f.end:%Y%m}",
    "Descargar tabla (Excel)",
    extra=[
        ("Medida", f"{m.label} ({m.unit})"),
        ("Fórmula", m.formula),
        ("Dimensiones", ", ".join(DIMENSIONS[d][0] for d in dims) or "ninguna"),
        (
            "Comparación",
            f"{COMPARISONS[compare][0]} ({period_label(comparison.start, comparison.end)})"
            if comparison is not None
            else "ninguna",
        ),
    ],
)
