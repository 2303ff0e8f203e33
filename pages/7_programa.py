"""Programa Anual de Trabajo: baseline, demand forecast, editable targets, capacity, campaign
plan, saved drafts with versions, and the files to circulate."""

from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from lib.access import may, sees_identifiers
from lib.analysis.campaign_report import CampaignResult
from lib.charts.planning import backtest_figure, capacity_figure, forecast_figure
from lib.charts.theme import PLOTLY_CONFIG
from lib.filters import add_months
from lib.format import date_label, fmt_int, fmt_mxn, fmt_num, period_label
from lib.masking import mask_frame, shown_text
from lib.planning import baseline as bl
from lib.planning import capacity as cap
from lib.planning import drafts as dr
from lib.planning import export as ex
from lib.planning import forecast as fc
from lib.planning.campaigns import campaign_plan, measured_campaigns
from lib.planning.editor import SPECS, Col, fold_edits, working_copy
from lib.planning.validation import DraftInvalid
from lib.policy import NotPermitted, Permission
from lib.queries import campaigns as qc
from lib.queries import overview
from lib.queries import planning as qp
from lib.ui import urlstate
from lib.ui.campaigns import campaign_result, stored_results
from lib.ui.context import page_setup, query
from lib.ui.data import cached_pure
from lib.ui.layout import DOCX, XLSX, data_table, lazy_tabs

WORK = "pat_work"
SELF_SERVICE = {"en_linea", "buzon", "impresos"}  # no staff minutes per contact by default

ctx = page_setup(
    "Programa anual de trabajo", Permission.PAGE_PROGRAMA, caption="Planeación del año siguiente"
)
f = ctx.filters
assert f is not None  # page_setup draws the filters on this page
# a role without the identifiers grant sees the draft's free text (title, notes, target
# notes) with identifiers masked, on screen and in the files; its edits apply to the original
# text, so a cell or box it does not change keeps what was saved (lib.masking)
clear = sees_identifiers(ctx.user)
if not ctx.meta.months:
    st.info("No hay datos mensuales para planear.")
    st.stop()
last = ctx.meta.months[-1]
year = last.year + 1
channel_names = ctx.channels.set_index("id")["name"].to_dict()
history = query(ctx, qp.channel_ooad_month, replace(f, start=ctx.meta.months[0], end=last))
two_years = replace(f, start=add_months(last, -23), end=last)
w = bl.windows(last)


def measured() -> pd.DataFrame:
    """The finished campaigns with the effect the campaign page shows (lib.ui.campaigns)."""
    catalog = query(ctx, qc.campaign_catalog)
    finished = catalog[catalog["end_month"] <= last]
    known = stored_results(ctx)
    results: dict[str, CampaignResult | None] = {}
    for _, c in finished.iterrows():
        c = c.copy()
        c["id"] = int(c["id"])
        try:
            results[c["code"]] = campaign_result(ctx, c, known)[0]
        except ValueError:  # not estimable: listed without a measured effect
            results[c["code"]] = None
    return measured_campaigns(finished, results)


def baseline() -> pd.DataFrame:
    monthly = query(ctx, overview.monthly_indicators, two_years)
    oriented = {k: query(ctx, qp.oriented_patrons, two_years, *w[k]) for k in w}
    return bl.baseline_table(monthly, history, channel_names, measured(), oriented, last)


def channel_forecast() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly forecast from the month after the data to December of the plan year (for the
    chart), and the plan year's totals per channel."""
    by_channel = history.groupby(["month", "channel_id"], as_index=False)["contacts"].sum()
    return cached_pure(
        fc.forecast_by, by_channel, "channel_id", last, year, "contacts", fc.LEVEL, True
    )


def handling_minutes() -> dict[str, float]:
    recent = (
        history[history["month"] >= w["last12"][0]]
        .groupby("channel_id")[["handle_minutes_sum", "contacts"]]
        .sum()
    )
    return (recent["handle_minutes_sum"] / recent["contacts"]).round(1).to_dict()


# ------------------------------------------------------------------ the working copy


def _work_from(draft: dr.Draft | None) -> dict[str, Any]:
    """What the planner edits: the loaded draft, or a new one built from the baseline."""
    minutes = {c: 0.0 if c in SELF_SERVICE else float(v) for c, v in handling_minutes().items()}
    initial = None if draft is not None else bl.initial_targets(baseline())
    return working_copy(year, channel_names, minutes, measured(), initial, draft)


drafts = ctx.store.drafts(year)
labels = {
    int(r.id): f"#{r.id} · {shown_text(r.title, clear)} · v{r.version} · "
    f"{dr.STATUSES.get(r.status, r.status)}"
    for r in drafts.itertuples()
}
# the chosen draft is in the URL by id (?borrador=12): its label changes with each version
missing = urlstate.follow("borrador", "pat_draft", labels, int)
if missing:
    st.warning(missing, icon=":material/link_off:")
choice = st.selectbox(
    "Borrador",
    [None, *labels],
    format_func=lambda i: "Nuevo borrador" if i is None else labels[i],
    key="pat_draft",
    help="Los borradores se guardan en la base compartida; cada guardado es una versión.",
    placeholder="Elija una opción",
)
urlstate.publish("borrador", choice)
stored: dict[str, Any] | None = st.session_state.get(WORK)
stale = (  # a new, untouched draft follows the filters' place; an edited one keeps its numbers
    stored is not None
    and stored["draft_id"] is None
    and stored["rev"] == 0
    and stored["scope"] != ctx.scope
)
if stored is None or stored["draft_id"] != choice or stale:
    work = _work_from(None if choice is None else ctx.store.draft(choice))
    work["scope"] = ctx.scope
    st.session_state[WORK] = work
    st.session_state.pop("pat_message", None)  # it spoke of the draft shown before
else:
    work = stored
if work["draft_id"] is None:
    st.caption(f"Borrador nuevo para {year}, partiendo de la línea base. Aún no se ha guardado.")
else:
    st.caption(
        f"Versión {work['version']} · {dr.STATUSES.get(work['status'], work['status'])} · "
        f"guardada por {work['author']}"
    )


def _edit(part: str) -> None:
    """on_change of an editor: fold the valid edits into the working copy (each cell checked
    at edit time, lib.planning.editor.apply_edits), start a fresh widget."""
    fold_edits(work, part, st.session_state.get(f"pat_{part}_{work['rev']}"))
    st.session_state.pop("pat_message", None)  # an old "saved" note no longer describes it


def _column(spec: Col):
    """The grid column for a spec. Numbers get their step and format but no bounds: the
    grid would drop a typed minus sign or clamp silently; apply_edits refuses out-of-range
    values with a message instead."""
    if spec.kind == "number":
        return st.column_config.NumberColumn(
            spec.label + (" 🔒" if spec.locked else ""),
            step=spec.step,
            format="localized",
            disabled=spec.locked,
        )
    if spec.kind == "date":
        return st.column_config.DateColumn(spec.label, format="DD/MM/YYYY")
    if spec.kind == "bool":
        return st.column_config.CheckboxColumn(spec.label)
    return st.column_config.TextColumn(
        spec.label + (" 🔒" if spec.locked else ""),
        max_chars=spec.max_chars,
        required=spec.required,
        disabled=spec.locked,
    )


def editor(part: str, hidden: tuple[str, ...] = (), **kwargs) -> None:
    """The working copy's ``part`` in an editor with its typed, bounded columns; locked
    columns are read-only; empty cells read "—". The edits (positions and columns) are
    folded into the working copy itself, so the masked view never overwrites the text it
    hides; what was refused is listed under the grid."""
    spec = SPECS[part]
    st.data_editor(
        work[part] if clear else mask_frame(work[part]),
        key=f"pat_{part}_{work['rev']}",
        on_change=_edit,
        args=(part,),
        hide_index=True,
        width="stretch",
        placeholder="—",
        disabled=[c for c, s in spec.items() if s.locked],
        column_config={c: None if c in hidden else _column(s) for c, s in spec.items()},
        **kwargs,
    )
    problems = work.get("edit_problems", {}).get(part)
    if problems:
        st.error(
            "**Estos cambios no se aplicaron:**\n\n" + "\n".join(f"- {p}" for p in problems),
            icon=":material/error:",
        )


def capacity_now() -> pd.DataFrame:
    _, totals = channel_forecast()
    c = work["capacity"]
    table = cap.capacity_table(
        totals,
        dict(zip(c["channel_id"], pd.to_numeric(c["handle_minutes"]), strict=True)),
        dict(zip(c["channel_id"], pd.to_numeric(c["hours_available"]), strict=True)),
    )
    table.insert(1, "channel", table["channel_id"].map(channel_names).fillna("Total"))
    return table


def plan_now() -> pd.DataFrame:
    return campaign_plan(measured(), work["picks"])


# ------------------------------------------------------------------------------ tabs


def baseline_tab() -> None:
    t = baseline()
    st.markdown(
        f"**Últimos 12 meses** ({period_label(*w['last12'])}) frente a los 12 anteriores "
        f"({period_label(*w['previous'])}), con las definiciones del resumen ejecutivo."
    )
    data_table(  # one decimal on screen (counts show none); the workbook keeps full precision
        t.drop(columns=["key", "owner_unit"])
        .round({"previous": 1, "last12": 1})
        .rename(
            columns={
                "indicator": "Indicador",
                "unit": "Unidad",
                "previous": "12 meses anteriores",
                "last12": "Últimos 12 meses",
                "change": "Cambio",
            }
        ),
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


def forecast_tab() -> None:
    with st.spinner("Ajustando un modelo por canal…"):
        monthly, totals = channel_forecast()
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
        forecast_figure(history, monthly, channel_names, year, fc.LEVEL),
        config=PLOTLY_CONFIG,
        width="stretch",
    )
    st.caption(
        f"Se espera que la demanda cambie {fmt_num(100 * (totals['forecast'].sum() / totals['last12'].sum() - 1))}% "
        f"en {year} frente a los últimos 12 meses. Modelo: {bt.method}."
    )
    data_table(
        pd.DataFrame(
            {
                "Canal": totals["channel_id"].map(channel_names),
                f"Pronóstico {year}": totals["forecast"].round(0),
                "Inferior (90 %)": totals["lower"].round(0),
                "Superior (90 %)": totals["upper"].round(0),
                "Últimos 12 meses": totals["last12"],
                "MAPE del contraste (%)": totals["backtest_mape"],
            }
        ),
        column_config={
            k: st.column_config.NumberColumn(format="localized")
            for k in (
                f"Pronóstico {year}",
                "Inferior (90 %)",
                "Superior (90 %)",
                "Últimos 12 meses",
            )
        }
        | {"MAPE del contraste (%)": st.column_config.NumberColumn(format="%,.1f")},
    )
    st.plotly_chart(backtest_figure(bt.frame, bt.mape), config=PLOTLY_CONFIG, width="stretch")
    st.caption(
        f"El último año real cayó dentro del intervalo del 90 % en {fmt_num(100 * bt.coverage, 0)}% "
        "de los meses."
    )
    if st.toggle("Pronóstico por OOAD (un modelo por OOAD; tarda unos segundos)", key="pat_ooad"):
        by_ooad = history.groupby(["month", "ooad_id"], as_index=False)["contacts"].sum()
        with st.spinner("Ajustando un modelo por OOAD…"):
            _, ot = cached_pure(fc.forecast_by, by_ooad, "ooad_id", last, year)
        names = ctx.ooads.set_index("id")["name"].to_dict()
        data_table(
            pd.DataFrame(
                {
                    "OOAD": ot["ooad_id"].map(names),
                    f"Pronóstico {year}": ot["forecast"].round(0),
                    "Inferior (90 %)": ot["lower"].round(0),
                    "Superior (90 %)": ot["upper"].round(0),
                    "Últimos 12 meses": ot["last12"],
                    "MAPE del contraste (%)": ot["backtest_mape"],
                }
            ),
            column_config={
                k: st.column_config.NumberColumn(format="localized")
                for k in (f"Pronóstico {year}", "Inferior (90 %)", "Superior (90 %)")
            }
            | {"MAPE del contraste (%)": st.column_config.NumberColumn(format="%,.1f")},
        )


def targets_tab() -> None:
    st.markdown(
        f"**Metas {year}.** Edite la meta, la unidad responsable, los hitos trimestrales y la "
        "fecha compromiso; puede agregar o quitar indicadores. Los porcentajes van de 0 a 100."
    )
    editor("targets", num_rows="dynamic")
    st.caption(
        "La línea base 🔒 viene de los datos y no se edita. Las metas y los hitos no pueden ser "
        "negativos; en unidades de porcentaje van de 0 a 100."
    )


def capacity_tab() -> None:
    st.markdown(
        "**Capacidad.** Minutos de personal por contacto (parten del promedio medido en los "
        "últimos 12 meses; 0 en canales de autoservicio) y horas de personal disponibles en "
        f"{year} por canal."
    )
    editor("capacity", hidden=("channel_id",), num_rows="fixed")
    t = capacity_now()
    total = t[t["channel_id"] == "total"].iloc[0]
    c = st.columns(3)
    c[0].metric("Horas necesarias", fmt_int(total["hours_needed"]))
    c[1].metric("Horas disponibles", fmt_int(total["hours_available"]))
    c[2].metric(
        "Personas de tiempo completo",
        fmt_num(total["fte_needed"]),
        help=f"Horas necesarias entre {fmt_int(cap.HOURS_PER_FTE)} horas productivas al año.",
    )
    st.plotly_chart(capacity_figure(t, channel_names), config=PLOTLY_CONFIG, width="stretch")
    st.caption(cap.capacity_reading(t, channel_names))


def campaigns_tab() -> None:
    m = measured()
    if m.empty:
        st.info("No hay campañas terminadas con medición.")
        return
    st.markdown(
        "**Plan de campañas.** Marque las campañas a repetir y su costo previsto. La "
        "recaudación esperada supone el mismo retorno por peso que se midió (con su intervalo)."
    )
    editor("picks", num_rows="fixed")
    plan = plan_now()
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
    if plan.empty:
        st.caption("Ninguna campaña marcada.")
        return
    exp = plan["expected_return"].sum(min_count=1)
    st.markdown(
        f"**{len(plan)} campañas en el plan**, costo {fmt_mxn(plan['planned_cost'].sum())}; "
        f"recaudación adicional esperada {fmt_mxn(exp)} (IC 95 %: "
        f"{fmt_mxn(plan['expected_low'].sum(min_count=1))} a "
        f"{fmt_mxn(plan['expected_high'].sum(min_count=1))}). Las campañas sin grupo de "
        "control no tienen retorno medido y no suman."
    )


def versions_tab() -> None:
    if work["draft_id"] is None:
        st.info("El borrador aún no se ha guardado.")
        return
    v = ctx.store.draft_versions(work["draft_id"])
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
            ctx.store.draft(work["draft_id"], a).content,
            ctx.store.draft(work["draft_id"], b).content,
        )
        st.markdown(f"**Cambios de la versión {a} a la {b}**")
        show_changes(changes)


def show_changes(changes: list[dict]) -> None:
    if not changes:
        st.write("Sin cambios.")
        return
    table = pd.DataFrame(changes)
    for col in ("before", "after"):
        table[col] = [shown_text(ex.show_value(v), clear) for v in table[col]]
    data_table(
        table.rename(
            columns={
                "section": "Sección",
                "item": "Elemento",
                "field": "Campo",
                "before": "Antes",
                "after": "Después",
            }
        ),
    )


def export_tab() -> None:
    if work["draft_id"] is None:
        st.info("Guarde el borrador para exportarlo.")
        return
    saved = ctx.store.draft(work["draft_id"])
    st.markdown(
        f"Se exporta la **versión guardada {saved.version}** "
        f"({dr.STATUSES.get(saved.status)}, {saved.author}, {date_label(saved.updated_at.date())})."
    )
    _, totals = channel_forecast()
    extra = {
        "Línea base": baseline()
        .drop(columns=["key", "owner_unit"])
        .rename(
            columns={
                "indicator": "Indicador",
                "unit": "Unidad",
                "previous": "12 meses anteriores",
                "last12": "Últimos 12 meses",
                "change": "Cambio",
            }
        ),
        "Pronóstico": pd.DataFrame(
            {
                "Canal": totals["channel_id"].map(channel_names),
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

    def make_document() -> None:
        monthly, _ = channel_forecast()
        charts = {
            "Contactos por canal: historia y pronóstico": ex.chart_png(
                forecast_figure(history, monthly, channel_names, year, fc.LEVEL)
            ),
            "Capacidad por canal": ex.chart_png(capacity_figure(capacity_now(), channel_names)),
        }
        st.session_state[doc_key] = ex.document(
            saved.content, saved.version, saved.author, extra, charts, scope, mask=not clear
        )

    st.button(
        "Preparar documento Word (con gráficas)",
        key="pat_make_docx",
        on_click=make_document,
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


lazy_tabs(
    {
        "Línea base": baseline_tab,
        "Pronóstico": forecast_tab,
        "Metas": targets_tab,
        "Capacidad": capacity_tab,
        "Campañas": campaigns_tab,
        "Versiones": versions_tab,
        "Exportar": export_tab,
    }
)

# ---------------------------------------------------------------- save (always shown)

st.divider()
st.subheader("Guardar")
left, mid = st.columns([3, 1])
shown_title = shown_text(work["title"], clear)
typed = left.text_input("Título del programa", value=shown_title, key=None)
if typed != shown_title:  # typed by the user: replaces the text (masked or not)
    work["title"] = typed
statuses = list(dr.STATUSES)
work["status"] = mid.selectbox(
    "Estado",
    statuses,
    index=statuses.index(work["status"]),
    format_func=dr.STATUSES.__getitem__,
    placeholder="Elija una opción",
)
shown_notes = shown_text(work["notes"], clear)
typed = st.text_area("Notas generales", value=shown_notes, height=80)
if typed != shown_notes:
    work["notes"] = typed


def save() -> None:
    user = ctx.user
    try:
        cap_table = capacity_now()
        cap_rows = cap_table[cap_table["channel_id"] != "total"].drop(columns=["coverage"])
        content = dr.prepare_content(
            year,
            work["title"],
            work["status"],
            work["notes"],
            work["targets"],
            cap_rows,
            plan_now(),
        )
        saved = (
            ctx.store.create_draft(content)
            if work["draft_id"] is None
            else ctx.store.save_draft(work["draft_id"], content, work["version"])
        )
    except DraftInvalid as exc:
        st.session_state["pat_message"] = ("invalid", exc.problems)
        return
    except dr.DraftConflict as exc:
        st.session_state["pat_message"] = ("conflict", (str(exc), exc.changes, exc.current))
        return
    except NotPermitted as exc:  # the role changed since the button was drawn
        st.session_state["pat_message"] = ("invalid", [str(exc)])
        return
    work.update(draft_id=saved.id, version=saved.version, author=saved.author)
    st.session_state["pat_draft"] = saved.id
    st.session_state["pat_message"] = (
        "saved",
        f"Guardado: versión {saved.version} del borrador #{saved.id}, por {user.display_name}.",
    )


def reload_current() -> None:
    st.session_state.pop(WORK, None)
    st.session_state.pop("pat_message", None)


if may(ctx.user, Permission.DRAFT_SAVE):
    st.button("Guardar versión", type="primary", on_click=save, icon=":material/save:")
else:
    st.caption(
        ":material/lock: Consulta: su rol puede ver los borradores y descargarlos, no guardarlos "
        "(los redacta planeación)."
    )
kind, payload = st.session_state.get("pat_message", (None, None))
if kind == "saved":
    st.success(payload, icon=":material/check_circle:")
elif kind == "invalid":
    st.error(
        "**No se guardó nada.** Corrija lo siguiente:\n\n" + "\n".join(f"- {p}" for p in payload),
        icon=":material/error:",
    )
elif kind == "conflict":
    text, changes, current = payload
    st.error(text, icon=":material/sync_problem:")
    st.markdown(f"**Lo que cambió en la versión {current}** (frente a la que usted abrió):")
    show_changes(changes)
    st.button(
        f"Cargar la versión {current} (descarta mis cambios sin guardar)",
        on_click=reload_current,
    )
