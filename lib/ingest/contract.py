"""The import data contract: which columns a file for each table must or may carry.

Derived from lib/db/schema.py (types, nullability, keys, foreign keys, CHECK constraints) and
documented in docs/data-contract.md. Each column accepts its English name and the Spanish
headers analysts' exports use (matched without accents, case or spacing, see
:func:`normalise_header`). Columns that the database stores but a file does not carry
(date buckets, derived counts, surrogate ids of patrons and campaigns) are computed at load.

Patrons and campaigns are referred to in files by their natural keys (registro patronal,
campaign code), never by Mirador's internal ids, which differ from one database to another.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace

from lib.campaign_vocabulary import CampaignKind, Design
from lib.complaint_vocabulary import ComplaintStatus
from lib.contact import CallerKind, ChannelKind, Outcome

# kinds: int | float | str | bool | date | datetime | month (first day of a month)


@dataclass(frozen=True)
class Col:
    name: str  # column name in the contract (= database column, or a lookup's source column)
    kind: str
    label: str  # Spanish description, for the report and the dictionary
    required: bool = True  # the file must have this column
    nullable: bool = False  # cells may be empty
    aliases: tuple[str, ...] = ()
    fk: str | None = None  # "table.column" that a value must exist in
    lookup: tuple[str, str, str] | None = None  # (target column, table, natural key column)
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None
    max_len: int | None = None
    exact_len: tuple[int, ...] | None = None
    future_ok: bool = False  # a date that may be after the data date (a deadline, a plan)

    @property
    def target(self) -> str:
        """The database column this file column fills."""
        return self.lookup[0] if self.lookup else self.name


@dataclass(frozen=True)
class TableSpec:
    name: str
    label: str
    key: tuple[str, ...]  # natural key, in database columns (after lookups)
    columns: tuple[Col, ...]
    derived: tuple[str, ...] = ()  # database columns computed at load
    notes: str = ""
    kind: str = "hecho"  # catálogo | hecho

    def col(self, name: str) -> Col:
        return next(c for c in self.columns if c.name == name)

    @property
    def targets(self) -> list[str]:
        return [c.target for c in self.columns] + list(self.derived)

    @property
    def headers(self) -> dict[str, str]:
        """Normalised header → contract column name."""
        out: dict[str, str] = {}
        for c in self.columns:
            for h in (c.name, *c.aliases):
                out[normalise_header(h)] = c.name
        return out


def normalise_header(text: str) -> str:
    """«Fecha de Recepción » → «fecha_de_recepcion»: no accents, case or stray spacing."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def _c(name: str, kind: str, label: str, *aliases: str, **kw) -> Col:
    return Col(name, kind, label, aliases=aliases, **kw)


SUBDEL = _c(
    "subdelegacion_id",
    "int",
    "Subdelegación (clave = OOAD × 100 + subdelegación, p. ej. 1439)",
    "subdelegacion",
    "clave_subdelegacion",
    "cve_subdelegacion",
    "id_subdelegacion",
    fk="subdelegacion.id",
)
CHANNEL = _c("channel_id", "str", "Canal", "canal", "id_canal", "clave_canal", fk="channel.id")
PROCEDURE = _c(
    "procedure_id", "str", "Trámite", "tramite", "id_tramite", "clave_tramite", fk="procedure.id"
)
PATRON = _c(
    "registro_patronal",
    "str",
    "Registro patronal del patrón (debe existir en patrones)",
    "registro",
    "reg_pat",
    "registro_patronal_rp",
    "rp",
    lookup=("patron_id", "patron", "registro_patronal"),
    max_len=11,
)
SCORE = dict(min=1, max=5)

SPECS: dict[str, TableSpec] = {}


def _add(spec: TableSpec) -> None:
    SPECS[spec.name] = spec


# ----------------------------------------------------------------------------- catalogs
_add(
    TableSpec(
        "ooad",
        "OOAD",
        ("id",),
        (
            _c(
                "id",
                "int",
                "Clave delegacional IMSS",
                "clave",
                "clave_ooad",
                "cve_delegacion",
                "ooad",
                "id_ooad",
                min=1,
                max=99,
            ),
            _c("name", "str", "Nombre", "nombre", "nombre_ooad", "delegacion", max_len=80),
            _c("kind", "str", "Tipo", "tipo", choices=("estatal", "regional")),
        ),
        kind="catálogo",
    )
)
_add(
    TableSpec(
        "subdelegacion",
        "Subdelegaciones",
        ("id",),
        (
            _c(
                "id",
                "int",
                "Clave Mirador (OOAD × 100 + subdelegación)",
                "clave",
                "id_subdelegacion",
                "clave_subdelegacion_mirador",
                min=100,
                max=9999,
            ),
            _c("ooad_id", "int", "OOAD", "ooad", "clave_ooad", "cve_delegacion", fk="ooad.id"),
            _c(
                "code",
                "int",
                "Clave de subdelegación dentro del OOAD",
                "codigo",
                "cve_subdelegacion",
                "clave_subdelegacion",
                min=0,
                max=99,
            ),
            _c("name", "str", "Nombre", "nombre", "subdelegacion", max_len=80),
        ),
        kind="catálogo",
    )
)
_add(
    TableSpec(
        "channel",
        "Canales",
        ("id",),
        (
            _c("id", "str", "Clave del canal", "clave", "canal", "id_canal", max_len=20),
            _c("name", "str", "Nombre", "nombre", max_len=60),
            _c(
                "kind",
                "str",
                "Tipo",
                "tipo",
                choices=tuple(k.value for k in ChannelKind),
            ),
            _c("is_digital", "bool", "Es digital", "digital", "es_digital"),
            _c(
                "unit_cost",
                "float",
                "Costo unitario (MXN por contacto)",
                "costo_unitario",
                "costo",
                min=0,
            ),
            _c("sort_order", "int", "Orden", "orden", required=False, nullable=True),
        ),
        kind="catálogo",
    )
)
_add(
    TableSpec(
        "procedure",
        "Trámites",
        ("id",),
        (
            _c("id", "str", "Clave del trámite", "clave", "tramite", "id_tramite", max_len=30),
            _c("name", "str", "Nombre", "nombre", max_len=80),
            _c(
                "online_capable",
                "bool",
                "Se puede hacer en línea",
                "en_linea",
                "disponible_en_linea",
            ),
        ),
        kind="catálogo",
    )
)
_add(
    TableSpec(
        "economic_division",
        "Divisiones económicas",
        ("id",),
        (
            _c(
                "id",
                "int",
                "División económica IMSS",
                "clave",
                "division",
                "division_economica",
                min=0,
                max=9,
            ),
            _c("name", "str", "Nombre", "nombre", max_len=100),
        ),
        kind="catálogo",
    )
)
_add(
    TableSpec(
        "size_band",
        "Tamaños de patrón",
        ("id",),
        (
            _c("id", "str", "Clave S1…S7", "clave", "tamano", "tamano_patron", exact_len=(2,)),
            _c("name", "str", "Nombre", "nombre", max_len=60),
            _c("min_jobs", "int", "Puestos mínimos", "puestos_minimos", "minimo", min=0),
            _c(
                "max_jobs",
                "int",
                "Puestos máximos (vacío = sin límite)",
                "puestos_maximos",
                "maximo",
                nullable=True,
                min=0,
            ),
        ),
        kind="catálogo",
    )
)
_add(
    TableSpec(
        "complaint_kind",
        "Tipos de queja",
        ("id",),
        (
            _c("id", "str", "Clave del tipo", "clave", "tipo", max_len=20),
            _c("name", "str", "Nombre", "nombre", max_len=80),
            _c(
                "deadline_working_days",
                "int",
                "Tramo de control (días hábiles)",
                "plazo",
                "dias_habiles",
                "tramo_de_control",
                min=1,
                max=365,
            ),
        ),
        kind="catálogo",
    )
)
_add(
    TableSpec(
        "complaint_category",
        "Categorías de queja",
        ("id",),
        (
            _c("id", "int", "Clave de la categoría", "clave", "categoria", min=1),
            _c("name", "str", "Nombre", "nombre", max_len=80),
        ),
        kind="catálogo",
    )
)

# -------------------------------------------------------------------------------- facts
_add(
    TableSpec(
        "patron",
        "Patrones",
        ("registro_patronal",),
        (
            _c(
                "registro_patronal",
                "str",
                "Registro patronal (11 caracteres)",
                "registro",
                "reg_pat",
                "rp",
                exact_len=(11,),
            ),
            _c(
                "rfc",
                "str",
                "RFC (12 o 13 caracteres)",
                "rfc_patron",
                required=False,
                nullable=True,
                exact_len=(12, 13),
            ),
            SUBDEL,
            _c(
                "economic_division_id",
                "int",
                "División económica",
                "division_economica",
                "division",
                "sector_economico",
                fk="economic_division.id",
            ),
            _c(
                "size_band_id",
                "str",
                "Tamaño de patrón (S1…S7)",
                "tamano",
                "tamano_patron",
                "rango_puestos",
                fk="size_band.id",
            ),
            _c(
                "workers",
                "int",
                "Puestos de trabajo registrados",
                "puestos",
                "trabajadores",
                "num_trabajadores",
                min=0,
            ),
            _c(
                "risk_class",
                "int",
                "Clase de riesgo (1–5)",
                "clase_de_riesgo",
                "clase_riesgo",
                "clase",
                min=1,
                max=5,
            ),
            _c(
                "registered_on",
                "date",
                "Fecha de registro",
                "fecha_de_registro",
                "fecha_registro",
                "fecha_alta",
            ),
            _c(
                "persona",
                "str",
                "Tipo de persona",
                "tipo_de_persona",
                "tipo_persona",
                choices=("fisica", "moral"),
            ),
            _c(
                "use_competence",
                "bool",
                "Competencia de la UES (vacío = no)",
                "competencia_ues",
                "competencia",
                required=False,
                nullable=True,
            ),
        ),
        notes="El id interno lo asigna Mirador; los demás archivos citan el registro patronal.",
    )
)
_add(
    TableSpec(
        "interaction",
        "Contactos",
        ("id",),
        (
            _c(
                "id",
                "int",
                "Folio numérico del contacto en el sistema de origen",
                "folio",
                "id_contacto",
                "folio_contacto",
                min=1,
            ),
            replace(
                PATRON,
                required=False,
                nullable=True,
                label="Registro patronal (vacío = contacto anónimo o no identificado)",
            ),
            _c(
                "caller_kind",
                "str",
                "Quién contactó: patron, identificado (cliente fuera del padrón), anonimo "
                "(vacío = patron si hay registro patronal, si no desconocido)",
                "tipo_de_contacto",
                "tipo_contacto",
                "tipo_llamante",
                "quien_llama",
                required=False,
                nullable=True,
                choices=tuple(k.value for k in CallerKind),
            ),
            SUBDEL,
            CHANNEL,
            PROCEDURE,
            _c(
                "started_at",
                "datetime",
                "Fecha y hora de inicio",
                "fecha_hora",
                "fecha_y_hora",
                "inicio",
                "fecha_inicio",
                "fecha",
            ),
            _c(
                "outcome",
                "str",
                "Resultado: atendido, abandonado, transferido, devolucion_llamada, otro "
                "(vacío = atendido)",
                "resultado",
                "desenlace",
                "estatus_llamada",
                required=False,
                nullable=True,
                choices=tuple(k.value for k in Outcome),
            ),
            _c(
                "wait_seconds",
                "float",
                "Segundos en cola (vacío = no entró a la cola; 0 = atendido al instante)",
                "segundos_espera",
                "espera_segundos",
                "segundos_en_cola",
                "tiempo_en_cola",
                required=False,
                nullable=True,
                min=0,
            ),
            _c(
                "wait_minutes",
                "float",
                "Minutos de espera (si no hay segundos; 0 = sin cola)",
                "espera",
                "minutos_espera",
                "tiempo_espera",
                required=False,
                nullable=True,
                min=0,
            ),
            _c(
                "handle_seconds",
                "float",
                "Segundos de atención",
                "segundos_atencion",
                "atencion_segundos",
                "duracion_atencion",
                required=False,
                nullable=True,
                min=0,
            ),
            _c(
                "handle_minutes",
                "float",
                "Minutos de atención (si no hay segundos)",
                "atencion",
                "minutos_atencion",
                "tiempo_atencion",
                required=False,
                nullable=True,
                min=0,
            ),
            _c(
                "menu_seconds",
                "float",
                "Segundos en el menú telefónico (IVR)",
                "segundos_menu",
                "tiempo_menu",
                "ivr",
                required=False,
                nullable=True,
                min=0,
            ),
            _c(
                "agent",
                "str",
                "Agente o ventanilla que atendió",
                "agente",
                "asesor",
                "ventanilla",
                "operador",
                required=False,
                nullable=True,
                max_len=60,
            ),
            _c(
                "resolved_first_contact",
                "bool",
                "Resuelto al primer contacto (vacío = no se sabe)",
                "resuelto_primer_contacto",
                "resuelto_al_primer_contacto",
                "resuelto",
                "primer_contacto",
                required=False,
                nullable=True,
            ),
            _c(
                "cost",
                "float",
                "Costo (MXN; vacío = no se sabe)",
                "costo",
                min=0,
                required=False,
                nullable=True,
            ),
        ),
        derived=("day", "month", "iso_week"),
        notes=(
            "Tiempos en segundos o en minutos (si vienen ambos, mandan los segundos). Un "
            "contacto anónimo lleva el registro patronal vacío."
        ),
    )
)
_add(
    TableSpec(
        "survey_response",
        "Encuestas",
        ("id",),
        (
            _c("id", "int", "Folio de la encuesta", "folio", "id_encuesta", min=1),
            _c(
                "interaction_id",
                "int",
                "Folio del contacto evaluado",
                "folio_contacto",
                "id_contacto",
                "contacto",
                fk="interaction.id",
            ),
            SUBDEL,
            CHANNEL,
            PROCEDURE,
            _c("responded_on", "date", "Fecha de respuesta", "fecha_respuesta", "fecha"),
            _c(
                "month",
                "month",
                "Mes del contacto (vacío = mes de la respuesta)",
                "mes",
                required=False,
                nullable=True,
            ),
            _c("csat", "int", "Satisfacción (1–5)", "satisfaccion", **SCORE),
            _c("nps", "int", "Recomendación (0–10)", "recomendacion", min=0, max=10),
            _c("effort", "int", "Esfuerzo (1 muy fácil – 5 muy difícil)", "esfuerzo", **SCORE),
            _c("courtesy", "int", "Amabilidad (1–5)", "amabilidad", "cortesia", **SCORE),
            _c("clarity", "int", "Claridad (1–5)", "claridad", **SCORE),
            _c("timeliness", "int", "Oportunidad (1–5)", "oportunidad", "rapidez", **SCORE),
            _c("solution", "int", "Solución (1–5)", "solucion", **SCORE),
            _c(
                "comment",
                "str",
                "Comentario",
                "comentario",
                "comentarios",
                required=False,
                nullable=True,
            ),
        ),
    )
)
_add(
    TableSpec(
        "complaint",
        "Quejas y denuncias",
        ("folio",),
        (
            _c("folio", "str", "Folio", "numero_de_folio", "no_folio", max_len=20),
            _c(
                "kind_id",
                "str",
                "Tipo (queja, denuncia, prodecon, sugerencia)",
                "tipo",
                "tipo_queja",
                fk="complaint_kind.id",
            ),
            _c(
                "category_id",
                "int",
                "Categoría (vacío = sin clasificar)",
                "categoria",
                "id_categoria",
                required=False,
                nullable=True,
                fk="complaint_category.id",
            ),
            CHANNEL,
            SUBDEL,
            replace(
                PATRON,
                required=False,
                nullable=True,
                label="Registro patronal (vacío = no identificado)",
            ),
            _c(
                "received_on",
                "date",
                "Fecha de recepción",
                "fecha_recepcion",
                "recibida",
                "fecha_de_recepcion",
            ),
            _c(
                "due_on",
                "date",
                "Fecha límite del tramo de control",
                "fecha_limite",
                "vence",
                "fecha_vencimiento",
                future_ok=True,
            ),
            _c(
                "closed_on",
                "date",
                "Fecha de cierre (vacío = abierta, salvo estado cerrada: cerrada sin fecha)",
                "fecha_cierre",
                "cerrada",
                "fecha_de_cierre",
                required=False,
                nullable=True,
            ),
            _c(
                "status",
                "str",
                "Estado (vacío = según la fecha de cierre)",
                "estado",
                "estatus",
                required=False,
                nullable=True,
                choices=tuple(s.value for s in ComplaintStatus),
            ),
            _c(
                "description",
                "str",
                "Descripción (texto libre; puede faltar)",
                "descripcion",
                "texto",
                "narrativa",
                required=False,
                nullable=True,
            ),
        ),
        derived=("month", "iso_week", "days_to_close"),
    )
)
_add(
    TableSpec(
        "campaign",
        "Campañas",
        ("code",),
        (
            _c("code", "str", "Clave de la campaña", "clave", "codigo", max_len=20),
            _c("name", "str", "Nombre", "nombre", max_len=120),
            _c("kind", "str", "Tipo", "tipo", choices=tuple(k.value for k in CampaignKind)),
            CHANNEL,
            _c(
                "assignment",
                "str",
                "Asignación",
                "asignacion",
                choices=tuple(d.value for d in Design),
            ),
            _c("start_month", "month", "Mes de inicio", "mes_inicio", "inicio", future_ok=True),
            _c("end_month", "month", "Mes de fin", "mes_fin", "fin", future_ok=True),
            _c("cost", "float", "Costo total (MXN)", "costo", min=0),
            _c("description", "str", "Descripción", "descripcion", required=False, nullable=True),
        ),
        notes="El id interno lo asigna Mirador; las asignaciones citan la clave.",
    )
)
_add(
    TableSpec(
        "campaign_assignment",
        "Asignaciones a campañas",
        ("campaign_id", "patron_id"),
        (
            _c(
                "campaign_code",
                "str",
                "Clave de la campaña (debe existir)",
                "campana",
                "clave_campana",
                "codigo_campana",
                lookup=("campaign_id", "campaign", "code"),
                max_len=20,
            ),
            PATRON,
            _c("arm", "str", "Grupo", "grupo", "brazo", choices=("tratado", "control")),
        ),
    )
)
_add(
    TableSpec(
        "collection_monthly",
        "Recaudación mensual por patrón",
        ("patron_id", "month"),
        (
            PATRON,
            _c("month", "month", "Mes de cotización", "mes", "periodo"),
            SUBDEL,
            _c("issued", "float", "Emitido (MXN)", "emitido", "emision", min=0),
            _c(
                "paid_on_time",
                "float",
                "Pagado a tiempo (MXN)",
                "pagado_a_tiempo",
                "pago_oportuno",
                min=0,
            ),
            _c(
                "paid_late",
                "float",
                "Pagado tarde (MXN)",
                "pagado_tarde",
                "pago_extemporaneo",
                min=0,
            ),
            _c("overdue_balance", "float", "Saldo vencido (MXN)", "saldo_vencido", "adeudo"),
        ),
    )
)
_add(
    TableSpec(
        "orientation",
        "Orientaciones",
        ("id",),
        (
            _c("id", "int", "Folio de la orientación", "folio", min=1),
            PATRON,
            _c("oriented_on", "date", "Fecha", "fecha", "fecha_orientacion"),
            CHANNEL,
            _c(
                "model_run_id",
                "int",
                "Modelo que señaló al patrón (vacío = ninguno)",
                "modelo",
                required=False,
                nullable=True,
                fk="model_run.id",
            ),
            _c("outcome", "str", "Resultado", "resultado", max_len=30),
        ),
        derived=("month",),
    )
)

IMPORT_ORDER = list(SPECS)  # catalogs first, then facts in dependency order


@dataclass
class HeaderMatch:
    mapping: dict[str, str] = field(default_factory=dict)  # file header → contract column
    missing: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)


def match_headers(spec: TableSpec, headers: list[str]) -> HeaderMatch:
    known = spec.headers
    out = HeaderMatch()
    seen: dict[str, str] = {}
    for h in headers:
        name = known.get(normalise_header(h))
        if name is None:
            out.ignored.append(str(h))
        elif name in seen:
            out.duplicated.append(f"{seen[name]} / {h}")
        else:
            seen[name] = h
            out.mapping[h] = name
    out.missing = [c.name for c in spec.columns if c.required and c.name not in seen]
    return out


KIND_DOC = {
    "int": "integer",
    "float": "number (`.` or `,` decimals, thousands separators allowed)",
    "str": "text",
    "bool": "yes/no (`1`/`0`, `sí`/`no`, `true`/`false`, `verdadero`/`falso`)",
    "date": "date (`dd/mm/aaaa`, `aaaa-mm-dd`, `dd-mm-aaaa`)",
    "datetime": "date and time (`dd/mm/aaaa hh:mm[:ss]`, ISO 8601)",
    "month": "month (`mm/aaaa`, `aaaa-mm` or any date of the month)",
}


def contract_markdown() -> str:
    """The per-table file contract, as docs/data-contract.md shows it (kept in sync by a
    test: every column and alias here must appear there)."""
    out: list[str] = []
    for spec in SPECS.values():
        out.append(f"### Import: `{spec.name}` ({spec.label})\n")
        key = ", ".join(f"`{k}`" for k in spec.key)
        out.append(f"Natural key (upsert): {key}." + (f" {spec.notes}" if spec.notes else ""))
        if spec.derived:
            out.append(
                " Computed at load, not read from the file: "
                + ", ".join(f"`{d}`" for d in spec.derived)
                + "."
            )
        out.append("\n\n| File column | Also accepted | Type | Required | Checks | Meaning |\n")
        out.append("|---|---|---|---|---|---|\n")
        for c in spec.columns:
            checks = []
            if not c.nullable:
                checks.append("not empty")
            if c.min is not None and c.max is not None:
                checks.append(f"{c.min:g}–{c.max:g}")
            elif c.min is not None:
                checks.append(f"≥ {c.min:g}")
            if c.choices:
                checks.append("one of " + ", ".join(f"`{x}`" for x in c.choices))
            if c.max_len:
                checks.append(f"≤ {c.max_len} characters")
            if c.exact_len:
                checks.append(" or ".join(str(n) for n in c.exact_len) + " characters")
            if c.fk:
                checks.append(f"exists in `{c.fk}`")
            if c.lookup:
                checks.append(f"exists in `{c.lookup[1]}.{c.lookup[2]}` → `{c.lookup[0]}`")
            out.append(
                f"| `{c.name}` | {', '.join(f'`{a}`' for a in c.aliases) or '—'} | "
                f"{KIND_DOC[c.kind]} | {'yes' if c.required else 'no'} | "
                f"{'; '.join(checks) or '—'} | {c.label} |\n"
            )
        out.append("\n")
    return "".join(out)
