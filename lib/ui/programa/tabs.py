"""The work program's seven tabs, in the page's order. Each takes the page's inputs
(``Plan``), and those that show or edit the draft take the working copy and whether the user
sees identifiers (``clear``)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from lib.charts.planning import backtest_figure, capacity_figure, forecast_figure
from lib.charts.theme import PLOTLY_CONFIG
from lib.format import date_label, fmt_int, fmt_mxn, fmt_num, period_label
from lib.masking import shown_text
from lib.planning import capacity as cap
from lib.planning import drafts as dr
from lib.planning import export as ex
from lib.planning import forecast as fc
from lib.planning.targets import unmatched
from lib.ui.data import cached_figure, cached_pure
from lib.ui.layout import DOCX, XLSX, data_table
from lib.ui.programa.draft import editor, show_changes
from lib.ui.programa.plan import (
    BASELINE_COLUMNS,
    Plan,
    baseline,
    capacity_now,
    channel_forecast,
    measured,
    plan_now,
)


def baseline_tab(plan: Plan) -> None:
    """«Línea base»: each indicator over the last 12 months against the 12 before."""
    t = baseline(plan)
    w = plan.windows
    st.markdown(
        f"**Últimos 12 meses** ({period_label(*w['last12'])}) frente a los 12 anteriores "
        f"({period_label(*w['previous'])}), con las definiciones del resumen ejecutivo."
    )
    data_table(  # one decimal on screen (counts show none); the workbook keeps full precision
        t.drop(columns=["key", "owner_unit"])
        .round({"previous": 1, "last12": 1})
        .rename(columns=BASELINE_COLUMNS),
        column_config={
            "12 meses anteriores": st.column_config.NumberColumn(format="localized"),
            "Últimos 12 meses": st.column_config.NumberColumn(format="localized"),
            "Cambio": st.column_config.NumberColumn(format="%+.1f"),
        },
    )
    st.caption(
        "Cambio: puntos porcentuales para porcentajes; % relativo para conteos y pesos. "
        "Retorno de campañas: recaudación adicional medida entre su costo, de las campañas "
        "iniciadas en cada periodo que tienen grupo de control."
    )


def forecast_tab(plan: Plan) -> None:
    """«Pronóstico»: contacts per channel in the plan year, the model's backtest and, on
    request, a forecast per OOAD."""
    year, history, names = plan.year, plan.history, plan.channel_names
    with st.spinner("Ajustando un modelo por canal…"):
        monthly, totals = channel_forecast(plan)
    total_series = history.groupby("month")["contacts"].sum()
    bt = cached_pure(fc.backtest, total_series)
    c = st.columns(3)
    c[0].metric(f"Contactos pronosticados {year}", fmt_int(totals["forecast"].sum()))
    c[1].metric("Últimos 12 meses", fmt_int(totals["last12"].sum()))
    c[2].metric(
        "Error del contraste (MAPE)",
        f"{fmt_num(bt.mape)}%",
        help=f"Modelo ajustado con los {bt.train_months} meses anteriores al último año, "
        "pronosticando ese año y comparando con lo real.",
    )
    st.plotly_chart(
        cached_figure(forecast_figure, history, monthly, names, year, fc.LEVEL),
        config=PLOTLY_CONFIG,
        width="stretch",
    )
    change = 100 * (totals["forecast"].sum() / totals["last12"].sum() - 1)
    st.caption(
        f"Se espera que la demanda cambie {fmt_num(change)}% "
        f"en {year} frente a los últimos 12 meses. Modelo: {bt.method}."
    )
    _forecast_table(totals, "channel_id", "Canal", names, year)
    st.plotly_chart(
        cached_figure(backtest_figure, bt.frame, bt.mape), config=PLOTLY_CONFIG, width="stretch"
    )
    st.caption(
        f"El último año real cayó dentro del intervalo del 90 % en {fmt_num(100 * bt.coverage, 0)}% "
        "de los meses."
    )
    if st.toggle("Pronóstico por OOAD (un modelo por OOAD; tarda unos segundos)", key="pat_ooad"):
        by_ooad = history.groupby(["month", "ooad_id"], as_index=False)["contacts"].sum()
        with st.spinner("Ajustando un modelo por OOAD…"):
            _, ot = cached_pure(fc.forecast_by, by_ooad, "ooad_id", plan.last, year)
        ooads = plan.ctx.ooads.set_index("id")["name"].to_dict()
        _forecast_table(ot, "ooad_id", "OOAD", ooads, year)


def _forecast_table(
    totals: pd.DataFrame, key: str, label: str, names: dict[Any, str], year: int
) -> None:
    """The year's forecast per channel or per OOAD (``key``), with its 90 % interval, the
    last 12 months and the backtest error, counts in the locale's thousands."""
    counts = [f"Pronóstico {year}", "Inferior (90 %)", "Superior (90 %)", "Últimos 12 meses"]
    data_table(
        pd.DataFrame(
            {
                label: totals[key].map(names),
                counts[0]: totals["forecast"].round(0),
                counts[1]: totals["lower"].round(0),
                counts[2]: totals["upper"].round(0),
                counts[3]: totals["last12"],
                "MAPE del contraste (%)": totals["backtest_mape"],
            }
        ),
        column_config={k: st.column_config.NumberColumn(format="localized") for k in counts}
        | {"MAPE del contraste (%)": st.column_config.NumberColumn(format="%,.1f")},
    )


def targets_tab(year: int, work: dict[str, Any], clear: bool) -> None:
    """«Metas»: the working copy's targets for ``year`` in an editable grid."""
    st.markdown(
        f"**Metas {year}.** Edite la meta, la unidad responsable, los hitos trimestrales y la "
        "fecha compromiso; puede agregar indicadores (elíjalos en la columna Indicador) o "
        "quitarlos. Los porcentajes van de 0 a 100."
    )
    lost = unmatched(work["targets"])
    if lost:
        st.warning(
            f"{len(lost)} meta(s) no corresponden a un indicador del programa y no se podrán "
            "seguir: " + ", ".join(f"«{shown_text(x, clear)}»" for x in lost) + ". Elija su "
            "indicador en la columna Indicador o quítelas.",
            icon=":material/link_off:",
        )
    editor(work, "targets", clear, num_rows="dynamic")
    st.caption(
        "La línea base 🔒 viene de los datos y no se edita; la clave 🔒 dice qué indicador "
        "se sigue. Las metas y los hitos no pueden ser negativos; en unidades de porcentaje "
        "van de 0 a 100."
    )


def capacity_tab(plan: Plan, work: dict[str, Any], clear: bool) -> None:
    """«Capacidad»: staff minutes and hours per channel (editable) and the staff needed."""
    st.markdown(
        "**Capacidad.** Minutos de personal por contacto (parten del promedio medido en los "
        "últimos 12 meses; 0 en canales de autoservicio) y horas de personal disponibles en "
        f"{plan.year} por canal."
    )
    editor(work, "capacity", clear, hidden=("channel_id",), num_rows="fixed")
    t = capacity_now(plan, work)
    total = t[t["channel_id"] == "total"].iloc[0]
    c = st.columns(3)
    c[0].metric("Horas necesarias", fmt_int(total["hours_needed"]))
    c[1].metric("Horas disponibles", fmt_int(total["hours_available"]))
    c[2].metric(
        "Personas de tiempo completo",
        fmt_num(total["fte_needed"]),
        help=f"Horas necesarias entre {fmt_int(cap.HOURS_PER_FTE)} horas productivas al año.",
    )
    st.plotly_chart(
        cached_figure(capacity_figure, t, plan.channel_names), config=PLOTLY_CONFIG, width="stretch"
    )
    st.caption(cap.capacity_reading(t, plan.channel_names))


def campaigns_tab(plan: Plan, work: dict[str, Any], clear: bool) -> None:
    """«Campañas»: which measured campaigns to repeat, and the collection they are expected
    to add."""
    m = measured(plan)
    if m.empty:
        st.info("No hay campañas terminadas con medición.")
        return
    st.markdown(
        "**Plan de campañas.** Marque las campañas a repetir y su costo previsto. La "
        "recaudación esperada supone el mismo retorno por peso que se midió (con su intervalo)."
    )
    editor(work, "picks", clear, num_rows="fixed")
    picked = plan_now(plan, work)
    data_table(
        pd.DataFrame(
            {
                "Código": m["code"],
                "Evidencia": m["evidence"],
                "Efecto en pago oportuno (pp)": m["on_time_pp"],
                "Retorno medido (pesos por peso)": [
                    "—" if pd.isna(r) else fmt_num(r, 1) for r in m["return_per_peso"]
                ],
                "IC 95 %": [
                    "—" if pd.isna(lo) else f"{fmt_num(lo)} a {fmt_num(hi)}"
                    for lo, hi in zip(m["return_low"], m["return_high"], strict=True)
                ],
            }
        ),
        column_config={
            "Efecto en pago oportuno (pp)": st.column_config.NumberColumn(format="%,.1f"),
        },
    )
    if picked.empty:
        st.caption("Ninguna campaña marcada.")
        return
    exp = picked["expected_return"].sum(min_count=1)
    st.markdown(
        f"**{len(picked)} campañas en el plan**, costo {fmt_mxn(picked['planned_cost'].sum())}; "
        f"recaudación adicional esperada {fmt_mxn(exp)} (IC 95 %: "
        f"{fmt_mxn(picked['expected_low'].sum(min_count=1))} a "
        f"{fmt_mxn(picked['expected_high'].sum(min_count=1))}). Las campañas sin grupo de "
        "control no tienen retorno medido y no suman."
    )


def versions_tab(plan: Plan, work: dict[str, Any], clear: bool) -> None:
    """«Versiones»: the saved versions of the working draft and what changed in the last."""
    if work["draft_id"] is None:
        st.info("El borrador aún no se ha guardado.")
        return
    store = plan.ctx.store
    v = store.draft_versions(work["draft_id"])
    data_table(
        pd.DataFrame(
            {
                "Versión": v["version"],
                "Guardada": pd.to_datetime(v["saved_at"]).dt.strftime("%d/%m/%Y %H:%M"),
                "Autor": v["author"],
                "Estado": v["status"].map(dr.STATUSES),
            }
        ),
    )
    if len(v) > 1:
        a, b = int(v["version"].iloc[1]), int(v["version"].iloc[0])
        changes = dr.diff_content(
            store.draft(work["draft_id"], a).content,
            store.draft(work["draft_id"], b).content,
        )
        st.markdown(f"**Cambios de la versión {a} a la {b}**")
        show_changes(changes, clear)


def _make_document(
    plan: Plan,
    work: dict[str, Any],
    saved: dr.Draft,
    extra: dict[str, pd.DataFrame],
    scope: list[tuple[str, str]],
    clear: bool,
    doc_key: str,
) -> None:
    """on_click of «Preparar documento Word»: draw the charts and keep the document in the
    session under ``doc_key``."""
    monthly, _ = channel_forecast(plan)
    names = plan.channel_names
    charts = {
        "Contactos por canal: historia y pronóstico": ex.chart_png(
            forecast_figure(plan.history, monthly, names, plan.year, fc.LEVEL)
        ),
        "Capacidad por canal": ex.chart_png(capacity_figure(capacity_now(plan, work), names)),
    }
    st.session_state[doc_key] = ex.document(
        saved.content, saved.version, saved.author, extra, charts, scope, mask=not clear
    )


def export_tab(plan: Plan, work: dict[str, Any], clear: bool) -> None:
    """«Exportar»: the saved version as an Excel workbook and a Word document with charts."""
    if work["draft_id"] is None:
        st.info("Guarde el borrador para exportarlo.")
        return
    ctx, year = plan.ctx, plan.year
    saved = ctx.store.draft(work["draft_id"])
    st.markdown(
        f"Se exporta la **versión guardada {saved.version}** "
        f"({dr.STATUSES.get(saved.status)}, {saved.author}, {date_label(saved.updated_at.date())})."
    )
    _, totals = channel_forecast(plan)
    extra = {
        "Línea base": baseline(plan)
        .drop(columns=["key", "owner_unit"])
        .rename(columns=BASELINE_COLUMNS),
        "Pronóstico": pd.DataFrame(
            {
                "Canal": totals["channel_id"].map(plan.channel_names),
                f"Pronóstico {year}": totals["forecast"].round(0),
                "Inferior (90 %)": totals["lower"].round(0),
                "Superior (90 %)": totals["upper"].round(0),
                "MAPE del contraste (%)": totals["backtest_mape"].round(1),
            }
        ),
    }
    scope = [("Alcance", ctx.scope), ("Datos al", date_label(ctx.meta.data_as_of))]
    stem = f"programa_{year}_{saved.id}_v{saved.version}"
    rows = len(saved.content.get("targets", []))
    st.download_button(
        "Descargar Excel",
        data=ex.workbook(saved.content, saved.version, saved.author, extra, scope, mask=not clear),
        file_name=f"{stem}.xlsx",
        mime=XLSX,
        on_click=ctx.store.record_export,
        args=(
            f"{stem}.xlsx",
            rows,
            {"reporte": "Programa anual", "alcance": ctx.scope},
        ),
        icon=":material/download:",
        key="pat_xlsx",
    )
    doc_key = f"pat_docx_{saved.id}_{saved.version}"
    st.button(
        "Preparar documento Word (con gráficas)",
        key="pat_make_docx",
        on_click=_make_document,
        args=(plan, work, saved, extra, scope, clear, doc_key),
        help="Dibuja las gráficas (unos segundos) y arma el documento de la versión guardada.",
    )
    if doc_key in st.session_state:
        st.download_button(
            "Descargar documento Word",
            data=st.session_state[doc_key],
            file_name=f"{stem}.docx",
            mime=DOCX,
            on_click=ctx.store.record_export,
            args=(f"{stem}.docx", rows, {"reporte": "Programa anual"}),
            icon=":material/description:",
            key="pat_docx",
        )
