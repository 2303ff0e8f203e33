"""The proactive orientation page's rooms (pages/6_orientacion.py): the train button, the
model's headline cards and one function per tab, each given the page context and the model
run it reads."""

import datetime as dt

import pandas as pd
import streamlit as st

from lib.access import mask_identifier, may, operator_turned_on, sees_identifiers
from lib.charts.orientation import (
    MODEL_NAMES,
    calibration_figure,
    gain_figure,
    orientations_figure,
)
from lib.charts.theme import PLOTLY_CONFIG
from lib.filters import Filters
from lib.format import date_label, fmt_int, fmt_num
from lib.masking import shown_text
from lib.model.feedback import orientation_feedback
from lib.model.pipeline import default_cutoffs
from lib.policy import DEMO_OPERATOR_ONLY, DemoOperatorOnly, Permission
from lib.queries import orientation as q
from lib.ui.auth import permitted
from lib.ui.context import PageContext, query
from lib.ui.layout import data_table, excel_button

PSI_LOOK, PSI_DRIFT = 0.10, 0.25
SEGMENT_GAP = 0.05  # a segment whose ROC AUC is this far under the overall one is flagged


def _train(ctx: PageContext) -> None:
    last = ctx.meta.months[-1]
    with st.status("Entrenando el modelo…", expanded=True) as status:
        bar = st.progress(0.0)
        ctx.store.train_and_score(
            *default_cutoffs(last),
            progress=lambda x, m: bar.progress(x, text=m),
        )
        status.update(label="Modelo entrenado y patrones calificados", state="complete")
    st.cache_data.clear()


CONFIRM = "orient_confirm_train"


def train_button(ctx: PageContext, label: str, icon: str, key: str) -> None:
    """The train button, for whoever the policy lets train. Without accounts (demo mode:
    everyone is the demo administrator) training is the server operator's to turn on
    (lib.policy.DEMO_OPERATOR_ONLY); turned on, the button still asks first: training changes
    everyone's list and takes about a minute and a half of the server's CPU."""
    user = ctx.user
    if user.is_demo and not operator_turned_on(Permission.TRAIN_SCORE):
        variable = DEMO_OPERATOR_ONLY[Permission.TRAIN_SCORE]
        st.caption(str(DemoOperatorOnly(Permission.TRAIN_SCORE, variable)))
        return
    if not may(user, Permission.TRAIN_SCORE):
        return
    if not user.is_demo:
        if st.button(label, icon=icon, key=key):
            _train(ctx)
            st.rerun()
        return
    if not st.session_state.get(CONFIRM):
        if st.button(label, icon=icon, key=key):
            st.session_state[CONFIRM] = True
            st.rerun()
        return
    st.warning(
        "**¿Entrenar el modelo de nuevo?** Esta es una demostración sin cuentas: cualquiera "
        "puede hacerlo y el cambio es para todos. Se vuelve a entrenar y a calificar a todos "
        "los patrones, la lista de cada oficina cambia para quien use esta base, y toma "
        "alrededor de minuto y medio de cómputo del servidor.",
        icon=":material/warning:",
    )
    yes, no = st.columns(2)
    if yes.button("Sí, entrenar ahora", type="primary", key=f"{key}_si"):
        st.session_state.pop(CONFIRM, None)
        _train(ctx)
        st.rerun()
    if no.button("Cancelar", key=f"{key}_no"):
        st.session_state.pop(CONFIRM, None)
        st.rerun()


def headline(run: pd.Series) -> None:
    """The model in use, its ROC AUC against the simple rule, its precision among the riskiest,
    its evaluation date; then a warning if the scored population drifted."""
    metrics = run["metrics"]
    kind = run["model_kind"]
    chosen = metrics[kind]
    rule = metrics["rule_late_last_month"]
    drift = metrics.get("drift") or {}

    c = st.columns(4)
    c[0].metric(
        "Modelo en uso",
        {"boosting": "Árboles potenciados"}.get(kind, MODEL_NAMES.get(kind, kind)),  # fits the card
        help=f"{MODEL_NAMES.get(kind, kind)}. De los dos modelos calibrados (regresión logística "
        "y árboles potenciados, en inglés gradient boosting), el de mayor ROC AUC en el corte de evaluación, posterior a los de "
        "entrenamiento.",
    )
    c[1].metric(
        "ROC AUC (evaluación)",
        fmt_num(chosen["roc_auc"], 3),
        delta=f"{chosen['roc_auc'] - rule['roc_auc']:+.3f} vs. regla",
        help="La regla simple: «pagó tarde el mes pasado». 0.5 es azar, 1 es perfecto.",
    )
    c[2].metric(
        "Precisión en los más riesgosos",
        fmt_num(100 * chosen["precision_at_k"], 1) + "%",
        help=f"Entre los {fmt_int(metrics.get('k'))} patrones de mayor riesgo del corte de "
        f"evaluación (5 %), los que pagaron tarde. Tasa base: {fmt_num(100 * chosen['base_rate'], 1)}%.",
    )
    c[3].metric("Evaluado al", date_label(pd.Timestamp(run["cutoff"]).date()))

    psi = drift.get("psi")
    if psi is not None and psi > PSI_DRIFT:
        st.error(
            f"**La población calificada ya no se parece a la de evaluación** (índice de estabilidad "
            f"{fmt_num(psi, 2)} > {PSI_DRIFT}). Vuelva a entrenar antes de usar la lista.",
            icon=":material/warning:",
        )
    elif psi is not None and psi > PSI_LOOK:
        st.warning(
            f"La distribución de riesgos se movió desde la evaluación (índice de estabilidad "
            f"{fmt_num(psi, 2)}, entre {PSI_LOOK} y {PSI_DRIFT}): conviene revisar el modelo.",
            icon=":material/info:",
        )


def patron_list(ctx: PageContext, f: Filters, run: pd.Series) -> None:
    """The patrons each office should orient first, up to its capacity, with their reasons."""
    user = ctx.user
    kind = run["model_kind"]
    drift = run["metrics"].get("drift") or {}
    if not permitted(
        user,
        Permission.PATRON_LIST,
        "Su rol (planeación) trabaja con agregados: la lista de patrones no está disponible. "
        "La ficha del modelo y la retroalimentación sí.",
    ):
        return
    per_office = st.number_input(
        "Patrones que cada oficina puede orientar al mes",
        min_value=1,
        max_value=200,
        value=10,
        step=1,
        key="capacidad",
        bind="query-params",
        help="La lista toma a los de mayor riesgo de cada subdelegación, hasta esta capacidad.",
    )
    top = query(ctx, q.top_per_office, f, int(run["id"]), int(per_office))
    st.markdown(
        f"**Lista de orientación: {fmt_int(len(top))} patrones** "
        f"({fmt_int(top['subdelegacion_id'].nunique())} oficinas × hasta {per_office}) · "
        f"calificados al {date_label(pd.Timestamp(drift['cutoff']).date()) if drift else '—'}"
    )
    clear = sees_identifiers(user)
    registro = top["registro_patronal"] if clear else top["registro_patronal"].map(mask_identifier)
    table = pd.DataFrame(
        {
            "Registro patronal": registro,
            "Subdelegación": top["subdelegacion"],
            "Lugar en la oficina": top["office_rank"],
            "Riesgo (%)": (100 * top["score"]).round(1),
            "Razones": top["reasons"].map(
                lambda r: shown_text("; ".join(r) if isinstance(r, list) else str(r), clear)
            ),
            "Último contacto": pd.to_datetime(top["last_contact"]).dt.date,
        }
    )
    data_table(
        table,
        column_config={
            "Riesgo (%)": st.column_config.ProgressColumn(
                format="%.0f%%", min_value=0, max_value=100
            ),
            "Último contacto": st.column_config.DateColumn(format="DD/MM/YYYY"),
        },
    )
    st.caption(
        (
            "Registro patronal completo (su rol lo permite). "
            if clear
            else "Registro patronal enmascarado (su rol no requiere verlo completo). "
        )
        + "Riesgo: probabilidad calibrada de pagar tarde al menos una vez en los 3 meses "
        "siguientes. Las razones son lo que más eleva el riesgo de cada patrón, en palabras "
        "que la oficina puede decirle."
    )
    excel_button(
        ctx,
        "Lista de orientación proactiva",
        {"Lista": table},
        f"orientacion_{dt.date.today():%Y%m%d}",
        "Descargar lista (Excel)",
        extra=[
            ("Patrones por oficina", str(per_office)),
            ("Modelo", f"{run['id']} ({MODEL_NAMES.get(kind, kind)})"),
            ("Identificadores", "completos" if clear else "enmascarados"),
        ],
    )


def model_card(ctx: PageContext, run: pd.Series) -> None:
    """What the model predicts, how well against the simple rule, per segment, and its drift."""
    metrics = run["metrics"]
    kind = run["model_kind"]
    chosen = metrics[kind]
    drift = metrics.get("drift") or {}
    psi = drift.get("psi")
    st.markdown(
        f"**Objetivo:** pagar tarde (o no pagar) al menos una vez en los 3 meses siguientes al "
        f"corte. **Entrenamiento:** cortes de {date_label(pd.Timestamp(run['train_from']).date())} "
        f"a {date_label(pd.Timestamp(run['train_to']).date())}; **evaluación:** corte del "
        f"{date_label(pd.Timestamp(run['cutoff']).date())}, posterior, nunca visto al entrenar. "
        f"Entrenado el {pd.Timestamp(run['created_at']):%d/%m/%Y %H:%M}, código "
        f"{run['code_version']}."
    )
    names = ["logistic", "boosting", "rule_late_last_month"]
    table = pd.DataFrame(
        {
            "Modelo": [MODEL_NAMES[n] + (" (en uso)" if n == kind else "") for n in names],
            "ROC AUC": [metrics[n]["roc_auc"] for n in names],
            "PR AUC": [metrics[n]["pr_auc"] for n in names],
            "Error de probabilidad (Brier)": [metrics[n]["brier"] for n in names],
            "Precisión en k (%)": [100 * metrics[n]["precision_at_k"] for n in names],
            "Cobertura en k (%)": [100 * metrics[n]["recall_at_k"] for n in names],
        }
    ).round(3)
    data_table(table)
    st.caption(
        f"k = {fmt_int(metrics.get('k'))} patrones (el 5 % más riesgoso del corte de "
        "evaluación). Error de probabilidad (puntaje de Brier): error cuadrático medio de la "
        "probabilidad predicha, menor es mejor. La regla simple sirve de piso: un modelo que no la supera no se usa."
    )
    curves = metrics.get("curves")
    if curves:
        left, right = st.columns(2)
        with left:
            st.plotly_chart(gain_figure(curves), config=PLOTLY_CONFIG, width="stretch")
            g = dict(zip(curves[kind]["fraction"], curves[kind]["gain"], strict=True))
            r = curves["rule_late_last_month"]
            rule_gain = dict(zip(r["fraction"], r["gain"], strict=True))
            st.caption(
                f"Orientando al 10 % más riesgoso se alcanza al {fmt_num(100 * g[0.1], 0)}% de "
                f"quienes pagarán tarde, {fmt_num(g[0.1] / 0.1, 1)} veces lo que se alcanzaría "
                "eligiendo al azar; la regla simple, al "
                f"{fmt_num(100 * rule_gain[0.1], 0)}%."
            )
        with right:
            st.plotly_chart(
                calibration_figure(curves[kind], kind), config=PLOTLY_CONFIG, width="stretch"
            )
            gap = max(
                abs(p - o)
                for p, o in zip(
                    curves[kind]["calibration_predicted"],
                    curves[kind]["calibration_observed"],
                    strict=True,
                )
            )
            st.caption(
                f"El riesgo predicho y el observado difieren a lo más {fmt_num(100 * gap, 1)} "
                "puntos por decil: el porcentaje de la lista puede leerse como probabilidad."
            )
    segments = pd.DataFrame(metrics.get("segments") or [])
    if not segments.empty:
        st.subheader(
            "Por segmento", help="Para que ningún segmento quede peor servido en silencio."
        )
        names_by = {
            "OOAD": dict(zip(ctx.ooads["id"].astype(str), ctx.ooads["name"], strict=True)),
            "Tamaño": dict(
                zip(ctx.size_bands["id"].astype(str), ctx.size_bands["name"], strict=True)
            ),
        }
        segments["Valor"] = [
            names_by.get(s, {}).get(v, v)
            for s, v in zip(segments["segment"], segments["value"], strict=True)
        ]
        overall = chosen["roc_auc"]
        segments["Atención"] = segments["roc_auc"].map(
            lambda a: "peor que el total" if a is not None and a < overall - SEGMENT_GAP else ""
        )
        shown = segments.rename(
            columns={
                "segment": "Segmento",
                "n": "Patrones",
                "base_rate": "Tasa de pago tardío",
                "mean_score": "Riesgo predicho medio",
                "roc_auc": "ROC AUC",
            }
        )[
            [
                "Segmento",
                "Valor",
                "Patrones",
                "Tasa de pago tardío",
                "Riesgo predicho medio",
                "ROC AUC",
                "Atención",
            ]
        ]
        data_table(shown.round(3))
        worse = segments[segments["Atención"] != ""]
        st.caption(
            f"{fmt_int(len(worse))} de {fmt_int(segments['roc_auc'].notna().sum())} segmentos "
            f"medibles tienen un ROC AUC más de {SEGMENT_GAP} por debajo del total "
            f"({fmt_num(overall, 3)}); sin AUC: menos de 50 patrones o un solo desenlace."
        )
        excel_button(
            ctx,
            "Ficha del modelo",
            {"Métricas": table, "Segmentos": shown},
            "ficha_modelo",
            "Descargar ficha (Excel)",
        )
    if drift:
        st.caption(
            f"Última calificación: {fmt_int(drift.get('patrons'))} patrones al "
            f"{date_label(pd.Timestamp(drift['cutoff']).date())}, riesgo medio "
            f"{fmt_num(100 * drift.get('mean_score', 0), 1)}%, índice de estabilidad "
            f"{fmt_num(psi, 3) if psi is not None else '—'} (menos de {PSI_LOOK}: estable)."
        )


def feedback(ctx: PageContext, f: Filters) -> None:
    """The offices' orientations by month and outcome, and their effect on paying late."""
    monthly = query(ctx, q.orientations_by_month, f)
    if monthly.empty:
        st.info("No hay orientaciones registradas en el periodo y lugar elegidos.")
    else:
        st.plotly_chart(orientations_figure(monthly), config=PLOTLY_CONFIG, width="stretch")
        by_outcome = monthly.groupby("outcome")["orientations"].sum()
        st.caption(
            f"{fmt_int(by_outcome.sum())} orientaciones en el periodo; "
            f"{fmt_num(100 * by_outcome.get('regularizado', 0) / by_outcome.sum(), 0)}% "
            "terminaron en regularización."
        )
    st.subheader("¿La orientación mejora el pago?")
    try:
        effect = query(ctx, orientation_feedback, f, ctx.meta.months[-1])
    except ValueError as exc:
        st.info(f"No se puede medir el efecto: {exc}.")
        return
    e = effect.estimate
    c = st.columns(3)
    c[0].metric(
        "Efecto en la probabilidad de pagar tarde",
        f"{100 * e.effect:+.1f} pp",
        help="Diferencia en diferencias apilada: orientados contra patrones del mismo tamaño "
        "aún no orientados, cada uno contra sí mismo (efectos fijos); 6 meses antes y 3 "
        "después, sin el mes previo (en el que la oficina los elige) ni el de la orientación.",
    )
    c[1].metric("Intervalo de 95 %", f"{100 * e.ci_low:+.1f} a {100 * e.ci_high:+.1f} pp")
    c[2].metric(
        "Orientados comparados",
        fmt_int(effect.treated),
        help=f"Contra {fmt_int(effect.controls)} patrones de control.",
    )
    verdict = (
        "no se distingue de cero"
        if e.ci_low <= 0 <= e.ci_high
        else ("reduce" if e.effect < 0 else "aumenta") + " el pago tardío"
    )
    st.caption(
        f"Cohortes de {effect.cohorts[0]:%m/%Y} a {effect.cohorts[-1]:%m/%Y}: el efecto "
        f"{verdict}. La comparación ingenua (orientados contra el resto, después) da "
        f"{100 * effect.naive:+.1f} pp, porque las oficinas orientan a los más riesgosos: "
        "eso es selección, no efecto."
    )
