"""Orientación proactiva: which patrons each office should orient first, and why."""

import datetime as dt

import pandas as pd
import streamlit as st

from lib.filters import add_months
from lib.format import date_label, fmt_int, fmt_num
from lib.model.pipeline import train_store_and_score
from lib.queries import orientation as q
from lib.ui.context import page_setup, query
from lib.ui.layout import excel_button

ctx = page_setup("Orientación proactiva", caption="Patrones con riesgo de pagar tarde")
f = ctx.filters
model = query(ctx, q.model_in_use)


def _train() -> None:
    last = ctx.meta.months[-1]
    with st.status("Entrenando el modelo…", expanded=True) as status:
        bar = st.progress(0.0)
        train_store_and_score(
            ctx.engine,
            add_months(last, -6),
            add_months(last, 1),
            author="app",
            progress=lambda x, m: bar.progress(x, text=m),
        )
        status.update(label="Modelo entrenado y patrones calificados", state="complete")
    st.cache_data.clear()


if model.empty:
    st.info(
        "Todavía no hay un modelo entrenado en esta base de datos. Entrénelo aquí o con "
        "`python -m lib train` y `python -m lib score`."
    )
    if st.button("Entrenar y calificar", icon=":material/model_training:", key="entrenar"):
        _train()
        st.rerun()
    st.stop()

run = model.iloc[0]
metrics = run["metrics"]
chosen = metrics[run["model_kind"]]
rule = metrics["rule_late_last_month"]
c = st.columns(4)
c[0].metric(
    "Modelo en uso",
    {"boosting": "Gradient boosting", "logistic": "Logística"}.get(
        run["model_kind"], run["model_kind"]
    ),
    help="El de mayor ROC AUC en el corte de evaluación, calibrado (isotónico).",
)
c[1].metric(
    "ROC AUC (evaluación)",
    fmt_num(chosen["roc_auc"], 3),
    delta=f"{chosen['roc_auc'] - rule['roc_auc']:+.3f} vs. regla",
    help="La regla: «pagó tarde el mes pasado».",
)
c[2].metric(
    "Precisión en el 5 % más alto",
    fmt_num(100 * chosen["precision_at_k"], 1) + "%",
    help=f"Tasa base: {fmt_num(100 * chosen['base_rate'], 1)}%.",
)
c[3].metric("Evaluado al", date_label(pd.Timestamp(run["cutoff"]).date()))
st.caption(
    f"Objetivo: pagar tarde al menos una vez en los 3 meses siguientes al corte. "
    f"Entrenado con cortes de {date_label(pd.Timestamp(run['train_from']).date())} a "
    f"{date_label(pd.Timestamp(run['train_to']).date())}; versión de código "
    f"{run['code_version']}."
)

per_office = st.number_input(
    "Patrones que cada oficina puede orientar al mes",
    min_value=1,
    max_value=200,
    value=10,
    step=1,
    key="capacidad",
    bind="query-params",
)
top = query(ctx, q.top_per_office, f, int(run["id"]), int(per_office))
st.markdown(
    f"**Lista de orientación: {fmt_int(len(top))} patrones** "
    f"({fmt_int(top['subdelegacion_id'].nunique())} oficinas × hasta {per_office})"
)


def _mask(registro: str) -> str:
    return registro[:3] + "•" * (len(registro) - 6) + registro[-3:]


table = pd.DataFrame(
    {
        "Registro patronal": top["registro_patronal"].map(_mask),
        "Subdelegación": top["subdelegacion"],
        "Lugar en la oficina": top["office_rank"],
        "Riesgo (%)": 100 * top["score"],
        "Razones": top["reasons"].map(lambda r: "; ".join(r) if isinstance(r, list) else str(r)),
        "Último contacto": pd.to_datetime(top["last_contact"]).dt.date,
    }
)
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={
        "Riesgo (%)": st.column_config.ProgressColumn(format="%.0f%%", min_value=0, max_value=100),
        "Último contacto": st.column_config.DateColumn(format="DD/MM/YYYY"),
    },
)
st.caption(
    "Registro patronal enmascarado. Las razones son las variables que más elevan el "
    "riesgo de cada patrón, en palabras que la oficina puede decirle."
)
excel_button(
    ctx,
    "Lista de orientación proactiva",
    {"Lista": table},
    f"orientacion_{dt.date.today():%Y%m%d}",
    "Descargar lista (Excel)",
    extra=[("Patrones por oficina", str(per_office)), ("Modelo", str(run["id"]))],
)
if st.button("Volver a entrenar y calificar", icon=":material/refresh:"):
    _train()
    st.rerun()
