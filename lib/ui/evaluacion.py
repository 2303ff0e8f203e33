"""The service evaluation page's rooms (pages/3_evaluacion.py): the headline cards and one
function per tab, each given the page context, its filters and what else it reads."""

import datetime as dt
from dataclasses import replace

import pandas as pd
import streamlit as st

from lib.access import sees_identifiers
from lib.analysis import service as ev
from lib.charts.service import drivers_figure, funnel_figure, p_chart_figure, score_bars
from lib.charts.theme import PLOTLY_CONFIG
from lib.filters import Filters, add_months
from lib.format import date_label, fmt_int, fmt_num, fmt_pct, month_label
from lib.masking import mask_text
from lib.policy import Permission
from lib.queries import service as q
from lib.ui import crossfilter
from lib.ui.auth import permitted
from lib.ui.context import PageContext, query
from lib.ui.layout import data_table, excel_button
from lib.ui.urlstate import say_unknown


def headline(top: pd.Series) -> None:
    """The five cards over every tab: satisfied, mean CSAT, NPS, effort, responses."""
    c = st.columns(5)
    c[0].metric(
        "Satisfechos (4-5)",
        fmt_pct(top["satisfied"]),
        help=f"IC 95 %: {fmt_pct(top['satisfied_low'])} – {fmt_pct(top['satisfied_high'])}",
    )
    c[1].metric(
        "CSAT promedio (1-5)",
        fmt_num(top["csat_mean"], 2),
        help=f"IC 95 %: {fmt_num(top['csat_mean_low'], 2)} – {fmt_num(top['csat_mean_high'], 2)}",
    )
    c[2].metric(
        "NPS",
        fmt_num(top["nps"]),
        help=f"IC 95 %: {fmt_num(top['nps_low'])} – {fmt_num(top['nps_high'])} "
        "(varianza multinomial de promotores menos detractores)",
    )
    c[3].metric("Esfuerzo (1 fácil – 5 difícil)", fmt_num(top["effort"], 2))
    c[4].metric(
        "Respuestas",
        fmt_int(top["responses"]),
        help=f"Tasa de respuesta: {fmt_pct(top['response_rate'])} de "
        f"{fmt_int(top['contacts'])} contactos",
    )


DIMENSIONS = {
    "channel": "Canal",
    "ooad": "OOAD",
    "subdelegacion": "Subdelegación",
    "procedure": "Trámite",
    "month": "Mes",
}


# Short on-screen headers of the scores table (its key columns come first; issue 17)
SCORE_HEADERS = {
    "Satisfechos (%)": "Satisfechos %",
    "CSAT promedio": "CSAT",
    "Tasa de respuesta (%)": "Tasa resp. %",
    "IC95 inf.": "Satisf. IC inf.",
    "IC95 sup.": "Satisf. IC sup.",
    "NPS IC95 inf.": "NPS IC inf.",
    "NPS IC95 sup.": "NPS IC sup.",
}


def _readable(t: pd.DataFrame, first: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            first: [month_label(v) if isinstance(v, dt.date) else v for v in t["label"]],
            "Respuestas": t["responses"],
            "Tasa de respuesta (%)": 100 * t["response_rate"],
            "Satisfechos (%)": 100 * t["satisfied"],
            "IC95 inf.": 100 * t["satisfied_low"],
            "IC95 sup.": 100 * t["satisfied_high"],
            "CSAT promedio": t["csat_mean"],
            "NPS": t["nps"],
            "NPS IC95 inf.": t["nps_low"],
            "NPS IC95 sup.": t["nps_high"],
            "Esfuerzo": t["effort"],
        }
    )


def scores(ctx: PageContext, f: Filters) -> None:
    """Scores by channel, office, procedure or month, each with its interval."""
    say_unknown("ver_por", "Ver por", list(DIMENSIONS.values()), DIMENSIONS["channel"])
    dim = (
        st.segmented_control(
            "Ver por",
            list(DIMENSIONS),
            format_func=DIMENSIONS.__getitem__,
            default="channel",
            key="ver_por",
            bind="query-params",
        )
        or "channel"
    )
    t = ev.score_table(query(ctx, q.scores_by, f, dim))
    table = _readable(t, DIMENSIONS[dim])
    data_table(
        table,
        column_config={
            col: st.column_config.NumberColumn(format="%,.1f") for col in table.columns[2:]
        }
        | {"Respuestas": st.column_config.NumberColumn(format="localized")},
        first=(DIMENSIONS[dim], "Satisfechos (%)", "CSAT promedio", "NPS", "Esfuerzo"),
        short=SCORE_HEADERS,
    )
    if dim != "month":
        chart_t = t.assign(label=table[DIMENSIONS[dim]])
        st.plotly_chart(
            score_bars(chart_t, f"Satisfechos por {DIMENSIONS[dim].lower()} (%)"),
            config=PLOTLY_CONFIG,
            width="stretch",
            **crossfilter.chart_events("evaluacion_puntajes", dim),
        )
        if crossfilter.hint(dim):
            st.caption(crossfilter.hint(dim).capitalize() + ".")
    st.caption(
        "IC 95 %: Wilson para porcentajes, t para promedios, varianza multinomial para "
        "NPS. Un intervalo ancho es poca información, no mal servicio."
    )


def offices(ctx: PageContext, f: Filters) -> None:
    """Funnel plot: an office is out of line only beyond the 99.8 % limit for its size."""
    levels = [DIMENSIONS["subdelegacion"], DIMENSIONS["ooad"]]
    say_unknown("nivel_embudo", "Oficinas", levels, levels[0])
    level = (
        st.segmented_control(
            "Oficinas",
            ["subdelegacion", "ooad"],
            default="subdelegacion",
            format_func=DIMENSIONS.__getitem__,
            key="nivel_embudo",
            bind="query-params",
        )
        or "subdelegacion"
    )
    fun = ev.funnel(query(ctx, q.scores_by, f, level))
    st.plotly_chart(
        funnel_figure(
            fun, f"Satisfechos por {DIMENSIONS[level].lower()} frente a su número de respuestas (%)"
        ),
        config=PLOTLY_CONFIG,
        width="stretch",
    )
    out = fun[fun["status"].isin(["bajo 99.8 %", "sobre 99.8 %"])]
    below = out[out["status"] == "bajo 99.8 %"]
    if out.empty:
        st.success(
            "Ninguna oficina sale de los límites de 99.8 %: las diferencias caben en el "
            "ruido esperado para su tamaño."
        )
    else:
        st.markdown(
            f"**{len(below)} oficina(s) por debajo del límite de 99.8 %** "
            f"({', '.join(below['label'])})"
            if len(below)
            else "**Ninguna oficina por debajo**"
        )
    data_table(
        pd.DataFrame(
            {
                DIMENSIONS[level]: fun["label"],
                "Respuestas": fun["responses"],
                "Satisfechos (%)": 100 * fun["p"],
                "z": fun["z"],
                "Estado": fun["status"]
                .map({"bajo 99.8 %": "Fuera: por debajo", "sobre 99.8 %": "Fuera: por encima"})
                .fillna(""),
            }
        ),
        column_config={
            "Satisfechos (%)": st.column_config.NumberColumn(format="%,.1f"),
            "z": st.column_config.NumberColumn(format="%,.1f"),
        },
    )
    st.caption(
        f"Ordenado de peor a mejor respecto al valor de referencia "
        f"({fmt_pct(fun['p0'].iloc[0])}). Sólo se marcan las oficinas fuera del límite de "
        f"99.8 %; con {len(fun)} oficinas, fuera de 95 % caerían unas {round(0.05 * len(fun))} "
        "por puro azar."
    )


def over_time(ctx: PageContext, f: Filters, channel_names: dict[str, str]) -> None:
    """p-chart per channel, change points, and a before/after around a chosen date."""
    monthly = query(ctx, q.monthly_by_channel, replace(f, start=ctx.meta.months[0]))
    cps = ev.change_points(monthly)
    changes = pd.DataFrame(
        {
            "Canal": cps["channel_id"].map(channel_names),
            "Mes del cambio": cps["month"].map(month_label),
            "Antes (%)": 100 * cps["before"],
            "Después (%)": 100 * cps["after"],
            "Cambio (pp)": 100 * cps["shift"],
            "p": cps["p_value"],
            "Significativo": cps["significant"].map({True: "sí", False: "no"}),
        }
    )
    sig = changes[changes["Significativo"] == "sí"] if len(changes) else changes
    for _, r in sig.iterrows():
        verb = "cayó" if r["Cambio (pp)"] < 0 else "subió"
        st.markdown(
            f"- **{r['Canal']}**: la satisfacción {verb} de {r['Antes (%)']:.1f}% a "
            f"{r['Después (%)']:.1f}% a partir de **{r['Mes del cambio']}**."
        )
    if sig.empty:
        st.markdown("- Ningún canal muestra un cambio de nivel significativo.")
    default = list(channel_names).index(
        next(
            (k for k, v in channel_names.items() if len(sig) and v == sig.iloc[0]["Canal"]),
            "ventanilla",
        )
    )
    say_unknown(
        "canal_control",
        "Gráfica de control del canal",
        list(channel_names.values()),
        list(channel_names.values())[default],
    )
    pick = st.selectbox(
        "Gráfica de control del canal",
        list(channel_names),
        format_func=channel_names.__getitem__,
        key="canal_control",
        bind="query-params",
        index=default,
        placeholder="Elija una opción",
    )
    shift = ev.detected_shift(cps, pick)  # limits per phase after a significant level shift
    pc = ev.p_chart(monthly[monthly["channel_id"] == pick], shift)
    if not pc.empty:
        st.plotly_chart(
            p_chart_figure(pc, f"{channel_names[pick]}: satisfechos por mes (p-chart, %)"),
            config=PLOTLY_CONFIG,
            width="stretch",
        )
        st.caption(ev.p_chart_reading(pc, month_label(shift) if shift else None))
    with st.expander("Cambio de nivel por canal (todos)"):
        data_table(changes)
    st.markdown("**Antes y después de una fecha**")
    left, right = st.columns(2)
    default_cut = add_months(ctx.meta.months[-1], -6)
    cut = left.date_input(
        "Fecha de corte",
        value=default_cut,
        format="DD/MM/YYYY",
        min_value=ctx.meta.months[0],
        max_value=ctx.meta.data_as_of,
        key="corte",
        bind="query-params",
    )
    days = right.slider(
        "Días a cada lado", 30, 180, 90, step=15, key="ventana", bind="query-params"
    )
    ba = ev.compare_before_after(query(ctx, q.before_after, f, cut, days))
    if ba.empty:
        st.info("No hay respuestas a ambos lados de la fecha elegida.")
        return
    table = pd.DataFrame(
        {
            "Canal": ba["channel_id"].map(channel_names),
            "Respuestas antes": ba["responses_before"],
            "Respuestas después": ba["responses_after"],
            "Satisfechos antes (%)": 100 * ba["satisfied_before"],
            "Satisfechos después (%)": 100 * ba["satisfied_after"],
            "Cambio (pp)": 100 * ba["change"],
            "IC95 inf.": 100 * ba["change_low"],
            "IC95 sup.": 100 * ba["change_high"],
            "p ajustada": ba["p_adjusted"],
            "Significativo": ba["significant"].map({True: "sí", False: "no"}),
        }
    )
    data_table(
        table,
        key="antes_despues",
        column_config={
            c: st.column_config.NumberColumn(format="%,.1f") for c in table.columns[3:8]
        },
    )
    moved = ba[ba["significant"]]
    st.caption(
        f"Del {date_label(cut - dt.timedelta(days=days))} al {date_label(cut)} frente al "
        f"{date_label(cut)} al {date_label(cut + dt.timedelta(days=days))}. "
        + (
            "Cambios significativos (Holm, 5 %): "
            + "; ".join(
                f"{channel_names[r['channel_id']]} {100 * r['change']:+.1f} pp"
                for _, r in moved.iterrows()
            )
            if len(moved)
            else "Ningún cambio significativo."
        )
    )


def drivers(ctx: PageContext, f: Filters) -> None:
    """Which dimensions move the overall score."""
    try:
        t, r2 = ev.drivers(query(ctx, q.driver_moments, f).iloc[0])
    except ValueError as exc:
        st.info(str(exc))
        return
    st.plotly_chart(drivers_figure(t), config=PLOTLY_CONFIG, width="stretch")
    lead = t.iloc[0]
    st.markdown(
        f"**{lead['label']}** es la dimensión que más mueve la satisfacción: explica "
        f"{fmt_pct(lead['importance'], 0)} de lo que las cuatro dimensiones explican, y un punto "
        f"más en ella se asocia con {lead['coefficient']:+.2f} puntos de CSAT. Ahí rinden más "
        "las acciones correctivas."
    )
    data_table(
        pd.DataFrame(
            {
                "Dimensión": t["label"],
                "Promedio (1-5)": t["mean"],
                "Coeficiente": t["coefficient"],
                "Error estándar": t["std_error"],
                "Coef. estandarizado": t["standardized"],
                "Importancia relativa (%)": 100 * t["importance"],
            }
        ),
        column_config={
            c: st.column_config.NumberColumn(format="%.3f")
            for c in ("Coeficiente", "Error estándar", "Coef. estandarizado")
        },
    )
    st.caption(
        f"Método: regresión lineal de CSAT sobre las cuatro dimensiones (R² = {r2:.2f}) "
        "calculada en la base de datos con sumas de productos; importancia relativa por "
        "descomposición de Shapley del R² (LMG), que reparte la parte compartida entre "
        "dimensiones correlacionadas. Es asociación, no causalidad."
    )


def targets(top: pd.Series) -> None:
    """Targets per indicator and the gap to them; the targets travel in the URL."""
    st.caption(
        "Escriba una meta por indicador: la página muestra la brecha. Las metas quedan "
        "en el enlace de la vista para compartirlas."
    )
    specs = [
        ("meta_satisfechos", "Satisfechos (%)", 100 * (top["satisfied"] or 0), 85.0, True),
        ("meta_nps", "NPS", top["nps"] or 0, 30.0, True),
        ("meta_esfuerzo", "Esfuerzo (1-5)", top["effort"] or 0, 2.0, False),
        ("meta_respuesta", "Tasa de respuesta (%)", 100 * (top["response_rate"] or 0), 15.0, True),
    ]
    cols = st.columns(len(specs))
    for col, (key, label, value, default, higher) in zip(cols, specs, strict=True):
        target = col.number_input(
            f"Meta: {label}", value=default, step=0.5, key=key, bind="query-params"
        )
        gap = ev.gap_to_target(value, target, higher)  # positive = met or beaten
        above = None if gap is None else (gap if higher else -gap)  # value − target, as read
        col.metric(
            label,
            fmt_num(value),
            # the difference as read (effort 2.2 against 2.0 is "+0.2"), green when it is on
            # the good side: up for scores, down for effort
            delta=None if above is None else f"{above:+.1f} vs. meta",
            delta_color="normal" if higher else "inverse",
            help=None
            if gap is None
            else ("Meta cumplida." if gap >= 0 else "Falta para la meta.")
            + ("" if higher else " En esfuerzo, menos es mejor."),
        )


def comments(ctx: PageContext, f: Filters) -> None:
    if not permitted(
        ctx.user,
        Permission.FREE_TEXT,
        "Los comentarios son texto de los patrones: su rol (planeación) trabaja con agregados.",
    ):
        return
    sample = query(ctx, q.comment_sample, f)
    if not sees_identifiers(ctx.user):  # a comment may name a patron: mask what it holds
        sample = sample.assign(comment=sample["comment"].map(mask_text))
    if sample.empty:
        st.info("No hay comentarios en esta selección.")
        return
    data_table(
        sample.rename(
            columns={
                "responded_on": "Fecha",
                "channel": "Canal",
                "subdelegacion": "Subdelegación",
                "csat": "CSAT",
                "comment": "Comentario",
            }
        ),
        column_config={"Fecha": st.column_config.DateColumn(format="DD/MM/YYYY")},
    )
    st.caption(
        "Los 20 comentarios más recientes de la selección; los identificadores que un "
        "comentario contenga (registro patronal, RFC, CURP, NSS, correo, teléfono) se "
        "muestran enmascarados si su rol no permite verlos."
    )


def export(ctx: PageContext, f: Filters) -> None:
    fun = ev.funnel(query(ctx, q.scores_by, f, "subdelegacion"))
    sheets = {
        f"Por {v.lower()}": _readable(ev.score_table(query(ctx, q.scores_by, f, k)), v)
        for k, v in DIMENSIONS.items()
    }
    sheets["Embudo subdelegaciones"] = (
        fun[["label", "responses", "p", "z", "status"]]
        .assign(p=100 * fun["p"])
        .rename(
            columns={
                "label": "Subdelegación",
                "responses": "Respuestas",
                "p": "Satisfechos (%)",
                "status": "Estado",
            }
        )
    )
    excel_button(
        ctx,
        "Evaluación del servicio",
        sheets,
        f"evaluacion_{f.start:%Y%m}_{f.end:%Y%m}",
        "Descargar evaluación (Excel)",
    )
    st.caption("Cada gráfica se descarga como PNG desde su menú (ícono de cámara).")
