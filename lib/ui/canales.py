"""The channels page's rooms (pages/2_canales.py): the verdicts over every tab and one
function per tab, each given the page context, its filters and what else it reads."""

import pandas as pd
import streamlit as st

from lib.analysis import channels as study
from lib.analysis import queue
from lib.analysis.readings import digital_share_reading, segment_share_reading
from lib.charts.channels import (
    digital_share_bars,
    interval_figure,
    procedure_mix_figure,
    time_percentiles_figure,
)
from lib.charts.theme import PLOTLY_CONFIG
from lib.charts.trends import channel_volume_figure
from lib.filters import Filters
from lib.format import fmt_int, fmt_mxn
from lib.queries import channels as q
from lib.queries import overview
from lib.ui import crossfilter
from lib.ui.context import PageContext, query
from lib.ui.data import cached_figure, cached_pure
from lib.ui.drill import on_unit_click
from lib.ui.layout import data_table, excel_button
from lib.ui.queues import queue_tab, service_threshold
from lib.ui.urlstate import say_unknown


def verdicts(f: Filters, table: pd.DataFrame, tests: pd.DataFrame) -> None:
    """Which channel is better at what, and the differences that are noise."""
    st.subheader("Qué canal es mejor en qué")
    if f.channel_id is not None:
        st.info("Hay un solo canal en el filtro: elija «Todos los canales» para compararlos.")
    found = study.verdicts(table, tests)
    for v in found:
        st.markdown(f"- {v['sentence']}")
    noise = [n for v in found for n in v["noise"]]
    with st.expander(f"Diferencias que son ruido ({len(noise)})"):
        st.caption(
            "Pares de canales cuya diferencia no es significativa al 5 % tras ajustar por "
            "comparaciones múltiples (Holm): no conviene decidir con base en ellas."
        )
        for n in noise:
            st.markdown(f"- {n}")
    st.caption(
        "Pruebas: proporciones (resolución, recontacto, satisfacción), varianza multinomial "
        "(NPS) y rangos de Mann-Whitney sobre histogramas (tiempos). El costo es contable: "
        "no lleva intervalo."
    )


def comparison(table: pd.DataFrame) -> None:
    """Per-channel table, intervals and times."""
    readable = study.readable_table(table)
    data_table(
        readable,
        column_config={
            c: st.column_config.NumberColumn(format="%,.1f")
            for c in readable.columns
            if c not in ("Canal", "Contactos", "Encuestas")
        }
        | {
            "Contactos": st.column_config.NumberColumn(format="localized"),
            "Encuestas": st.column_config.NumberColumn(format="localized"),
        },
        first=study.KEY_COLUMNS,
        short=study.SHORT_HEADERS,
    )
    options = {
        "fcr": "Resolución al primer contacto",
        "csat": "Satisfacción (% 4-5)",
        "nps": "NPS",
        "repeat": "Recontacto en 30 días",
        "csat_mean": "CSAT promedio",
    }
    say_unknown("indicador", "Indicador", list(options.values()), options["fcr"])
    pick = st.segmented_control(
        "Indicador",
        list(options),
        format_func=options.__getitem__,
        default="fcr",
        key="indicador",
        bind="query-params",
    )
    pick = pick or "fcr"
    kind = "share" if pick in ("fcr", "csat", "repeat") else "nps" if pick == "nps" else "score"
    left, right = st.columns(2)
    left.plotly_chart(
        cached_figure(interval_figure, table, pick, options[pick], kind),
        config=PLOTLY_CONFIG,
        width="stretch",
    )
    right.plotly_chart(
        cached_figure(time_percentiles_figure, table), config=PLOTLY_CONFIG, width="stretch"
    )
    costs = table.dropna(subset=["cost_per_resolved"]).sort_values("cost_per_resolved")
    st.caption(
        f"Lectura: el caso resuelto más barato es en {costs['channel'].iloc[0]} "
        f"({fmt_mxn(costs['cost_per_resolved'].iloc[0], 2)}) y el más caro en "
        f"{costs['channel'].iloc[-1]} ({fmt_mxn(costs['cost_per_resolved'].iloc[-1], 2)})."
    )


def trends(ctx: PageContext, f: Filters) -> None:
    """Monthly volume and the move to digital."""
    by_month = query(ctx, overview.channel_month_contacts, f)
    st.plotly_chart(
        channel_volume_figure(by_month),
        config=PLOTLY_CONFIG,
        width="stretch",
        **crossfilter.chart_events("canales_meses", "month", source="x"),
    )
    st.caption(crossfilter.hint("month").capitalize() + ".")
    st.caption(digital_share_reading(by_month))


def segments(ctx: PageContext, f: Filters, ooad_name: str | None) -> None:
    """Digital adoption by segment and office; click an office to drill down."""
    left, right = st.columns(2)
    for col, dim, title in (
        (left, "size_band", "Adopción digital por tamaño de patrón"),
        (right, "economic_division", "Adopción digital por división económica"),
    ):
        seg = query(ctx, q.channel_by_segment, f, dim)
        chan = ctx.channels.set_index("id")["is_digital"]
        seg = seg.assign(is_digital=seg["channel_id"].map(chan).astype(bool))
        shares = study.digital_share_by(seg, "segment_id", "segment")
        # a size band is a filter (click narrows the page to it); a division is not
        col.plotly_chart(
            digital_share_bars(shares, "segment_id", "segment", f"{title} (%)"),
            config=PLOTLY_CONFIG,
            width="stretch",
            **crossfilter.chart_events(f"canales_{dim}", dim),
        )
        said = crossfilter.hint(dim)
        col.caption(segment_share_reading(shares) + (f" ({said})." if said else ""))
    units = query(ctx, q.channel_by_unit, f)
    shares = study.digital_share_by(units, "unit_id", "unit")
    level = "ooad" if f.ooad_id is None else "subdel"
    title = (
        "Adopción digital por OOAD (%) · clic para ver sus subdelegaciones"
        if level == "ooad"
        else f"Adopción digital por subdelegación de {ooad_name} (%) · clic para elegir una"
    )
    st.plotly_chart(
        digital_share_bars(shares, "unit_id", "unit", title, highlight=f.subdelegacion_id),
        config=PLOTLY_CONFIG,
        width="stretch",
        key="canales_unidades",
        selection_mode="points",
        on_select=lambda: on_unit_click("canales_unidades", level),
    )


def procedures(ctx: PageContext, f: Filters, names: dict[str, str]) -> None:
    """Which procedures could go online, and a what-if."""
    proc = query(ctx, q.procedure_by_channel, f)
    st.plotly_chart(procedure_mix_figure(proc), config=PLOTLY_CONFIG, width="stretch")
    cand = study.online_candidates(proc)
    st.markdown("**Trámites que pueden hacerse en línea y aún se atienden en persona**")
    if cand.empty:
        st.write("Ninguno en este periodo y alcance.")
    else:
        data_table(
            study.readable_candidates(cand),
            column_config={
                "Contactos": st.column_config.NumberColumn(format="localized"),
                "En persona": st.column_config.NumberColumn(format="localized"),
                "En persona (%)": st.column_config.NumberColumn(format="%,.1f"),
                "Costo en persona (MXN)": st.column_config.NumberColumn(format="dollar"),
                "Costo en línea (MXN)": st.column_config.NumberColumn(format="dollar"),
                "Ahorro si la mitad pasa a línea (MXN)": st.column_config.NumberColumn(
                    format="dollar"
                ),
            },
        )
    st.markdown("**¿Y si movemos un trámite de canal?**")
    procs = proc.drop_duplicates("procedure_id").set_index("procedure_id")["procedure"]
    c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
    p_id = c1.selectbox(
        "Trámite",
        list(procs.index),
        format_func=procs.get,
        key="wi_tramite",
        placeholder="Elija una opción",
    )
    from_ch = c2.selectbox(
        "De",
        list(names),
        format_func=names.__getitem__,
        key="wi_de",
        placeholder="Elija una opción",
    )
    to_ch = c3.selectbox(
        "A",
        list(names),
        index=list(names).index("en_linea") if "en_linea" in names else 0,
        format_func=names.__getitem__,
        key="wi_a",
        placeholder="Elija una opción",
    )
    pct = c4.slider("Proporción a mover (%)", 0, 100, 30, step=5, key="wi_pct")
    try:
        res = study.shift_savings(proc, p_id, from_ch, to_ch, pct / 100, f.n_months)
    except ValueError as exc:
        st.warning(str(exc))
    else:
        m1, m2, m3 = st.columns(3)
        m1.metric("Contactos movidos en el periodo", fmt_int(res["moved"]))
        m2.metric("Ahorro en el periodo", fmt_mxn(res["savings"]))
        m3.metric("Ahorro anualizado", fmt_mxn(res["savings_per_year"]))
        st.caption(
            f"Supuestos: cada contacto movido cuesta lo que hoy cuesta ese trámite en el canal "
            f"destino ({fmt_mxn(res['unit_cost_to'], 2)} frente a "
            f"{fmt_mxn(res['unit_cost_from'], 2)} en el origen"
            f"{'' if res['target_cost_observed'] else '; costo promedio del canal, pues el trámite aún no se hace ahí'})"
            f", el volumen total no cambia y la resolución es la del destino "
            + (
                "(sin resolución registrada en uno de los canales: el cambio en casos "
                "resueltos al primer contacto queda sin dato)."
                if res["resolved_change"] is None
                else f"({res['resolved_change']:+,.0f} casos resueltos al primer contacto)."
            )
        )


def queues(ctx: PageContext, f: Filters, sums: pd.DataFrame) -> None:
    """Contact-centre measures of every channel where contacts queue."""
    kinds = sums.set_index("channel_id")["kind"].to_dict()
    queue_tab(query(ctx, q.queue_waits, f), ctx.channels, kinds, f.size_band_id is not None)


def export(
    ctx: PageContext,
    f: Filters,
    table: pd.DataFrame,
    tests: pd.DataFrame,
    names: dict[str, str],
) -> None:
    """Excel workbook of the study."""
    proc = query(ctx, q.procedure_by_channel, f)
    cand = study.online_candidates(proc)
    threshold = service_threshold()  # the one chosen in «Colas y abandono» (or its link)
    qt = cached_pure(queue.queue_table, query(ctx, q.queue_waits, f), threshold)
    sheets = {
        "Canales": study.readable_table(table),
        "Pruebas": study.readable_tests(tests, names),
        "Colas": queue.readable(qt, names, threshold),
        "Trámites por canal": study.readable_procedures(proc),
        "Candidatos en línea": study.readable_candidates(cand),
    }
    excel_button(
        ctx,
        "Estudio comparativo de canales de atención y servicio",
        sheets,
        f"estudio_canales_{f.start:%Y%m}_{f.end:%Y%m}",
        "Descargar estudio (Excel)",
        extra=[
            (
                "Método",
                "IC 95 %: Wilson (proporciones), t (promedios), multinomial (NPS). "
                "Pruebas ajustadas por Holm; tiempos con Mann-Whitney sobre histogramas.",
            )
        ],
    )
    st.caption(
        "Cada gráfica se descarga como PNG desde su menú (ícono de cámara al pasar el "
        "cursor). El libro incluye una portada con filtros y fecha de los datos."
    )
