"""The «Colas y abandono» tab of Canales (contact-centre measures of every channel where
contacts queue) and the service-level threshold it lets the user choose, which the page's
Excel export uses too."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.analysis import queue
from lib.contact import DEFAULT_SERVICE_SECONDS, EXACT_WAIT_S
from lib.format import fmt_int, fmt_pct
from lib.ui.data import cached_pure
from lib.ui.layout import data_table
from lib.ui.urlstate import say_unknown

THRESHOLD_KEY = "umbral_servicio"
# waits are stored to the second below EXACT_WAIT_S (lib/contact.py); the bin at EXACT_WAIT_S
# holds a whole minute, so the service level is exact for a threshold up to one second less
MAX_THRESHOLD = EXACT_WAIT_S - 1


def service_threshold() -> float:
    """The service-level threshold in seconds the user chose (the tab's widget, or the link's
    ``umbral_servicio`` before the tab was opened), else the default."""
    value = st.session_state.get(THRESHOLD_KEY, st.query_params.get(THRESHOLD_KEY))
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return float(DEFAULT_SERVICE_SECONDS)
    return seconds if 1 <= seconds <= MAX_THRESHOLD else float(DEFAULT_SERVICE_SECONDS)


def queue_tab(
    waits: pd.DataFrame, channels: pd.DataFrame, kinds: dict[str, str], size_filtered: bool
) -> None:
    """The «Colas y abandono» tab: ``waits`` (lib.queries.channels.queue_waits for the
    page's filters), the channel catalog (names), each channel's kind (phone queues first)
    and whether the sidebar filters a size band (which queues do not honour)."""
    say_unknown(
        THRESHOLD_KEY,
        "Umbral del nivel de servicio (segundos)",
        (1, MAX_THRESHOLD),
        str(DEFAULT_SERVICE_SECONDS),
    )
    threshold = st.number_input(
        "Umbral del nivel de servicio (segundos)",
        min_value=1,
        max_value=MAX_THRESHOLD,
        value=DEFAULT_SERVICE_SECONDS,
        step=5,
        key=THRESHOLD_KEY,
        bind="query-params",
        help="Nivel de servicio = atendidas con espera de hasta este umbral, entre todas las "
        "que entraron a la cola (las abandonadas cuentan). Hasta "
        f"{MAX_THRESHOLD} s: las esperas se guardan al segundo sólo por debajo de "
        f"{EXACT_WAIT_S // 60} minutos.",
    )
    qt = cached_pure(queue.queue_table, waits, float(threshold))
    if qt.empty:
        st.info(
            "No hay contactos con espera en cola registrada en este periodo y alcance. Se "
            "cargan con la tabla «interaction» (columnas resultado y segundos_espera): "
            "`python -m lib import interaction ARCHIVO`."
        )
        return
    all_names = channels.set_index("id")["name"].to_dict()
    phone = [c for c in qt.index if kinds.get(c) == "telefónico"]
    ordered = sorted(qt.index, key=lambda c: (c not in phone, -qt.loc[c, "queued"]))
    pick = st.selectbox(
        "Cola",
        ordered,
        format_func=lambda c: all_names.get(c, c),
        key="canales_cola",
        placeholder="Elija una opción",
    )
    r = qt.loc[pick]
    cols = st.columns(5)
    cols[0].metric(
        "Abandono",
        fmt_pct(r["abandonment"]),
        help=f"IC 95 %: {fmt_pct(r['abandonment_low'])} – {fmt_pct(r['abandonment_high'])}; "
        f"{fmt_int(r['abandoned'])} de {fmt_int(r['queued'])} en cola.",
    )
    cols[1].metric(
        f"Nivel de servicio ({threshold:g} s)",
        fmt_pct(r["service_level"]),
        help=f"IC 95 %: {fmt_pct(r['service_level_low'])} – {fmt_pct(r['service_level_high'])}"
        f"; {fmt_int(r['answered_within'])} atendidas a tiempo.",
    )
    cols[2].metric(
        "Velocidad media de respuesta",
        queue.seconds(r["asa"]),
        help=f"IC 95 %: {queue.seconds(r['asa_low'])} – {queue.seconds(r['asa_high'])}; "
        f"espera promedio de {fmt_int(r['answered'])} atendidas.",
    )
    cols[3].metric(
        "Espera mediana",
        queue.seconds(r["wait_median"]),
        help=f"IC 95 %: {queue.seconds(r['wait_median_low'])} – "
        f"{queue.seconds(r['wait_median_high'])}.",
    )
    cols[4].metric(
        "Espera P90",
        queue.seconds(r["wait_p90"]),
        help=f"IC 95 %: {queue.seconds(r['wait_p90_low'])} – {queue.seconds(r['wait_p90_high'])}.",
    )
    if not r["exact"]:
        st.caption("Esperas de más de 20 minutos se guardan por minuto: el P90 es el minuto.")
    if size_filtered:
        st.caption(
            "El filtro de tamaño de patrón no se aplica a las colas: la mayoría de las "
            "llamadas en cola son anónimas."
        )
    qtests = cached_pure(queue.pairwise, qt)
    for sentence in queue.verdicts(qt, qtests, all_names):
        st.markdown(f"- {sentence}")
    noise = queue.noise_sentences(qtests, qt, all_names)
    if noise:
        with st.expander(f"Diferencias entre colas que son ruido ({len(noise)})"):
            for n in noise:
                st.markdown(f"- {n}")
    readable = queue.readable(qt, all_names, float(threshold))
    data_table(
        readable,
        column_config={
            c: st.column_config.NumberColumn(format="%,.1f")
            for c in readable.columns
            if c not in ("Canal", "En cola", "Atendidas", "Abandonadas")
        },
    )
    st.caption(
        "En cola = contactos con espera registrada (0 s incluido); quien colgó en el menú no "
        "entró. Atendidas = atendido o transferido. IC 95 %: Wilson (proporciones), t "
        "(velocidad), estadísticos de orden (mediana). Pruebas entre colas ajustadas por Holm."
    )
