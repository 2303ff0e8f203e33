"""Every indicator of Mirador, defined once (docs/architecture.md, «How to add an indicator»).

The order is the explorer's; the overview's cards are ``OVERVIEW``. Adding an indicator is
one entry here (and its measures in lib/metrics/measures.py when new) plus its oracle in
tests/metric_oracles.py; every page that lists indicators picks it up by key.
"""

from __future__ import annotations

from lib.contact import DEFAULT_SERVICE_SECONDS
from lib.metrics.definitions import Indicator
from lib.metrics.vocabulary import ChangeTest, Direction, Family, Interval, Kind

_I = Family.INTERACTION
_Q = Family.QUEUE
_S = Family.SURVEY
_C = Family.COMPLAINT
_P = Family.COLLECTION


def _service_level(threshold_s: float) -> Indicator:
    """The service level at ``threshold_s`` seconds (the registry's at the default)."""
    return Indicator(
        "service_level",
        f"Nivel de servicio ({threshold_s:g} s)",
        "el nivel de servicio",
        f"Atendidas con espera de {threshold_s:g} s o menos entre las que entraron a la cola.",
        f"100 × Σ atendidas con espera ≤ {threshold_s:g} s / Σ que entraron a la cola",
        Kind.SHARE,
        "%",
        Direction.HIGHER,
        _Q,
        {"answered_within": 1},
        {"queued": 1},
        caveats="Las abandonadas cuentan en el denominador. En la página de canales el "
        "umbral se cambia.",
        interval=Interval.WILSON,
    )


_ENTRIES = [
    Indicator(
        "contacts",
        "Contactos",
        "los contactos",
        "Contactos de patrones en todos los canales del filtro.",
        "Σ contactos",
        Kind.COUNT,
        "contactos",
        Direction.NEUTRAL,
        _I,
        {"contacts": 1},
        test=ChangeTest.COUNT,
        facts=("interaction", "patron"),
        caveats="Cuenta contactos, no patrones: un patrón que vuelve cuenta cada vez.",
        decimals=0,
    ),
    Indicator(
        "digital_share",
        "Participación digital",
        "la participación digital",
        "Contactos en servicios en línea y Buzón IMSS entre todos los contactos.",
        "100 × Σ contactos en canales digitales / Σ contactos",
        Kind.SHARE,
        "%",
        Direction.HIGHER,
        _I,
        {"digital_contacts": 1},
        {"contacts": 1},
        test=ChangeTest.PROPORTION,
        facts=("interaction", "channel"),
        caveats="Lo que el perfil de patrones permite: una oficina con más patrones pequeños "
        "no atiende peor por usar menos lo digital.",
        interval=Interval.WILSON,
    ),
    Indicator(
        "fcr",
        "Resolución al primer contacto",
        "la resolución al primer contacto",
        "Contactos resueltos sin que el patrón tuviera que volver, entre los que registran "
        "si se resolvieron.",
        "100 × Σ resueltos al primer contacto / Σ contactos con resolución registrada",
        Kind.SHARE,
        "%",
        Direction.HIGHER,
        _I,
        {"resolved_first": 1},
        {"resolution_known": 1},
        test=ChangeTest.PROPORTION,
        level_test=True,
        caveats=(
            "Lo registra quien atiende; no se verifica con un recontacto posterior. "
            "Los contactos sin resolución registrada (un registro de llamadas) quedan fuera; "
            "sin ninguno, no hay dato."
        ),
        interval=Interval.WILSON,
    ),
    Indicator(
        "repeat_30d",
        "Recontacto en 30 días",
        "el recontacto en 30 días",
        "Contactos seguidos de otro del mismo patrón y trámite en 30 días.",
        "100 × Σ contactos seguidos de otro del mismo patrón y trámite en 30 días / "
        "Σ contactos de un patrón identificado",
        Kind.SHARE,
        "%",
        Direction.LOWER,
        _I,
        {"repeat_30d": 1},
        {"followable": 1},
        caveats=(
            "Los últimos 30 días de datos están censurados: su recontacto aún puede llegar. "
            "Los contactos anónimos no se pueden seguir y quedan fuera; sin ninguno "
            "identificado, no hay dato."
        ),
        interval=Interval.WILSON,
    ),
    Indicator(
        "wait_mean",
        "Espera promedio",
        "la espera promedio",
        "Minutos de espera por contacto.",
        "Σ minutos de espera / Σ contactos",
        Kind.MEAN,
        "minutos",
        Direction.LOWER,
        _I,
        {"wait_minutes_sum": 1},
        {"contacts": 1},
        caveats="Los canales en línea no tienen espera (0 minutos) y bajan el promedio.",
    ),
    Indicator(
        "handle_mean",
        "Atención promedio",
        "la atención promedio",
        "Minutos de atención por contacto.",
        "Σ minutos de atención / Σ contactos",
        Kind.MEAN,
        "minutos",
        Direction.NEUTRAL,
        _I,
        {"handle_minutes_sum": 1},
        {"contacts": 1},
    ),
    Indicator(
        "cost_per_contact",
        "Costo por contacto",
        "el costo por contacto",
        "Costo unitario de planeación por contacto.",
        "Σ costo / Σ contactos con costo registrado",
        Kind.MEAN,
        "MXN",
        Direction.LOWER,
        _I,
        {"cost_sum": 1},
        {"cost_known": 1},
        facts=("interaction", "channel"),
        decimals=2,
        caveats=(
            "Costo unitario de planeación por canal, no costo contable. Los contactos sin "
            "costo registrado (un registro de llamadas) quedan fuera; sin ninguno, no hay dato."
        ),
    ),
    Indicator(
        "queued",
        "Contactos en cola",
        "los contactos en cola",
        "Contactos que entraron a la cola de un agente (teléfono, ventanilla), atendidos o no.",
        "Σ contactos con espera registrada",
        Kind.COUNT,
        "contactos",
        Direction.NEUTRAL,
        _Q,
        {"queued": 1},
        test=ChangeTest.COUNT,
        decimals=0,
        caveats="Quien colgó en el menú no entró a la cola; los canales en línea no tienen cola.",
    ),
    Indicator(
        "abandonment",
        "Abandono en cola",
        "el abandono en cola",
        "Contactos que colgaron en la cola entre los que entraron a ella.",
        "100 × Σ abandonadas en cola / Σ que entraron a la cola",
        Kind.SHARE,
        "%",
        Direction.LOWER,
        _Q,
        {"abandoned": 1},
        {"queued": 1},
        caveats="Sólo contactos con espera registrada (teléfono, ventanilla); quien colgó "
        "en el menú no entró a la cola. Sin tamaño de patrón: la mayoría es anónima.",
        interval=Interval.WILSON,
    ),
    _service_level(DEFAULT_SERVICE_SECONDS),
    Indicator(
        "speed_of_answer",
        "Velocidad media de respuesta",
        "la velocidad media de respuesta",
        "Segundos de espera promedio de las atendidas.",
        "Σ segundos de espera de las atendidas / Σ atendidas",
        Kind.MEAN,
        "segundos",
        Direction.LOWER,
        _Q,
        {"answered_wait_sum": 1},
        {"answered": 1},
        caveats="Promedio: sensible a esperas muy largas; vea la mediana y el P90.",
    ),
    Indicator(
        "wait_median_s",
        "Espera mediana de las atendidas",
        "la espera mediana",
        "La mitad de las atendidas esperó esto o menos.",
        "mediana de la espera de las atendidas (rango más cercano, al segundo)",
        Kind.QUANTILE,
        "segundos",
        Direction.LOWER,
        _Q,
        {"answered": 1},
        decimals=0,
        quantile=0.5,
        value_column="wait_s",
        caveats="Exacta al segundo por debajo de 20 minutos; arriba, al minuto.",
    ),
    Indicator(
        "wait_p90_s",
        "Espera P90 de las atendidas",
        "la espera P90",
        "Nueve de cada diez atendidas esperaron esto o menos.",
        "percentil 90 de la espera de las atendidas (rango más cercano, al segundo)",
        Kind.QUANTILE,
        "segundos",
        Direction.LOWER,
        _Q,
        {"answered": 1},
        decimals=0,
        quantile=0.9,
        value_column="wait_s",
        caveats="Exacta al segundo por debajo de 20 minutos; arriba, al minuto.",
    ),
    Indicator(
        "responses",
        "Respuestas de encuesta",
        "las respuestas de encuesta",
        "Encuestas de satisfacción respondidas.",
        "Σ respuestas",
        Kind.COUNT,
        "respuestas",
        Direction.NEUTRAL,
        _S,
        {"responses": 1},
        facts=("survey_response", "interaction", "patron"),
        decimals=0,
    ),
    Indicator(
        "csat_mean",
        "Satisfacción (CSAT) promedio",
        "la satisfacción promedio",
        "Calificación promedio de 1 a 5.",
        "Σ CSAT / Σ respuestas",
        Kind.MEAN,
        "puntos de 1 a 5",
        Direction.HIGHER,
        _S,
        {"csat_sum": 1},
        {"responses": 1},
        decimals=2,
        caveats="Sólo responde una parte de los atendidos; puede haber sesgo de respuesta.",
        interval=Interval.T_MEAN,
        squares="csat_sq_sum",
    ),
    Indicator(
        "csat",
        "Satisfacción (CSAT)",
        "la satisfacción (% que califica 4 o 5)",
        "Encuestados que califican 4 o 5 en la escala de 1 a 5.",
        "100 × Σ respuestas con CSAT 4 o 5 / Σ respuestas",
        Kind.SHARE,
        "%",
        Direction.HIGHER,
        _S,
        {"csat_satisfied": 1},
        {"responses": 1},
        test=ChangeTest.PROPORTION,
        level_test=True,
        interval=Interval.WILSON,
    ),
    Indicator(
        "nps",
        "NPS",
        "el NPS",
        "Promotores (9-10) menos detractores (0-6), en puntos de -100 a 100.",
        "100 × (Σ promotores 9–10 − Σ detractores 0–6) / Σ respuestas",
        Kind.NPS,
        "puntos (−100 a 100)",
        Direction.HIGHER,
        _S,
        {"nps_promoters": 1, "nps_detractors": -1},
        {"responses": 1},
        test=ChangeTest.NPS,
        level_test=True,
        caveats="Con pocas respuestas el NPS varía mucho; vea el número de respuestas.",
        interval=Interval.NPS,
    ),
    Indicator(
        "effort",
        "Esfuerzo promedio",
        "el esfuerzo promedio",
        "Calificación de esfuerzo de 1 (muy fácil) a 5 (muy difícil).",
        "Σ esfuerzo / Σ respuestas",
        Kind.MEAN,
        "puntos de 1 (muy fácil) a 5 (muy difícil)",
        Direction.LOWER,
        _S,
        {"effort_sum": 1},
        {"responses": 1},
        decimals=2,
        caveats="Menos es mejor.",
        interval=Interval.T_MEAN,
        squares="effort_sq_sum",
    ),
    Indicator(
        "complaints",
        "Quejas recibidas",
        "las quejas recibidas",
        "Quejas, denuncias, requerimientos PRODECON y sugerencias recibidos.",
        "Σ quejas, denuncias, PRODECON y sugerencias recibidas",
        Kind.COUNT,
        "quejas",
        Direction.LOWER,
        _C,
        {"complaints": 1},
        test=ChangeTest.COUNT,
        facts=("complaint", "patron"),
        decimals=0,
        caveats="Tamaño de patrón «--» = quejas sin patrón identificado.",
    ),
    Indicator(
        "complaints_on_time",
        "Quejas cerradas en plazo",
        "las quejas cerradas en plazo",
        "Cerradas dentro del tramo de control, entre las ya cerradas o vencidas "
        "(no cuenta las abiertas que aún están en plazo ni las cerradas sin fecha de cierre).",
        "100 × Σ cerradas en plazo / (Σ recibidas − Σ abiertas aún en plazo − Σ cerradas sin "
        "fecha de cierre)",
        Kind.SHARE,
        "%",
        Direction.HIGHER,
        _C,
        {"complaints_on_time": 1},
        {"complaints": 1, "complaints_pending": -1, "complaints_no_date": -1},
        test=ChangeTest.PROPORTION,
        level_test=True,
        facts=("complaint", "complaint_kind"),
        caveats="Las abiertas que aún están en plazo no cuentan ni a favor ni en contra; "
        "tampoco las cerradas sin fecha de cierre (no se sabe si a tiempo).",
        interval=Interval.WILSON,
    ),
    Indicator(
        "days_to_close",
        "Días para cerrar (promedio)",
        "los días para cerrar",
        "Días naturales de la recepción al cierre, en promedio.",
        "Σ días de recepción a cierre / Σ cerradas",
        Kind.MEAN,
        "días naturales",
        Direction.LOWER,
        _C,
        {"days_to_close_sum": 1},
        {"complaints_closed": 1},
        caveats="Promedio, sensible a casos muy largos; la página de quejas da la mediana.",
    ),
    Indicator(
        "issued",
        "Emitido",
        "lo emitido",
        "Cuotas emitidas en el periodo, en pesos.",
        "Σ importe emitido",
        Kind.MXN,
        "MXN",
        Direction.NEUTRAL,
        _P,
        {"issued": 1},
        facts=("collection_monthly", "patron"),
        decimals=0,
        caveats="Sin dimensión de canal: el filtro de canal no se aplica.",
    ),
    Indicator(
        "collection_on_time",
        "Recaudación a tiempo",
        "la recaudación a tiempo",
        "Cuotas pagadas a más tardar el día 17 del mes siguiente, en pesos.",
        "Σ pagado a tiempo",
        Kind.MXN,
        "MXN",
        Direction.HIGHER,
        _P,
        {"paid_on_time": 1},
        decimals=0,
        caveats="A tiempo = pagado a más tardar el día 17 del mes siguiente. Sin canal.",
    ),
    Indicator(
        "collection_on_time_share",
        "Recaudación a tiempo (% de lo emitido)",
        "la recaudación a tiempo (% de lo emitido)",
        "Pesos pagados a más tardar el día 17 del mes siguiente entre los emitidos.",
        "100 × Σ pagado a tiempo / Σ emitido",
        Kind.SHARE,
        "%",
        Direction.HIGHER,
        _P,
        {"paid_on_time": 1},
        {"issued": 1},
        caveats="A tiempo = pagado a más tardar el día 17 del mes siguiente. Sin canal.",
    ),
    Indicator(
        "patrons_on_time",
        "Patrones con pago oportuno",
        "el pago oportuno (% de patrones)",
        "Patrones que pagaron completo lo emitido a más tardar el día 17 (proporción de "
        "patrones-mes cuando el periodo tiene varios meses).",
        "100 × Σ patrones-mes que pagaron todo a tiempo / Σ patrones-mes",
        Kind.SHARE,
        "%",
        Direction.HIGHER,
        _P,
        {"patrons_on_time": 1},
        {"patrons": 1},
        test=ChangeTest.PROPORTION,
        level_test=True,
        per_patron=True,
        caveats="Cuenta patrones-mes: un patrón pesa una vez por cada mes del periodo.",
        interval=Interval.WILSON,
    ),
    Indicator(
        "overdue_balance",
        "Saldo vencido (promedio mensual)",
        "el saldo vencido",
        "Adeudo vencido al cierre de cada mes, promedio de los meses del periodo.",
        "Σ saldo vencido / número de meses",
        Kind.MXN,
        "MXN",
        Direction.LOWER,
        _P,
        {"overdue_balance": 1},
        decimals=0,
        stock=True,
        caveats="Es un saldo, no un flujo: sin el mes como dimensión se divide entre los "
        "meses del periodo para no sumar el mismo adeudo varias veces.",
    ),
]
INDICATORS: dict[str, Indicator] = {i.key: i for i in _ENTRIES}
if len(INDICATORS) != len(_ENTRIES) or len({i.label for i in _ENTRIES}) != len(_ENTRIES):
    raise ValueError("cada indicador necesita una llave y una etiqueta propias")

# the executive overview's cards, in their order (lib/analysis/kpis.py)
OVERVIEW: tuple[str, ...] = (
    "contacts",
    "digital_share",
    "fcr",
    "csat",
    "nps",
    "complaints",
    "complaints_on_time",
    "collection_on_time",
    "patrons_on_time",
)
# "what moved most" (lib/analysis/movers.py): the changes a head asks about first
MOVERS: tuple[str, ...] = ("fcr", "csat", "patrons_on_time", "complaints", "contacts")


def service_level(threshold_s: float = DEFAULT_SERVICE_SECONDS) -> Indicator:
    """``service_level`` at the user's threshold (the channel page's, 1–1199 s): the same
    declaration, its texts naming ``threshold_s``. Its value and interval are evaluated on
    sums whose ``answered_within`` is counted at that threshold
    (lib.metrics.measures.answered_within); its SQL, like the rollups', counts the default."""
    if threshold_s == DEFAULT_SERVICE_SECONDS:
        return INDICATORS["service_level"]
    return _service_level(threshold_s)


def indicator(key: str) -> Indicator:
    """The indicator ``key`` (KeyError names the unknown key)."""
    return INDICATORS[key]
