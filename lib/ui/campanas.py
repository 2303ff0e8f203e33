"""The campaign page's rooms (pages/4_campanas.py): the catalog, the campaign picker, the
headline cards and one function per tab, each given the page context and what else it reads.
Campaign results themselves come from lib/ui/campaigns.py, shared with the work program."""

import pandas as pd
import streamlit as st

from lib.analysis import campaign_report as R
from lib.analysis.campaign_designs import METHODS, method_for
from lib.campaign_vocabulary import CampaignKind
from lib.charts.campaigns import effects_figure, event_study_figure
from lib.charts.theme import PLOTLY_CONFIG
from lib.format import fmt_int, fmt_mxn, fmt_num, fmt_p, month_label
from lib.queries import catalogs
from lib.ui.campaigns import campaign_result, stored_results
from lib.ui.context import PageContext, query
from lib.ui.layout import data_table, excel_button

KIND = {CampaignKind.DIFUSION: "Difusión", CampaignKind.REGULARIZACION: "Regularización"}
DESIGN = {design.value: method.label for design, method in METHODS.items()}


def catalog_table(catalog: pd.DataFrame, channels: dict[str, str]) -> None:
    """Every campaign: code, name, kind, channel, months, assignment, group sizes, cost."""
    st.subheader("Catálogo")
    data_table(
        pd.DataFrame(
            {
                "Código": catalog["code"],
                "Campaña": catalog["name"],
                "Tipo": catalog["kind"].map(KIND),
                "Canal": catalog["channel_id"].map(channels),
                "Inicio": catalog["start_month"].map(month_label),
                "Fin": catalog["end_month"].map(month_label),
                "Asignación": catalog["assignment"].map(DESIGN),
                "Tratados": catalog["treated"],
                "Control": catalog["control"],
                "Costo (MXN)": catalog["cost"],
            }
        ),
        column_config={
            "Tratados": st.column_config.NumberColumn(format="localized"),
            "Control": st.column_config.NumberColumn(format="localized"),
            "Costo (MXN)": st.column_config.NumberColumn(format="dollar"),
        },
        first=("Código", "Campaña", "Inicio", "Fin", "Tratados", "Control", "Costo (MXN)"),
    )


def choose(catalog: pd.DataFrame) -> tuple[str, pd.Series]:
    """The campaign to evaluate (``?campana=``) and its line: name, design, months."""
    codes = list(catalog["code"])
    code = st.selectbox(
        "Campaña a evaluar (código)",
        codes,
        index=len(codes) - 1,
        key="campana",
        bind="query-params",
        placeholder="Elija una opción",
    )
    campaign = catalog.set_index("code").loc[code].copy()
    campaign["id"] = int(campaign["id"])
    st.markdown(
        f"**{campaign['name']}** · {DESIGN[campaign['assignment']]} · "
        f"{month_label(campaign['start_month'])} a {month_label(campaign['end_month'])}"
    )
    return code, campaign


def headline(campaign: pd.Series, res: R.CampaignResult, live: bool) -> None:
    """The cards (effect on on-time payment, additional revenue, cost, return or evidence),
    the narrative and how the result was obtained."""
    e = res.effects["on_time"]
    cols = st.columns(4)
    cols[0].metric(
        "Efecto en pago oportuno",
        f"{fmt_num(100 * e.effect)} pp",
        help=f"IC 95 %: {fmt_num(100 * e.ci_low)} a {fmt_num(100 * e.ci_high)} pp; "
        f"{fmt_p(e.p_value)}; {e.n_units:,} unidades",
    )
    if res.additional is not None:
        a = res.additional
        cols[1].metric(
            "Recaudación adicional",
            fmt_mxn(a.effect),
            help=f"IC 95 %: {fmt_mxn(a.ci_low)} a {fmt_mxn(a.ci_high)}. {a.method}.",
        )
        cols[2].metric("Costo", fmt_mxn(res.cost))
        if res.return_per_peso:
            r, lo, hi = res.return_per_peso
            cols[3].metric(
                "Retorno por peso",
                fmt_num(r, 1),
                help=f"IC 95 %: {fmt_num(lo, 1)} a {fmt_num(hi, 1)} pesos por peso",
            )
    else:
        cols[1].metric("Costo", fmt_mxn(res.cost))
        cols[2].metric("Evidencia", res.evidence.capitalize())
    (st.warning if res.evidence == "débil" else st.info)(R.narrative(campaign, res))
    st.caption(
        f"Método: {res.method}. Evidencia {res.evidence}."
        + (
            f" Se analizó una muestra determinística de {fmt_int(res.panel_units)} "
            f"de {fmt_int(res.units_total)} patrones (uno de cada k por número de patrón, en "
            "ambos grupos) para acotar la memoria; la recaudación adicional se escala al total "
            "de tratados."
            if res.sampled
            else ""
        )
        + (
            " Resultado calculado al momento: la base de datos no tiene guardado el análisis de "
            "esta campaña; `python -m lib refresh` lo guarda y la página lo lee sin recalcularlo."
            if live
            else ""
        )
    )


def month_by_month(campaign: pd.Series, res: R.CampaignResult) -> None:
    """The event study: the effect month by month around the start."""
    assert res.event is not None  # every design runs the event study (lib.analysis.campaign_report)
    st.plotly_chart(
        event_study_figure(res.event, month_label(campaign["start_month"])),
        config=PLOTLY_CONFIG,
        width="stretch",
    )
    pre = res.event.attrs.get("pretrend_p_value")
    st.caption(
        "Los meses antes del inicio deben rondar cero: si no, los grupos ya divergían. "
        + (f"Prueba conjunta de pre-tendencias: {fmt_p(pre, 2)}." if pre is not None else "")
    )


def where_it_worked(ctx: PageContext, res: R.CampaignResult) -> None:
    """The effect by size band, economic division or OOAD."""
    if not method_for(res.design).by_segment:
        st.info("Sin grupo de control de patrones no se estima el efecto por segmento.")
    else:
        seg = (
            st.segmented_control(
                "Por",
                list(R.SEGMENTS),
                format_func=R.SEGMENTS.__getitem__,
                default="size_band_id",
                key="camp_seg",
            )
            or "size_band_id"
        )
        catalog = {
            "ooad_id": ctx.ooads,
            "economic_division_id": query(ctx, catalogs.economic_divisions),
            "size_band_id": ctx.size_bands,
        }[seg]
        names = {str(k): v for k, v in zip(catalog["id"], catalog["name"], strict=True)}
        het = res.heterogeneity.get(seg, pd.DataFrame(columns=R.HETEROGENEITY_COLUMNS))
        het = het.assign(segment=[names.get(str(v), str(v)) for v in het["segment"]])
        if het.empty:
            st.info(
                f"Ningún {R.SEGMENTS[seg].lower()} tiene a la vez patrones tratados y de "
                f"control (al menos {R.MIN_SEGMENT_UNITS} patrones) para estimarlo por "
                "separado; en una campaña asignada por OOAD, cada OOAD es sólo tratada o sólo "
                "control."
            )
        else:
            st.plotly_chart(
                effects_figure(
                    het, "segment", f"Efecto por {R.SEGMENTS[seg].lower()} (pp, IC 95 %)"
                ),
                config=PLOTLY_CONFIG,
                width="stretch",
            )
            st.caption(
                f"Segmentos con al menos {R.MIN_SEGMENT_UNITS} patrones. Intervalos "
                "anchos = pocos patrones, no falta de efecto."
            )


def all_campaigns(ctx: PageContext, catalog: pd.DataFrame) -> None:
    """Every campaign's effect and return per peso, side by side."""
    rows = []
    known = stored_results(ctx)  # every campaign's stored result in one query
    for _, c in catalog.iterrows():
        c = c.copy()
        c["id"] = int(c["id"])
        try:
            r, _ = campaign_result(ctx, c, known)
        except ValueError:
            continue
        eff = r.effects["on_time"]
        rows.append(
            {
                "Campaña": c["code"],
                "Evidencia": r.evidence,
                "effect_pp": 100 * eff.effect,
                "ci_low_pp": 100 * eff.ci_low,
                "ci_high_pp": 100 * eff.ci_high,
                "Retorno por peso": r.return_per_peso[0] if r.return_per_peso else None,
                "Retorno IC95 inf.": r.return_per_peso[1] if r.return_per_peso else None,
                "Retorno IC95 sup.": r.return_per_peso[2] if r.return_per_peso else None,
            }
        )
    comp = pd.DataFrame(rows)
    st.plotly_chart(
        effects_figure(comp, "Campaña", "Efecto de cada campaña (pp, IC 95 %)"),
        config=PLOTLY_CONFIG,
        width="stretch",
    )
    data_table(
        comp.rename(
            columns={
                "effect_pp": "Efecto (pp)",
                "ci_low_pp": "IC95 inf.",
                "ci_high_pp": "IC95 sup.",
            }
        ),
        column_config={  # pp and pesos per peso to one decimal, as the cards above show them
            c: st.column_config.NumberColumn(format="%,.1f")
            for c in ("Efecto (pp)", "IC95 inf.", "IC95 sup.")
            + ("Retorno por peso", "Retorno IC95 inf.", "Retorno IC95 sup.")
        },
    )
    st.caption(
        "Retorno por peso: recaudación adicional entre el costo de la campaña. «—»: sin "
        "recaudación adicional estimada (campañas sin grupo de control de patrones, o aún "
        "en curso)."
    )


def export(ctx: PageContext, code: str, campaign: pd.Series, res: R.CampaignResult) -> None:
    """Excel workbook of the estimates and the month-by-month effect."""
    assert res.event is not None  # every design runs the event study
    est = pd.DataFrame(
        [
            {
                "Resultado": R.OUTCOMES[k][0],
                "Unidad": R.OUTCOMES[k][1],
                "Efecto": v.effect * R.OUTCOMES[k][2],
                "IC95 inf.": v.ci_low * R.OUTCOMES[k][2],
                "IC95 sup.": v.ci_high * R.OUTCOMES[k][2],
                "p": v.p_value,
                "Unidades": v.n_units,
                "Observaciones": v.n_obs,
                "Método": v.method,
            }
            for k, v in res.effects.items()
        ]
    )
    monthly = res.event.assign(**{"Mes": res.event["period"].map(month_label)})
    excel_button(
        ctx,
        "Efecto de campaña",
        {"Estimaciones": est, "Mes a mes": monthly.drop(columns="period")},
        f"campana_{code}",
        "Descargar estimaciones (Excel)",
        extra=[
            ("Campaña", f"{code} · {campaign['name']}"),
            ("Método", res.method),
            ("Evidencia", res.evidence),
        ],
    )
    st.caption(f"{fmt_int(res.panel_rows)} filas de panel analizadas.")
