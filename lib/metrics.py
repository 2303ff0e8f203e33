"""The catalog of defined metrics: what the explorer measures and the dictionary explains.

Every metric is a ratio of two sums over one rollup (or a plain sum), so it can be computed in
SQL for any grouping and summed correctly: averages are never averaged. ``numerator`` and
``denominator`` are SQL expressions over the rollup's columns; the value is
``scale × Σ numerator / Σ denominator``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Table, case

from lib.contact import DEFAULT_SERVICE_SECONDS
from lib.db.schema import (
    AggCollectionMonth,
    AggComplaintMonth,
    AggInteractionMonth,
    AggQueueWaitMonth,
    AggSurveyMonth,
)

IM = AggInteractionMonth.__table__
SM = AggSurveyMonth.__table__
CM = AggComplaintMonth.__table__
COL = AggCollectionMonth.__table__
QW = AggQueueWaitMonth.__table__

# dimension key → (Spanish label, rollup column)
DIMENSIONS: dict[str, tuple[str, str]] = {
    "month": ("Mes", "month"),
    "ooad": ("OOAD", "ooad_id"),
    "subdelegacion": ("Subdelegación", "subdelegacion_id"),
    "channel": ("Canal", "channel_id"),
    "procedure": ("Trámite", "procedure_id"),
    "size_band": ("Tamaño de patrón", "size_band_id"),
    "economic_division": ("División económica", "economic_division_id"),
    "kind": ("Tipo de queja", "kind_id"),
    "category": ("Categoría de queja", "category_id"),
}


@dataclass(frozen=True)
class Metric:
    key: str
    name: str
    unit: str
    formula: str  # Spanish, as the dictionary shows it
    table: Table  # the rollup it is computed from
    facts: tuple[str, ...]  # fact tables behind the rollup
    numerator: Callable[[Table], object]
    denominator: Callable[[Table], object] | None = None
    scale: float = 1.0
    caveats: str = ""
    decimals: int = 1
    stock: bool = False  # a balance: divided by the number of months instead of summed
    # a quantile of ``value_column`` weighted by the numerator (e.g. the median wait of the
    # answered): not a ratio, computed from the rollup's histogram (lib/queries/explorer.py)
    quantile: float | None = None
    value_column: str | None = None

    @property
    def source(self) -> str:
        return self.table.name

    @property
    def dimensions(self) -> list[str]:
        return [k for k, (_l, col) in DIMENSIONS.items() if col in self.table.c]


def _m(*args, **kw) -> Metric:
    return Metric(*args, **kw)


CATALOG: dict[str, Metric] = {
    m.key: m
    for m in [
        _m(
            "contactos",
            "Contactos",
            "contactos",
            "Σ contactos",
            IM,
            ("interaction", "patron"),
            lambda t: t.c.contacts,
            decimals=0,
            caveats="Cuenta contactos, no patrones: un patrón que vuelve cuenta cada vez.",
        ),
        _m(
            "resolucion_primer_contacto",
            "Resolución al primer contacto",
            "%",
            "100 × Σ resueltos al primer contacto / Σ contactos con resolución registrada",
            IM,
            ("interaction",),
            lambda t: t.c.resolved_first,
            lambda t: t.c.resolution_known,
            100,
            caveats=(
                "Lo registra quien atiende; no se verifica con un recontacto posterior. "
                "Los contactos sin resolución registrada (un registro de llamadas) quedan fuera; "
                "sin ninguno, no hay dato."
            ),
        ),
        _m(
            "recontacto_30d",
            "Recontacto en 30 días",
            "%",
            "100 × Σ contactos seguidos de otro del mismo patrón y trámite en 30 días / "
            "Σ contactos de un patrón identificado",
            IM,
            ("interaction",),
            lambda t: t.c.repeat_30d,
            lambda t: t.c.followable,
            100,
            caveats=(
                "Los últimos 30 días de datos están censurados: su recontacto aún puede llegar. "
                "Los contactos anónimos no se pueden seguir y quedan fuera; sin ninguno "
                "identificado, no hay dato."
            ),
        ),
        _m(
            "espera_promedio",
            "Espera promedio",
            "minutos",
            "Σ minutos de espera / Σ contactos",
            IM,
            ("interaction",),
            lambda t: t.c.wait_minutes_sum,
            lambda t: t.c.contacts,
            caveats="Los canales en línea no tienen espera (0 minutos) y bajan el promedio.",
        ),
        _m(
            "atencion_promedio",
            "Atención promedio",
            "minutos",
            "Σ minutos de atención / Σ contactos",
            IM,
            ("interaction",),
            lambda t: t.c.handle_minutes_sum,
            lambda t: t.c.contacts,
        ),
        _m(
            "costo_por_contacto",
            "Costo por contacto",
            "MXN",
            "Σ costo / Σ contactos con costo registrado",
            IM,
            ("interaction", "channel"),
            lambda t: t.c.cost_sum,
            lambda t: t.c.cost_known,
            decimals=2,
            caveats=(
                "Costo unitario de planeación por canal, no costo contable. Los contactos sin "
                "costo registrado (un registro de llamadas) quedan fuera; sin ninguno, no hay dato."
            ),
        ),
        _m(
            "abandono",
            "Abandono en cola",
            "%",
            "100 × Σ abandonadas en cola / Σ que entraron a la cola",
            QW,
            ("interaction",),
            lambda t: t.c.abandoned,
            lambda t: t.c.queued,
            100,
            caveats="Sólo contactos con espera registrada (teléfono, ventanilla); quien colgó "
            "en el menú no entró a la cola. Sin tamaño de patrón: la mayoría es anónima.",
        ),
        _m(
            "nivel_servicio",
            f"Nivel de servicio ({DEFAULT_SERVICE_SECONDS} s)",
            "%",
            f"100 × Σ atendidas con espera ≤ {DEFAULT_SERVICE_SECONDS} s / Σ que entraron a "
            "la cola",
            QW,
            ("interaction",),
            lambda t: case((t.c.wait_s <= DEFAULT_SERVICE_SECONDS, t.c.answered), else_=0),
            lambda t: t.c.queued,
            100,
            caveats="Las abandonadas cuentan en el denominador. En la página de canales el "
            "umbral se cambia.",
        ),
        _m(
            "velocidad_respuesta",
            "Velocidad media de respuesta",
            "segundos",
            "Σ segundos de espera de las atendidas / Σ atendidas",
            QW,
            ("interaction",),
            lambda t: t.c.answered_wait_sum,
            lambda t: t.c.answered,
            caveats="Promedio: sensible a esperas muy largas; vea la mediana y el P90.",
        ),
        _m(
            "espera_mediana_s",
            "Espera mediana de las atendidas",
            "segundos",
            "mediana de la espera de las atendidas (rango más cercano, al segundo)",
            QW,
            ("interaction",),
            lambda t: t.c.answered,
            decimals=0,
            quantile=0.5,
            value_column="wait_s",
            caveats="Exacta al segundo por debajo de 20 minutos; arriba, al minuto.",
        ),
        _m(
            "espera_p90_s",
            "Espera P90 de las atendidas",
            "segundos",
            "percentil 90 de la espera de las atendidas (rango más cercano, al segundo)",
            QW,
            ("interaction",),
            lambda t: t.c.answered,
            decimals=0,
            quantile=0.9,
            value_column="wait_s",
            caveats="Exacta al segundo por debajo de 20 minutos; arriba, al minuto.",
        ),
        _m(
            "respuestas",
            "Respuestas de encuesta",
            "respuestas",
            "Σ respuestas",
            SM,
            ("survey_response", "interaction", "patron"),
            lambda t: t.c.responses,
            decimals=0,
        ),
        _m(
            "csat",
            "Satisfacción (CSAT) promedio",
            "puntos de 1 a 5",
            "Σ CSAT / Σ respuestas",
            SM,
            ("survey_response",),
            lambda t: t.c.csat_sum,
            lambda t: t.c.responses,
            decimals=2,
            caveats="Sólo responde una parte de los atendidos; puede haber sesgo de respuesta.",
        ),
        _m(
            "satisfechos",
            "Satisfechos (CSAT 4–5)",
            "%",
            "100 × Σ respuestas con CSAT 4 o 5 / Σ respuestas",
            SM,
            ("survey_response",),
            lambda t: t.c.csat_satisfied,
            lambda t: t.c.responses,
            100,
        ),
        _m(
            "nps",
            "NPS",
            "puntos (−100 a 100)",
            "100 × (Σ promotores 9–10 − Σ detractores 0–6) / Σ respuestas",
            SM,
            ("survey_response",),
            lambda t: t.c.nps_promoters - t.c.nps_detractors,
            lambda t: t.c.responses,
            100,
            caveats="Con pocas respuestas el NPS varía mucho; vea el número de respuestas.",
        ),
        _m(
            "esfuerzo",
            "Esfuerzo promedio",
            "puntos de 1 (muy fácil) a 5 (muy difícil)",
            "Σ esfuerzo / Σ respuestas",
            SM,
            ("survey_response",),
            lambda t: t.c.effort_sum,
            lambda t: t.c.responses,
            decimals=2,
            caveats="Menos es mejor.",
        ),
        _m(
            "quejas",
            "Quejas recibidas",
            "quejas",
            "Σ quejas, denuncias, PRODECON y sugerencias recibidas",
            CM,
            ("complaint", "patron"),
            lambda t: t.c.received,
            decimals=0,
            caveats="Tamaño de patrón «--» = quejas sin patrón identificado.",
        ),
        _m(
            "cerradas_en_plazo",
            "Cerradas en plazo",
            "%",
            "100 × Σ cerradas en plazo / (Σ recibidas − Σ abiertas aún en plazo)",
            CM,
            ("complaint", "complaint_kind"),
            lambda t: t.c.closed_on_time,
            lambda t: t.c.received - t.c.pending_not_due,
            100,
            caveats="Las abiertas que aún están en plazo no cuentan ni a favor ni en contra.",
        ),
        _m(
            "dias_para_cerrar",
            "Días para cerrar (promedio)",
            "días naturales",
            "Σ días de recepción a cierre / Σ cerradas",
            CM,
            ("complaint",),
            lambda t: t.c.days_to_close_sum,
            lambda t: t.c.closed,
            caveats="Promedio, sensible a casos muy largos; la página de quejas da la mediana.",
        ),
        _m(
            "emitido",
            "Emitido",
            "MXN",
            "Σ importe emitido",
            COL,
            ("collection_monthly", "patron"),
            lambda t: t.c.issued,
            decimals=0,
            caveats="Sin dimensión de canal: el filtro de canal no se aplica.",
        ),
        _m(
            "recaudacion_a_tiempo",
            "Recaudación a tiempo",
            "%",
            "100 × Σ pagado a tiempo / Σ emitido",
            COL,
            ("collection_monthly",),
            lambda t: t.c.paid_on_time,
            lambda t: t.c.issued,
            100,
            caveats="A tiempo = pagado a más tardar el día 17 del mes siguiente. Sin canal.",
        ),
        _m(
            "patrones_pago_oportuno",
            "Patrones con pago oportuno",
            "%",
            "100 × Σ patrones-mes que pagaron todo a tiempo / Σ patrones-mes",
            COL,
            ("collection_monthly",),
            lambda t: t.c.patrons_on_time,
            lambda t: t.c.patrons,
            100,
            caveats="Cuenta patrones-mes: un patrón pesa una vez por cada mes del periodo.",
        ),
        _m(
            "saldo_vencido",
            "Saldo vencido (promedio mensual)",
            "MXN",
            "Σ saldo vencido / número de meses",
            COL,
            ("collection_monthly",),
            lambda t: t.c.overdue_balance,
            None,
            decimals=0,
            stock=True,
            caveats="Es un saldo, no un flujo: sin el mes como dimensión se divide entre los "
            "meses del periodo para no sumar el mismo adeudo varias veces.",
        ),
    ]
}
