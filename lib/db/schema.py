"""The data contract: every table of Mirador's shared database as SQLAlchemy 2.0 models.

Catalogs carry the institute's real codes (OOAD and subdelegación codes from IMSS's open-data
dictionary). Facts carry stored date buckets (``month`` as the first day of the month,
``iso_week`` as YYYYWW) because SQLite and PostgreSQL truncate dates differently; stored buckets
keep every query portable and indexable. Rollups (``agg_*``) are rebuilt by
:func:`lib.db.rollups.refresh_rollups` and are what pages read.

Amounts are MXN in double precision: the dashboard aggregates, it does not keep books.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# BIGINT on PostgreSQL, INTEGER (the rowid alias, so autoincrement works) on SQLite.
BigId = BigInteger().with_variant(Integer, "sqlite")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)

    if TYPE_CHECKING:
        # Every class here maps one Table (none maps a join or a subquery), which the
        # rollups and queries use as such; SQLAlchemy types ``__table__`` as any FromClause.
        __table__: ClassVar[Table]


# --------------------------------------------------------------------------------- catalogs


class Ooad(Base):
    """Órgano de Operación Administrativa Desconcentrada; id is IMSS's delegación code."""

    __tablename__ = "ooad"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(10))  # estatal | regional


class Subdelegacion(Base):
    """id = ooad_id * 100 + code, because IMSS's code is unique only within its OOAD."""

    __tablename__ = "subdelegacion"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    ooad_id: Mapped[int] = mapped_column(ForeignKey("ooad.id"), index=True)
    code: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(80))
    __table_args__ = (UniqueConstraint("ooad_id", "code"),)


class Channel(Base):
    __tablename__ = "channel"
    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    # presencial | digital | telefónico | impreso | otro (lib.contact.ChannelKind)
    kind: Mapped[str] = mapped_column(String(20))
    is_digital: Mapped[bool] = mapped_column(Boolean)
    unit_cost: Mapped[float] = mapped_column(Float)  # MXN per contact, planning figure
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Procedure(Base):
    __tablename__ = "procedure"
    id: Mapped[str] = mapped_column(String(30), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    online_capable: Mapped[bool] = mapped_column(Boolean)


class EconomicDivision(Base):
    __tablename__ = "economic_division"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(100))


class SizeBand(Base):
    """Tamaño de registro patronal S1..S7 (IMSS asg codes)."""

    __tablename__ = "size_band"
    id: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    min_jobs: Mapped[int] = mapped_column(Integer)
    max_jobs: Mapped[int | None] = mapped_column(Integer)


class ComplaintKind(Base):
    """queja, denuncia, PRODECON, sugerencia, with the control-tier clock in working days."""

    __tablename__ = "complaint_kind"
    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    deadline_working_days: Mapped[int] = mapped_column(Integer)


class ComplaintCategory(Base):
    __tablename__ = "complaint_category"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(80))


# ------------------------------------------------------------------------------------ facts


class Patron(Base):
    __tablename__ = "patron"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    registro_patronal: Mapped[str] = mapped_column(String(11), unique=True)
    rfc: Mapped[str | None] = mapped_column(String(13))
    subdelegacion_id: Mapped[int] = mapped_column(ForeignKey("subdelegacion.id"), index=True)
    economic_division_id: Mapped[int] = mapped_column(ForeignKey("economic_division.id"))
    size_band_id: Mapped[str] = mapped_column(ForeignKey("size_band.id"))
    workers: Mapped[int] = mapped_column(Integer)
    risk_class: Mapped[int] = mapped_column(Integer)
    registered_on: Mapped[dt.date] = mapped_column(Date)
    persona: Mapped[str] = mapped_column(String(6))  # fisica | moral
    use_competence: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (
        CheckConstraint("risk_class BETWEEN 1 AND 5", name="risk_class"),
        CheckConstraint("workers >= 0", name="workers"),
    )


class Interaction(Base):
    """One contact with a channel for a procedure: of a known patron, or anonymous (a call
    centre's log is mostly anonymous callers). Queue, menu and handling times are kept in
    seconds as the source measured them; the minute columns are derived from them at load
    (0 when absent) for the rollups that were built on minutes."""

    __tablename__ = "interaction"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # NULL: the caller is not a known patron (anonymous, or identified outside the register)
    patron_id: Mapped[int | None] = mapped_column(ForeignKey("patron.id"))
    subdelegacion_id: Mapped[int] = mapped_column(ForeignKey("subdelegacion.id"))
    channel_id: Mapped[str] = mapped_column(ForeignKey("channel.id"))
    procedure_id: Mapped[str] = mapped_column(ForeignKey("procedure.id"))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    day: Mapped[dt.date] = mapped_column(Date)
    month: Mapped[dt.date] = mapped_column(Date)
    iso_week: Mapped[int] = mapped_column(Integer)
    wait_minutes: Mapped[float] = mapped_column(Float)
    handle_minutes: Mapped[float] = mapped_column(Float)
    # NULL: not known (a call log carries no first-contact resolution)
    resolved_first_contact: Mapped[bool | None] = mapped_column(Boolean)
    cost: Mapped[float | None] = mapped_column(Float)  # NULL: not known
    # lib.contact.Outcome; rows loaded before revision 0012 were all attended
    outcome: Mapped[str] = mapped_column(String(20), server_default=text("'atendido'"))
    caller_kind: Mapped[str | None] = mapped_column(String(12))  # lib.contact.CallerKind
    # seconds in the queue; NULL = never queued (e.g. hung up in the phone menu)
    wait_seconds: Mapped[float | None] = mapped_column(Float)
    handle_seconds: Mapped[float | None] = mapped_column(Float)  # NULL = not attended
    menu_seconds: Mapped[float | None] = mapped_column(Float)  # in the phone menu (IVR)
    agent: Mapped[str | None] = mapped_column(String(60))  # agent or window
    __table_args__ = (
        Index("ix_interaction_month_subdel", "month", "subdelegacion_id"),
        # a patron's contacts in date order: the last contact of each listed patron is the
        # index's last entry (revision 0014), not a visit to every contact row on the heap
        Index("ix_interaction_patron_day", "patron_id", "day"),
        CheckConstraint("wait_minutes >= 0 AND handle_minutes >= 0", name="times"),
        CheckConstraint(
            "(wait_seconds IS NULL OR wait_seconds >= 0) "
            "AND (handle_seconds IS NULL OR handle_seconds >= 0) "
            "AND (menu_seconds IS NULL OR menu_seconds >= 0)",
            name="seconds",
        ),
    )


class SurveyResponse(Base):
    """Post-contact evaluation. CSAT 1-5, NPS 0-10, effort 1 (muy fácil) - 5 (muy difícil)."""

    __tablename__ = "survey_response"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interaction.id"), index=True)
    subdelegacion_id: Mapped[int] = mapped_column(ForeignKey("subdelegacion.id"))
    channel_id: Mapped[str] = mapped_column(ForeignKey("channel.id"))
    procedure_id: Mapped[str] = mapped_column(ForeignKey("procedure.id"))
    responded_on: Mapped[dt.date] = mapped_column(Date)
    month: Mapped[dt.date] = mapped_column(Date, index=True)
    csat: Mapped[int] = mapped_column(Integer)
    nps: Mapped[int] = mapped_column(Integer)
    effort: Mapped[int] = mapped_column(Integer)
    courtesy: Mapped[int] = mapped_column(Integer)
    clarity: Mapped[int] = mapped_column(Integer)
    timeliness: Mapped[int] = mapped_column(Integer)
    solution: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        CheckConstraint("csat BETWEEN 1 AND 5", name="csat"),
        CheckConstraint("nps BETWEEN 0 AND 10", name="nps"),
        CheckConstraint("effort BETWEEN 1 AND 5", name="effort"),
    )


class Complaint(Base):
    __tablename__ = "complaint"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    folio: Mapped[str] = mapped_column(String(20), unique=True)
    kind_id: Mapped[str] = mapped_column(ForeignKey("complaint_kind.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_category.id"))
    channel_id: Mapped[str] = mapped_column(ForeignKey("channel.id"))
    subdelegacion_id: Mapped[int] = mapped_column(ForeignKey("subdelegacion.id"), index=True)
    patron_id: Mapped[int | None] = mapped_column(ForeignKey("patron.id"))
    received_on: Mapped[dt.date] = mapped_column(Date)
    month: Mapped[dt.date] = mapped_column(Date, index=True)
    iso_week: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[dt.date] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    days_to_close: Mapped[int | None] = mapped_column(Integer)  # calendar days, stored at load
    # abierta | cerrada; a cerrada may have no closed_on (closing date unknown: closed, with
    # unknown timeliness; docs/data-contract.md)
    status: Mapped[str] = mapped_column(String(12))
    description: Mapped[str | None] = mapped_column(Text)  # exports may carry no free text


class Campaign(Base):
    __tablename__ = "campaign"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # difusion | regularizacion
    channel_id: Mapped[str] = mapped_column(ForeignKey("channel.id"))
    assignment: Mapped[str] = mapped_column(
        String(12)
    )  # a Design: lib/analysis/campaign_designs.py
    start_month: Mapped[dt.date] = mapped_column(Date)
    end_month: Mapped[dt.date] = mapped_column(Date)
    cost: Mapped[float] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text)


class CampaignAssignment(Base):
    __tablename__ = "campaign_assignment"
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), primary_key=True)
    patron_id: Mapped[int] = mapped_column(ForeignKey("patron.id"), primary_key=True)
    arm: Mapped[str] = mapped_column(String(10))  # tratado | control
    __table_args__ = (CheckConstraint("arm IN ('tratado', 'control')", name="arm"),)


class CampaignResult(Base):
    """Each campaign's full analysis (effects, event study, money, heterogeneity), computed by
    ``python -m lib refresh`` in the rollups' transaction so the campaign page reads it instead
    of building a patron-month panel and fitting fixed-effects models on every cold view.
    ``result`` is :func:`lib.analysis.campaign_report.to_json`'s dict; ``error`` the Spanish
    message when the campaign cannot be estimated (then ``result`` is null)."""

    __tablename__ = "campaign_result"
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"), primary_key=True)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    seconds: Mapped[float] = mapped_column(Float)  # time to build the panel and analyse it
    result: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)


class CollectionMonthly(Base):
    """Per patron and month. paid_on_time = paid by the 17th of the following month."""

    __tablename__ = "collection_monthly"
    patron_id: Mapped[int] = mapped_column(ForeignKey("patron.id"), primary_key=True)
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    subdelegacion_id: Mapped[int] = mapped_column(ForeignKey("subdelegacion.id"))
    issued: Mapped[float] = mapped_column(Float)
    paid_on_time: Mapped[float] = mapped_column(Float)
    paid_late: Mapped[float] = mapped_column(Float)
    overdue_balance: Mapped[float] = mapped_column(Float)
    __table_args__ = (
        Index("ix_collection_monthly_month_subdel", "month", "subdelegacion_id"),
        CheckConstraint("issued >= 0 AND paid_on_time >= 0 AND paid_late >= 0", name="amounts"),
    )


class Orientation(Base):
    """Proactive orientation given to a patron: closes the flagging model's loop."""

    __tablename__ = "orientation"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    patron_id: Mapped[int] = mapped_column(ForeignKey("patron.id"), index=True)
    oriented_on: Mapped[dt.date] = mapped_column(Date)
    month: Mapped[dt.date] = mapped_column(Date)
    channel_id: Mapped[str] = mapped_column(ForeignKey("channel.id"))
    model_run_id: Mapped[int | None] = mapped_column(ForeignKey("model_run.id"))
    outcome: Mapped[str] = mapped_column(String(30))


class ModelRun(Base):
    __tablename__ = "model_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    model_kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON)
    train_from: Mapped[dt.date | None] = mapped_column(Date)
    train_to: Mapped[dt.date | None] = mapped_column(Date)
    cutoff: Mapped[dt.date | None] = mapped_column(Date)
    metrics: Mapped[dict] = mapped_column(JSON)
    code_version: Mapped[str] = mapped_column(String(40))
    artifact: Mapped[bytes | None] = mapped_column(LargeBinary)
    in_use: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str | None] = mapped_column(String(120))


class PatronFlag(Base):
    """One scored patron of a run. The office (and its OOAD) as of the scoring and the rank
    within that office are stored so the orientation list is an index range read (the top k
    of every office) instead of ranking every flag of the run per office on each view. Flags
    written before revision 0009 have them empty until the run is scored again."""

    __tablename__ = "patron_flag"
    model_run_id: Mapped[int] = mapped_column(ForeignKey("model_run.id"), primary_key=True)
    patron_id: Mapped[int] = mapped_column(ForeignKey("patron.id"), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list] = mapped_column(JSON)
    subdelegacion_id: Mapped[int | None] = mapped_column(Integer)
    ooad_id: Mapped[int | None] = mapped_column(Integer)
    office_rank: Mapped[int | None] = mapped_column(Integer)
    __table_args__ = (
        Index("ix_patron_flag_office_rank", "model_run_id", "subdelegacion_id", "office_rank"),
    )


class WorkProgram(Base):
    __tablename__ = "work_program"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))  # borrador | en_revision | aprobado
    version: Mapped[int] = mapped_column(Integer, default=1)
    author: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    notes: Mapped[str | None] = mapped_column(Text)


class WorkProgramTarget(Base):
    __tablename__ = "work_program_target"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_program_id: Mapped[int] = mapped_column(ForeignKey("work_program.id"), index=True)
    indicator: Mapped[str] = mapped_column(String(120))
    # the program indicator's key (lib.planning.targets); NULL: a label that names none
    indicator_key: Mapped[str | None] = mapped_column(String(60))
    unit: Mapped[str] = mapped_column(String(20))
    baseline: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    owner_unit: Mapped[str | None] = mapped_column(String(120))
    q1: Mapped[float | None] = mapped_column(Float)
    q2: Mapped[float | None] = mapped_column(Float)
    q3: Mapped[float | None] = mapped_column(Float)
    q4: Mapped[float | None] = mapped_column(Float)
    notes: Mapped[str | None] = mapped_column(Text)


class WorkProgramRevision(Base):
    """Every saved version of a draft, as saved: the history a reviewer reads and the base a
    concurrent save is compared against (the draft row holds only the latest version)."""

    __tablename__ = "work_program_revision"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_program_id: Mapped[int] = mapped_column(ForeignKey("work_program.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    saved_at: Mapped[dt.datetime] = mapped_column(DateTime)
    author: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20))
    snapshot: Mapped[dict] = mapped_column(JSON)
    __table_args__ = (UniqueConstraint("work_program_id", "version", name="work_program_version"),)


# ------------------------------------------------------------------ access, loads and audit


class AppUser(Base):
    """A person who may sign in, with the role and office scope every query is cut to.

    ``password_hash`` is only for local sign-in (never plain text); OIDC users have none.
    A scope of neither OOAD nor subdelegación means the whole institute.
    """

    __tablename__ = "app_user"
    username: Mapped[str] = mapped_column(String(120), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # titular | analista | planeador | oficina | administrador
    role: Mapped[str] = mapped_column(String(20))
    ooad_id: Mapped[int | None] = mapped_column(ForeignKey("ooad.id"))
    subdelegacion_id: Mapped[int | None] = mapped_column(ForeignKey("subdelegacion.id"))
    can_see_identifiers: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class AppSession(Base):
    """A local sign-in remembered by the browser, so a reload does not ask for the password
    again: the browser holds a random token, the database only its SHA-256 (a copy of this
    table signs nobody in). A session ends at ``expires_at``, at sign-out (``revoked_at``) or
    when the account is deactivated. Shared by every app process, like everything else."""

    __tablename__ = "app_session"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("app_user.username"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AuditEvent(Base):
    """Who did what with the data: sign-ins, exports, imports, model runs, forged scopes.

    ``details`` never holds patron identifiers: counts, filters and file names only.
    """

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    username: Mapped[str] = mapped_column(String(120))
    role: Mapped[str | None] = mapped_column(String(20))
    # sign_in | sign_in_failed | sign_out | export | import | train | score | draft_save |
    # user_change | forged_scope
    action: Mapped[str] = mapped_column(String(30), index=True)
    target: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict] = mapped_column(JSON)


class ImportLoad(Base):
    """One import of a file into a contract table, accepted or rejected, for traceability and
    for the dictionary's "latest load" per table."""

    __tablename__ = "import_load"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    username: Mapped[str] = mapped_column(String(120))
    table_name: Mapped[str] = mapped_column(String(60), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_inserted: Mapped[int] = mapped_column(Integer, default=0)
    rows_updated: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    # en curso | cargado | rechazado | prueba | interrumpida (lib/ingest/attempts.py)
    status: Mapped[str] = mapped_column(String(12))
    details: Mapped[dict] = mapped_column(JSON)


# ---------------------------------------------------------------------- metadata and truth


class DatasetInfo(Base):
    """Key-value facts about what the database holds (demo or real, scale, refresh time)."""

    __tablename__ = "dataset_info"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class GroundTruth(Base):
    """Planted effects of the demo institute, written by the generator (empty for real data)."""

    __tablename__ = "ground_truth"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON)


# --------------------------------------------------------------------------------- rollups


class AggInteractionMonth(Base):
    __tablename__ = "agg_interaction_month"
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    subdelegacion_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    procedure_id: Mapped[str] = mapped_column(String(30), primary_key=True)
    size_band_id: Mapped[str] = mapped_column(String(2), primary_key=True)
    ooad_id: Mapped[int] = mapped_column(Integer)
    contacts: Mapped[int] = mapped_column(BigInteger)
    resolved_first: Mapped[int] = mapped_column(BigInteger)
    # contacts whose resolved_first_contact is known (not NULL): the denominator of every
    # first-contact resolution (0012; a call log does not record resolution)
    resolution_known: Mapped[int] = mapped_column(BigInteger)
    wait_minutes_sum: Mapped[float] = mapped_column(Float)
    handle_minutes_sum: Mapped[float] = mapped_column(Float)
    cost_sum: Mapped[float] = mapped_column(Float)
    # contacts whose cost is known (not NULL): the denominator of cost per contact (0012)
    cost_known: Mapped[int] = mapped_column(BigInteger)
    # contacts of an identified patron (patron_id not NULL), the only ones that can be
    # followed: the denominator of the 30-day recontact rate (0012)
    followable: Mapped[int] = mapped_column(BigInteger)
    # contacts followed by another contact of the same patron for the same procedure within
    # 30 days (the last 30 days of data are censored: a repeat may still come)
    repeat_30d: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    __table_args__ = (Index("ix_agg_interaction_month_ooad", "ooad_id", "month"),)


class AggInteractionDay(Base):
    __tablename__ = "agg_interaction_day"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    subdelegacion_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    ooad_id: Mapped[int] = mapped_column(Integer)
    month: Mapped[dt.date] = mapped_column(Date)
    contacts: Mapped[int] = mapped_column(BigInteger)
    resolved_first: Mapped[int] = mapped_column(BigInteger)
    # contacts whose resolved_first_contact is known (not NULL): the denominator of every
    # first-contact resolution (0012; a call log does not record resolution)
    resolution_known: Mapped[int] = mapped_column(BigInteger)


class AggSurveyMonth(Base):
    __tablename__ = "agg_survey_month"
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    subdelegacion_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    procedure_id: Mapped[str] = mapped_column(String(30), primary_key=True)
    size_band_id: Mapped[str] = mapped_column(String(2), primary_key=True)
    ooad_id: Mapped[int] = mapped_column(Integer)
    responses: Mapped[int] = mapped_column(BigInteger)
    csat_sum: Mapped[float] = mapped_column(Float)
    csat_satisfied: Mapped[int] = mapped_column(BigInteger)  # CSAT 4 or 5
    nps_promoters: Mapped[int] = mapped_column(BigInteger)  # 9-10
    nps_detractors: Mapped[int] = mapped_column(BigInteger)  # 0-6
    effort_sum: Mapped[float] = mapped_column(Float)
    courtesy_sum: Mapped[float] = mapped_column(Float)
    clarity_sum: Mapped[float] = mapped_column(Float)
    timeliness_sum: Mapped[float] = mapped_column(Float)
    solution_sum: Mapped[float] = mapped_column(Float)
    csat_sq_sum: Mapped[float] = mapped_column(Float, default=0, server_default="0")
    effort_sq_sum: Mapped[float] = mapped_column(Float, default=0, server_default="0")
    __table_args__ = (Index("ix_agg_survey_month_ooad", "ooad_id", "month"),)


class AggComplaintMonth(Base):
    """size_band_id '--' = complaint with no identified patron."""

    __tablename__ = "agg_complaint_month"
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    subdelegacion_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    kind_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0 = sin categoría
    size_band_id: Mapped[str] = mapped_column(String(2), primary_key=True)
    ooad_id: Mapped[int] = mapped_column(Integer)
    received: Mapped[int] = mapped_column(BigInteger)
    closed: Mapped[int] = mapped_column(BigInteger)
    closed_on_time: Mapped[int] = mapped_column(BigInteger)
    pending_not_due: Mapped[int] = mapped_column(BigInteger)  # open, deadline after data_as_of
    # closed (estado cerrada) without a closing date: timeliness unknown
    closed_no_date: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    days_to_close_sum: Mapped[float] = mapped_column(Float)


class AggCollectionMonth(Base):
    __tablename__ = "agg_collection_month"
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    subdelegacion_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size_band_id: Mapped[str] = mapped_column(String(2), primary_key=True)
    economic_division_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ooad_id: Mapped[int] = mapped_column(Integer)
    patrons: Mapped[int] = mapped_column(BigInteger)
    patrons_on_time: Mapped[int] = mapped_column(BigInteger)  # paid all issued by the 17th
    issued: Mapped[float] = mapped_column(Float)
    paid_on_time: Mapped[float] = mapped_column(Float)
    paid_late: Mapped[float] = mapped_column(Float)
    overdue_balance: Mapped[float] = mapped_column(Float)
    __table_args__ = (Index("ix_agg_collection_month_ooad", "ooad_id", "month"),)


class AggChannelSegmentMonth(Base):
    """Contacts and distinct patrons per channel and patron segment. A patron belongs to one
    subdelegación, size band and division, so distinct patrons add up across those; across
    months they do not, so pages report monthly averages."""

    __tablename__ = "agg_channel_segment_month"
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    subdelegacion_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    size_band_id: Mapped[str] = mapped_column(String(2), primary_key=True)
    economic_division_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ooad_id: Mapped[int] = mapped_column(Integer)
    contacts: Mapped[int] = mapped_column(BigInteger)
    patrons: Mapped[int] = mapped_column(BigInteger)
    __table_args__ = (Index("ix_agg_channel_segment_month_ooad", "ooad_id", "month"),)


class AggInteractionTimeMonth(Base):
    """Histogram of waiting and handling minutes (bins in lib.db.rollups.TIME_BIN_EDGES), so
    medians, percentiles and rank tests come from the rollup instead of raw contacts. Recorded
    times only (0012): a contact without wait_seconds (never queued) or handle_seconds (not
    attended) is in no bin of that measure."""

    __tablename__ = "agg_interaction_time_month"
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    subdelegacion_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    size_band_id: Mapped[str] = mapped_column(String(2), primary_key=True)
    measure: Mapped[str] = mapped_column(String(6), primary_key=True)  # wait | handle
    bin: Mapped[int] = mapped_column(Integer, primary_key=True)
    ooad_id: Mapped[int] = mapped_column(Integer)
    contacts: Mapped[int] = mapped_column(BigInteger)
    __table_args__ = (Index("ix_agg_interaction_time_month_ooad", "ooad_id", "month"),)


class AggQueueWaitMonth(Base):
    """Queued contacts by their wait in seconds (exact below lib.contact.EXACT_WAIT_S, then
    minute bins): abandonment, service level at any threshold, the average speed of answer and
    exact median/P90 waits are sums over it. No size band: most queued calls are anonymous,
    and a second-level grain per band would multiply the rows by seven at national scale."""

    __tablename__ = "agg_queue_wait_month"
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    subdelegacion_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    wait_s: Mapped[int] = mapped_column(Integer, primary_key=True)
    ooad_id: Mapped[int] = mapped_column(Integer)
    queued: Mapped[int] = mapped_column(BigInteger)
    answered: Mapped[int] = mapped_column(BigInteger)
    abandoned: Mapped[int] = mapped_column(BigInteger)
    wait_seconds_sum: Mapped[float] = mapped_column(Float)  # exact, before binning
    answered_wait_sum: Mapped[float] = mapped_column(Float)  # exact, answered only
    __table_args__ = (Index("ix_agg_queue_wait_month_ooad", "ooad_id", "month"),)


class AggQueueWaitNationalMonth(Base):
    """agg_queue_wait_month summed over offices: the national view reads this one."""

    __tablename__ = "agg_queue_wait_national_month"
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    wait_s: Mapped[int] = mapped_column(Integer, primary_key=True)
    queued: Mapped[int] = mapped_column(BigInteger)
    answered: Mapped[int] = mapped_column(BigInteger)
    abandoned: Mapped[int] = mapped_column(BigInteger)
    wait_seconds_sum: Mapped[float] = mapped_column(Float)
    answered_wait_sum: Mapped[float] = mapped_column(Float)


class AggSurveyDay(Base):
    """Daily survey sums per office and channel: before/after comparisons around any date."""

    __tablename__ = "agg_survey_day"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    subdelegacion_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    size_band_id: Mapped[str] = mapped_column(String(2), primary_key=True)
    ooad_id: Mapped[int] = mapped_column(Integer)
    month: Mapped[dt.date] = mapped_column(Date)
    responses: Mapped[int] = mapped_column(BigInteger)
    csat_sum: Mapped[float] = mapped_column(Float)
    csat_sq_sum: Mapped[float] = mapped_column(Float)
    csat_satisfied: Mapped[int] = mapped_column(BigInteger)
    nps_promoters: Mapped[int] = mapped_column(BigInteger)
    nps_detractors: Mapped[int] = mapped_column(BigInteger)
    __table_args__ = (Index("ix_agg_survey_day_ooad", "ooad_id", "day"),)


ROLLUP_TABLES = [
    AggInteractionMonth.__table__,
    AggInteractionDay.__table__,
    AggSurveyMonth.__table__,
    AggComplaintMonth.__table__,
    AggCollectionMonth.__table__,
    AggChannelSegmentMonth.__table__,
    AggInteractionTimeMonth.__table__,
    AggSurveyDay.__table__,
    AggQueueWaitMonth.__table__,
]
FACT_TABLES = [
    Patron.__table__,
    Interaction.__table__,
    SurveyResponse.__table__,
    Complaint.__table__,
    Campaign.__table__,
    CampaignAssignment.__table__,
    CollectionMonthly.__table__,
    Orientation.__table__,
]


# Coarse rollups (issue 10): the same sums without the procedure (or economic division)
# dimension, built from the fine rollups at refresh. At national scale the fine tables hold
# one to two million rows; these hold about an eighth, and every query that does not group or
# filter by procedure (the overview, the channel comparison, scores, complaint rates) reads
# them instead.


class AggInteractionUnitMonth(Base):
    __tablename__ = "agg_interaction_unit_month"
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    subdelegacion_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    size_band_id: Mapped[str] = mapped_column(String(2), primary_key=True)
    ooad_id: Mapped[int] = mapped_column(Integer)
    contacts: Mapped[int] = mapped_column(BigInteger)
    resolved_first: Mapped[int] = mapped_column(BigInteger)
    # contacts whose resolved_first_contact is known (not NULL): the denominator of every
    # first-contact resolution (0012; a call log does not record resolution)
    resolution_known: Mapped[int] = mapped_column(BigInteger)
    wait_minutes_sum: Mapped[float] = mapped_column(Float)
    handle_minutes_sum: Mapped[float] = mapped_column(Float)
    cost_sum: Mapped[float] = mapped_column(Float)
    # contacts whose cost is known (not NULL): the denominator of cost per contact (0012)
    cost_known: Mapped[int] = mapped_column(BigInteger)
    # contacts of an identified patron (patron_id not NULL), the only ones that can be
    # followed: the denominator of the 30-day recontact rate (0012)
    followable: Mapped[int] = mapped_column(BigInteger)
    repeat_30d: Mapped[int] = mapped_column(BigInteger)
    __table_args__ = (Index("ix_agg_interaction_unit_month_ooad", "ooad_id", "month"),)


class AggSurveyUnitMonth(Base):
    __tablename__ = "agg_survey_unit_month"
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    subdelegacion_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    size_band_id: Mapped[str] = mapped_column(String(2), primary_key=True)
    ooad_id: Mapped[int] = mapped_column(Integer)
    responses: Mapped[int] = mapped_column(BigInteger)
    csat_sum: Mapped[float] = mapped_column(Float)
    csat_satisfied: Mapped[int] = mapped_column(BigInteger)
    nps_promoters: Mapped[int] = mapped_column(BigInteger)
    nps_detractors: Mapped[int] = mapped_column(BigInteger)
    effort_sum: Mapped[float] = mapped_column(Float)
    courtesy_sum: Mapped[float] = mapped_column(Float)
    clarity_sum: Mapped[float] = mapped_column(Float)
    timeliness_sum: Mapped[float] = mapped_column(Float)
    solution_sum: Mapped[float] = mapped_column(Float)
    csat_sq_sum: Mapped[float] = mapped_column(Float)
    effort_sq_sum: Mapped[float] = mapped_column(Float)
    __table_args__ = (Index("ix_agg_survey_unit_month_ooad", "ooad_id", "month"),)


class AggCollectionUnitMonth(Base):
    __tablename__ = "agg_collection_unit_month"
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    subdelegacion_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size_band_id: Mapped[str] = mapped_column(String(2), primary_key=True)
    ooad_id: Mapped[int] = mapped_column(Integer)
    patrons: Mapped[int] = mapped_column(BigInteger)
    patrons_on_time: Mapped[int] = mapped_column(BigInteger)
    issued: Mapped[float] = mapped_column(Float)
    paid_on_time: Mapped[float] = mapped_column(Float)
    paid_late: Mapped[float] = mapped_column(Float)
    overdue_balance: Mapped[float] = mapped_column(Float)
    __table_args__ = (Index("ix_agg_collection_unit_month_ooad", "ooad_id", "month"),)


class AggInteractionTimeNationalMonth(Base):
    """The wait/handle histograms summed over offices: the channel page's national view reads
    a few thousand rows here instead of millions in agg_interaction_time_month."""

    __tablename__ = "agg_interaction_time_national_month"
    month: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    size_band_id: Mapped[str] = mapped_column(String(2), primary_key=True)
    measure: Mapped[str] = mapped_column(String(6), primary_key=True)
    bin: Mapped[int] = mapped_column(Integer, primary_key=True)
    contacts: Mapped[int] = mapped_column(BigInteger)
