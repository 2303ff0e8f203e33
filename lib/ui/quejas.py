"""The complaints page's rooms (pages/5_quejas.py): the headline cards and one function per
tab, each given the page context, its filters and what else it reads."""

import datetime as dt
from dataclasses import replace

import pandas as pd
import streamlit as st

from lib.access import sees_identifiers
from lib.analysis import complaint_text as tx
from lib.analysis import complaints as an
from lib.charts.complaints import anomaly_figure, backlog_figure, volume_figure
from lib.charts.theme import PLOTLY_CONFIG
from lib.filters import Filters, add_months
from lib.format import date_label, fmt_int, fmt_num, fmt_pct, month_label, period_label
from lib.masking import mask_text
from lib.metrics import INDICATORS
from lib.policy import Permission
from lib.queries import complaints as q
from lib.ui import crossfilter
from lib.ui.auth import permitted
from lib.ui.context import PageContext, query
from lib.ui.layout import data_table, excel_button
from lib.ui.urlstate import say_unknown

BREAKDOWN = {
    "kind": "Tipo",
    "category": "Categoría",
    "channel": "Canal",
    "ooad": "OOAD",
    "subdelegacion": "Subdelegación",
}


def headline(by_kind: pd.DataFrame, tl: dict) -> None:
    """Received, rate per 10,000 contacts, closed on time, open overdue, median days to close;
    then how many closed complaints carry no closing date."""
    received, contacts = an.overall(by_kind)
    summ = tl["summary"]
    no_date = int(summ["closed_no_date"] or 0)  # closed without a closing date: timeliness unknown
    c = st.columns(5)
    c[0].metric("Recibidas", fmt_int(received))
    c[1].metric(
        "Por 10,000 contactos",
        fmt_num(an.rate_per_10k(received, contacts)),
        help="Quejas de todo tipo entre contactos del mismo periodo y lugar.",
    )
    c[2].metric(
        "Cerradas en plazo",
        fmt_pct(INDICATORS["complaints_on_time"].value(tl["sums"])),
        help="Cerradas dentro del tramo de control, entre las cerradas con fecha de cierre y las "
        "vencidas abiertas.",
    )
    c[3].metric("Abiertas vencidas", fmt_int(summ["overdue_open"] or 0))
    c[4].metric(
        "Días para cerrar (mediana)",
        fmt_num(an.median_from_counts(tl["closing"]["days_to_close"], tl["closing"]["n"]), 0),
    )
    if no_date:
        st.caption(
            f"{fmt_int(no_date)} quejas cerradas no traen fecha de cierre: cuentan como cerradas, "
            "pero quedan fuera de «Cerradas en plazo» y de los días para cerrar."
        )


def volume(ctx: PageContext, f: Filters) -> None:
    """Complaints by month and a breakdown, counts or rate per 10,000 contacts."""
    left, right = st.columns(2)
    say_unknown("desglose", "Desglose", list(BREAKDOWN.values()), BREAKDOWN["kind"])
    say_unknown("tasa", "Tasa por 10,000 contactos", bool, "no")
    dim = (
        left.segmented_control(
            "Desglose",
            list(BREAKDOWN),
            format_func=BREAKDOWN.__getitem__,
            default="kind",
            key="desglose",
            bind="query-params",
        )
        or "kind"
    )
    rate = right.toggle(
        "Tasa por 10,000 contactos",
        value=False,
        key="tasa",
        bind="query-params",
        help="Para comparar oficinas grandes con chicas.",
    )
    d = an.volume_series(query(ctx, q.volumes, f, dim))
    st.plotly_chart(
        volume_figure(
            d,
            "month",
            f"Quejas por {BREAKDOWN[dim].lower()} y mes"
            + (" (por 10,000 contactos)" if rate else " (quejas)"),
            rate,
        ),
        config=PLOTLY_CONFIG,
        width="stretch",
        # a channel or an office is a filter; a kind or category is not, so its month is
        **(
            crossfilter.chart_events("quejas_volumen", dim)
            or crossfilter.chart_events("quejas_volumen", "month", source="x")
        ),
    )
    st.caption(
        (
            crossfilter.hint(dim)
            if dim in ("channel", "ooad", "subdelegacion")
            else crossfilter.hint("month")
        ).capitalize()
        + "."
    )
    totals = an.volume_totals(d)
    data_table(
        totals.drop(columns="key").rename(
            columns={
                "label": BREAKDOWN[dim],
                "received": "Recibidas",
                "contacts": "Contactos",
                "rate": "Por 10,000 contactos",
            }
        ),
        column_config={
            "Por 10,000 contactos": st.column_config.NumberColumn(format="%,.1f"),
            "Contactos": st.column_config.NumberColumn(format="localized"),
        },
    )
    weeks = query(ctx, q.weekly_counts, f)
    if not weeks.empty:
        st.caption(
            "Por semana ISO: "
            + ", ".join(
                f"{int(w) % 100:02d}/{int(w) // 100}: {int(n)}"
                for w, n in zip(weeks["iso_week"].tail(8), weeks["received"].tail(8), strict=True)
            )
            + " (últimas 8 semanas)."
        )


def timeliness(
    ctx: PageContext, f: Filters, tl: dict, as_of: dt.date, channel_names: dict[str, str]
) -> None:
    """The backlog by control tier and the open complaints past their due date."""
    backlog = tl["backlog"]
    st.plotly_chart(
        backlog_figure(backlog, date_label(as_of)), config=PLOTLY_CONFIG, width="stretch"
    )
    st.caption(an.backlog_reading(backlog))
    od = query(ctx, q.overdue_list, f, as_of)
    st.markdown(f"**Vencidas abiertas: {fmt_int(len(od))}**")
    if od.empty:
        st.success("No hay quejas abiertas fuera de su tramo de control en esta selección.")
        return
    table = pd.DataFrame(
        {
            "Folio": od["folio"],
            "Tipo": od["kind"],
            "Categoría": od["category"],
            "Canal": od["channel_id"].map(channel_names),
            "Subdelegación": od["subdelegacion"],
            "Recibida": od["received_on"],
            "Vencía": od["due_on"],
            "Días de atraso": od["days_overdue"],
        }
    )
    data_table(
        table,
        key="vencidas",
        column_config={
            "Recibida": st.column_config.DateColumn(format="DD/MM/YYYY"),
            "Vencía": st.column_config.DateColumn(format="DD/MM/YYYY"),
        },
    )
    st.caption("Sin identificadores de patrones. Ordenadas de la más atrasada a la menos.")


def _go_to(subdel_id: int, month: dt.date) -> None:
    """The office and month narrow this page only (chips under the title, in the URL), not
    the sidebar filters of every page (issue 17)."""
    crossfilter.set_selection(crossfilter.SUBDEL.param, str(subdel_id))
    crossfilter.set_selection(crossfilter.MES.param, month.strftime("%Y-%m"))
    st.session_state["vista"] = "Oportunidad"


def unusual(ctx: PageContext, f: Filters) -> None:
    """Office-months with more complaints than their history lets one expect."""
    # the anomaly list covers the OOAD (or the nation), even when one office is chosen; the
    # user's scope stays in the filters, so an office user still sees only its own offices
    place = replace(f, ooad_id=None if f.subdelegacion_id else f.ooad_id, subdelegacion_id=None)
    series = query(ctx, q.office_month_counts, place, add_months(f.start, -an.BASELINE_MONTHS))
    flagged = an.unusual(series)
    flagged = flagged[(flagged["month"] >= f.start) & (flagged["month"] <= f.end)]
    st.markdown(
        f"**Lo inusual en {period_label(f.start, f.end)}**: {len(flagged)} "
        "oficina-mes fuera de lo esperado (p < 0.001 y al menos "
        f"{an.MIN_EXCESS} quejas de más)."
    )
    if flagged.empty:
        st.success("Ninguna oficina recibió más quejas de lo que su historia permite esperar.")
        return
    for i, r in flagged.head(10).iterrows():
        left, right = st.columns([5, 1])
        left.markdown(
            f"{i + 1}. **{r['name']}**, {month_label(r['month'], long=True)}: "
            f"{int(r['received'])} quejas; se esperaban {r['expected']:.1f}."
        )
        right.button(
            "Ver vencidas",
            key=f"ver_{r['subdelegacion_id']}_{r['month']}",
            on_click=_go_to,
            args=(int(r["subdelegacion_id"]), r["month"]),
        )
    top = flagged.iloc[0]
    s = an.expected_counts(series)  # each office's expectation uses every office's history
    s = s[s["subdelegacion_id"] == top["subdelegacion_id"]].copy()
    s["flag"] = (s["p_value"] < an.ALPHA) & (s["excess"] >= an.MIN_EXCESS)
    st.plotly_chart(anomaly_figure(s, top["name"]), config=PLOTLY_CONFIG, width="stretch")
    st.caption(
        f"Esperado: contactos del mes × tasa de quejas de la oficina en los "
        f"{an.BASELINE_MONTHS} meses previos, acercada a la nacional cuando hay poca "
        "historia. Los contactos llevan la estacionalidad."
    )


@st.cache_resource(ttl="30m", show_spinner=False, max_entries=4)
def _model(key: str, _ctx: PageContext) -> tx.TextModel:
    return tx.train(_ctx.store.complaint_texts())


def text(ctx: PageContext, f: Filters) -> None:
    """The category classifier, its suggestions for unclassified complaints, rising terms."""
    try:
        with st.spinner("Entrenando el clasificador de textos…"):
            model = _model(repr((ctx.target.url, ctx.meta.version)), ctx)
    except ValueError as exc:
        st.info(str(exc))
        return
    cats = {**{0: "Sin categoría"}, **dict(zip(*query(ctx, q.categories), strict=True))}
    st.markdown(
        f"**Clasificador de categorías**: exactitud {fmt_pct(model.accuracy)} en las "
        f"{fmt_int(model.n_test)} quejas clasificadas más recientes que no vio "
        f"(frente a {fmt_pct(model.baseline_accuracy)} si siempre dijera la categoría "
        f"más común). Entrenado con {fmt_int(model.n_train)} quejas; TF-IDF de "
        "palabras y pares de palabras en español, regresión logística."
    )
    current = query(ctx, q.texts, f)
    prev = query(ctx, q.texts, f.shifted(-f.n_months))
    if not sees_identifiers(ctx.user):  # a description may name a patron: mask what it holds
        current = current.assign(description=current["description"].map(mask_text))
        prev = prev.assign(description=prev["description"].map(mask_text))
    pending = current[current["category_id"].isna()]
    if not pending.empty and permitted(
        ctx.user,
        Permission.FREE_TEXT,
        f"{fmt_int(len(pending))} quejas sin clasificar: sus descripciones son texto de los "
        "patrones y su rol (planeación) trabaja con agregados.",
    ):
        sug = tx.suggest(model, pending)
        st.markdown(f"**Categoría sugerida para {len(sug)} quejas sin clasificar**")
        data_table(
            pd.DataFrame(
                {
                    "Folio": sug["folio"],
                    "Descripción": sug["description"],
                    "Sugerida": sug["suggested"].map(cats),
                    "Confianza": 100 * sug["confidence"],
                }
            ),
            column_config={
                "Confianza": st.column_config.ProgressColumn(
                    format="%.0f%%", min_value=0, max_value=100
                )
            },
        )
    terms = tx.rising_terms(current["description"], prev["description"])
    st.markdown(
        f"**Términos que más crecieron** ({period_label(f.start, f.end)} frente al "
        "periodo anterior)"
    )
    if terms.empty:
        st.write("Sin términos suficientes en el periodo.")
    else:
        data_table(
            terms.rename(
                columns={
                    "term": "Término",
                    "current": "Quejas ahora",
                    "previous": "Quejas antes",
                    "ratio": "Crecimiento",
                }
            ),
            column_config={"Crecimiento": st.column_config.NumberColumn(format="×%.1f")},
        )


def export(ctx: PageContext, f: Filters, as_of: dt.date) -> None:
    od = query(ctx, q.overdue_list, f, as_of)
    vol = query(ctx, q.volumes, f, "subdelegacion")
    excel_button(
        ctx,
        "Quejas, denuncias y recomendaciones",
        {
            "Por subdelegación y mes": vol.rename(
                columns={
                    "month": "Mes",
                    "label": "Subdelegación",
                    "received": "Recibidas",
                    "closed_on_time": "Cerradas en plazo",
                    "pending_not_due": "Abiertas en plazo",
                    "contacts": "Contactos",
                }
            ).drop(columns="key"),
            "Vencidas abiertas": od.rename(
                columns={
                    "folio": "Folio",
                    "kind": "Tipo",
                    "category": "Categoría",
                    "channel_id": "Canal",
                    "subdelegacion": "Subdelegación",
                    "received_on": "Recibida",
                    "due_on": "Vencía",
                    "days_overdue": "Días de atraso",
                }
            ),
        },
        f"quejas_{f.start:%Y%m}_{f.end:%Y%m}",
        "Descargar quejas (Excel)",
    )
