"""Rebuild the aggregate tables that pages read, entirely inside the database.

Each rollup is one ``INSERT ... SELECT ... GROUP BY`` written in SQLAlchemy Core, so it runs
unchanged on SQLite and PostgreSQL and never brings fact rows into Python. ``refresh`` runs in
one transaction: readers see either the old rollups or the new ones, never a half-built table.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import cache

from sqlalchemy import (
    ClauseElement,
    ColumnElement,
    Connection,
    Integer,
    MetaData,
    Select,
    Table,
    Text,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import Over

from lib.complaint_vocabulary import ComplaintStatus
from lib.contact import ANSWERED, EXACT_WAIT_S, WAIT_CAP_S, WAIT_COARSE_S, Outcome
from lib.db.bulk import estimated_rows
from lib.db.generation import bump_generation
from lib.db.schema import (
    AggChannelSegmentMonth,
    AggCollectionMonth,
    AggCollectionUnitMonth,
    AggComplaintMonth,
    AggInteractionDay,
    AggInteractionMonth,
    AggInteractionTimeMonth,
    AggInteractionTimeNationalMonth,
    AggInteractionUnitMonth,
    AggQueueWaitMonth,
    AggQueueWaitNationalMonth,
    AggSurveyDay,
    AggSurveyMonth,
    AggSurveyUnitMonth,
    CampaignAssignment,
    CollectionMonthly,
    Complaint,
    DatasetInfo,
    Interaction,
    Orientation,
    Patron,
    Subdelegacion,
    SurveyResponse,
)
from lib.db.sqlfunc import date_plus_days
from lib.filters import add_months

IT = Interaction.__table__
P = Patron.__table__
S = Subdelegacion.__table__
SR = SurveyResponse.__table__
C = Complaint.__table__
CM = CollectionMonthly.__table__


# fact tables whose row counts the refresh records in dataset_info (rows.<table>)
COUNTED = [
    P,
    IT,
    SR,
    C,
    CampaignAssignment.__table__,
    CM,
    Orientation.__table__,
]


def _count_true(cond) -> ColumnElement[int]:
    return func.sum(case((cond, 1), else_=0))


# Minutes of recorded times only (an online contact records no wait and is in no bin). Bin 0
# is exactly zero (a queued contact answered at once); bin i > 0 holds
# edges[i] <= x < edges[i+1]. Fine where medians live, coarse in the tail.
TIME_BIN_EDGES = (
    0,
    0,
    1,
    2,
    3,
    5,
    7,
    10,
    12,
    15,
    20,
    25,
    30,
    40,
    50,
    60,
    75,
    90,
    120,
    150,
    180,
    240,
    100_000,
)


def _time_bin(col):
    edges = TIME_BIN_EDGES
    steps = [(col <= 0, 0)] + [(col < edges[i + 1], i) for i in range(1, len(edges) - 2)]
    return case(*steps, else_=len(edges) - 2)


# An anonymous contact (no patron) has no size band or division: it is kept in every
# rollup under these placeholders, so contacts add up whoever made them.
NO_BAND = "--"
NO_DIVISION = -1


def _band():
    # inline literal: the same text in SELECT and GROUP BY (PostgreSQL compares the two)
    return func.coalesce(P.c.size_band_id, literal_column(f"'{NO_BAND}'"))


def _handled():
    """Contacts the contact rollups count: every one except those abandoned in the queue,
    which never reached anyone and live in the queue rollup only (agg_queue_wait_month), so
    volumes, resolution, handling time and cost stay those of handled contacts."""
    return IT.c.outcome != Outcome.ABANDONADO.value


def _since(col, lo: dt.date | None) -> list:
    """The condition a partial refresh adds (rows from ``lo`` on), or none for a full one."""
    return [] if lo is None else [col >= lo]


def _interaction_month(lo: dt.date | None = None):
    # A contact is "repeated" when the same patron comes back for the same procedure within
    # 30 days, through any channel. Anonymous contacts cannot be followed: never repeated.
    next_day = func.lead(IT.c.day).over(
        partition_by=[IT.c.patron_id, IT.c.procedure_id], order_by=[IT.c.started_at, IT.c.id]
    )
    contacts = select(
        IT.c.patron_id,
        IT.c.month,
        IT.c.subdelegacion_id,
        IT.c.channel_id,
        IT.c.procedure_id,
        IT.c.resolved_first_contact,
        IT.c.wait_minutes,
        IT.c.handle_minutes,
        IT.c.cost,
        case(
            (IT.c.patron_id.is_not(None) & (next_day <= date_plus_days(IT.c.day, 30)), 1),
            else_=0,
        ).label("repeat"),
    )
    # the window looks forward only: contacts from ``lo`` on see every later contact
    src = contacts.where(_handled(), *_since(IT.c.month, lo)).subquery("contacts")
    cols = [
        src.c.month,
        src.c.subdelegacion_id,
        src.c.channel_id,
        src.c.procedure_id,
    ]
    return (
        select(
            *cols,
            _band().label("size_band_id"),
            S.c.ooad_id,
            func.count().label("contacts"),
            _count_true(src.c.resolved_first_contact).label("resolved_first"),
            _count_true(src.c.resolved_first_contact.is_not(None)).label("resolution_known"),
            func.sum(src.c.wait_minutes).label("wait_minutes_sum"),
            func.sum(src.c.handle_minutes).label("handle_minutes_sum"),
            func.coalesce(func.sum(src.c.cost), 0).label("cost_sum"),
            # the denominators of cost per contact and of the recontact rate (0012): a NULL
            # cost adds nothing to cost_sum, an anonymous contact can never be repeated
            func.count(src.c.cost).label("cost_known"),
            _count_true(src.c.patron_id.is_not(None)).label("followable"),
            func.sum(src.c.repeat).label("repeat_30d"),
        )
        .select_from(
            src.outerjoin(P, P.c.id == src.c.patron_id).join(S, S.c.id == src.c.subdelegacion_id)
        )
        .group_by(*cols, _band(), S.c.ooad_id)
    )


def _interaction_day(lo: dt.date | None = None):
    cols = [IT.c.day, IT.c.subdelegacion_id, IT.c.channel_id]
    return (
        select(
            *cols,
            S.c.ooad_id,
            func.min(IT.c.month).label("month"),
            func.count().label("contacts"),
            _count_true(IT.c.resolved_first_contact).label("resolved_first"),
            _count_true(IT.c.resolved_first_contact.is_not(None)).label("resolution_known"),
        )
        .select_from(IT.join(S, S.c.id == IT.c.subdelegacion_id))
        # lo is a month's first day: the days from it are its month's on (month is indexed)
        .where(_handled(), *_since(IT.c.month, lo))
        .group_by(*cols, S.c.ooad_id)
    )


def _survey_month(lo: dt.date | None = None):
    cols = [SR.c.month, SR.c.subdelegacion_id, SR.c.channel_id, SR.c.procedure_id]
    return (
        select(
            *cols,
            _band().label("size_band_id"),
            S.c.ooad_id,
            func.count().label("responses"),
            func.sum(SR.c.csat).label("csat_sum"),
            _count_true(SR.c.csat >= 4).label("csat_satisfied"),
            _count_true(SR.c.nps >= 9).label("nps_promoters"),
            _count_true(SR.c.nps <= 6).label("nps_detractors"),
            func.sum(SR.c.effort).label("effort_sum"),
            func.sum(SR.c.courtesy).label("courtesy_sum"),
            func.sum(SR.c.clarity).label("clarity_sum"),
            func.sum(SR.c.timeliness).label("timeliness_sum"),
            func.sum(SR.c.solution).label("solution_sum"),
            func.sum(SR.c.csat * SR.c.csat).label("csat_sq_sum"),
            func.sum(SR.c.effort * SR.c.effort).label("effort_sq_sum"),
        )
        .select_from(
            SR.join(IT, IT.c.id == SR.c.interaction_id)
            .outerjoin(P, P.c.id == IT.c.patron_id)
            .join(S, S.c.id == SR.c.subdelegacion_id)
        )
        .where(*_since(SR.c.month, lo))
        .group_by(*cols, _band(), S.c.ooad_id)
    )


def complaint_closed(c=None):
    """A complaint is closed when it has a closing date or its status says cerrada (an export
    may close a case without its date: closed, with unknown timeliness, never open)."""
    c = C.c if c is None else c
    return or_(c.closed_on.is_not(None), c.status == ComplaintStatus.CERRADA.value)


def _complaint_month(as_of: dt.date):
    size_band = func.coalesce(P.c.size_band_id, literal("--"))
    category = func.coalesce(C.c.category_id, literal(0))
    cols = [C.c.month, C.c.subdelegacion_id, C.c.channel_id, C.c.kind_id]
    return (
        select(
            *cols,
            category.label("category_id"),
            size_band.label("size_band_id"),
            S.c.ooad_id,
            func.count().label("received"),
            _count_true(complaint_closed()).label("closed"),
            _count_true(C.c.closed_on <= C.c.due_on).label("closed_on_time"),
            _count_true(~complaint_closed() & (C.c.due_on > as_of)).label("pending_not_due"),
            _count_true(complaint_closed() & C.c.closed_on.is_(None)).label("closed_no_date"),
            func.coalesce(func.sum(C.c.days_to_close), 0).label("days_to_close_sum"),
        )
        .select_from(
            C.outerjoin(P, P.c.id == C.c.patron_id).join(S, S.c.id == C.c.subdelegacion_id)
        )
        .group_by(*cols, category, size_band, S.c.ooad_id)
    )


def _collection_month(lo: dt.date | None = None):
    cols = [CM.c.month, CM.c.subdelegacion_id, P.c.size_band_id, P.c.economic_division_id]
    return (
        select(
            *cols,
            S.c.ooad_id,
            func.count().label("patrons"),
            _count_true(CM.c.paid_on_time >= CM.c.issued - 0.005).label("patrons_on_time"),
            func.sum(CM.c.issued).label("issued"),
            func.sum(CM.c.paid_on_time).label("paid_on_time"),
            func.sum(CM.c.paid_late).label("paid_late"),
            func.sum(CM.c.overdue_balance).label("overdue_balance"),
        )
        .select_from(CM.join(P, P.c.id == CM.c.patron_id).join(S, S.c.id == CM.c.subdelegacion_id))
        .where(*_since(CM.c.month, lo))
        .group_by(*cols, S.c.ooad_id)
    )


def _channel_segment_month(lo: dt.date | None = None):
    cols = [IT.c.month, IT.c.subdelegacion_id, IT.c.channel_id]
    division = func.coalesce(P.c.economic_division_id, literal_column(str(NO_DIVISION)))
    return (
        select(
            *cols,
            _band().label("size_band_id"),
            division.label("economic_division_id"),
            S.c.ooad_id,
            func.count().label("contacts"),
            func.count(IT.c.patron_id.distinct()).label("patrons"),
        )
        .select_from(
            IT.outerjoin(P, P.c.id == IT.c.patron_id).join(S, S.c.id == IT.c.subdelegacion_id)
        )
        .where(_handled(), *_since(IT.c.month, lo))
        .group_by(*cols, _band(), division, S.c.ooad_id)
    )


def _time_histograms(lo: dt.date | None = None):
    # Both measures in one pass over the contacts: each contact is read and joined once and
    # counted twice, once per measure (a two-row cross join), instead of two full scans.
    measures = union_all(
        select(literal("wait").label("measure")), select(literal("handle").label("measure"))
    ).subquery("measures")
    # Only recorded times (0012): a contact without wait seconds never queued (online, or
    # a zero wait before 0012) and one without handling seconds was not attended; their
    # minutes are 0.0 in the table, which would read as instant waits. NULL here: not counted.
    minutes = case(
        ((measures.c.measure == "wait") & IT.c.wait_seconds.is_not(None), IT.c.wait_minutes),
        ((measures.c.measure == "handle") & IT.c.handle_seconds.is_not(None), IT.c.handle_minutes),
    )
    b = _time_bin(minutes)
    cols = [IT.c.month, IT.c.subdelegacion_id, IT.c.channel_id]
    return (
        select(
            *cols,
            _band().label("size_band_id"),
            measures.c.measure,
            b.label("bin"),
            S.c.ooad_id,
            func.count().label("contacts"),
        )
        .select_from(
            IT.outerjoin(P, P.c.id == IT.c.patron_id)
            .join(S, S.c.id == IT.c.subdelegacion_id)
            .join(measures, true())
        )
        .where(_handled(), minutes.is_not(None), *_since(IT.c.month, lo))
        .group_by(*cols, _band(), measures.c.measure, b, S.c.ooad_id)
    )


def wait_bin(seconds):
    """SQL twin of lib.contact.wait_bin_seconds: exact seconds, then minute bins, then a cap.

    Whole seconds as floor(s + 0.5), halves up, on every backend: round() rounds halves away
    from zero on SQLite and to even in Python (and PostgreSQL's float round()), so 20.5 s
    would land in a different bin depending on where it was counted."""
    s = func.floor(seconds + 0.5)
    return case(
        (s < EXACT_WAIT_S, s),
        (s >= WAIT_CAP_S, WAIT_CAP_S),
        else_=func.floor(s / WAIT_COARSE_S) * WAIT_COARSE_S,
    ).cast(Integer)


def _queue_waits(lo: dt.date | None = None):
    """Queued contacts (a wait recorded, zero included) by wait second; see lib/contact.py."""
    b = wait_bin(IT.c.wait_seconds)
    answered = IT.c.outcome.in_(ANSWERED)
    cols = [IT.c.month, IT.c.subdelegacion_id, IT.c.channel_id]
    return (
        select(
            *cols,
            b.label("wait_s"),
            S.c.ooad_id,
            func.count().label("queued"),
            _count_true(answered).label("answered"),
            _count_true(IT.c.outcome == Outcome.ABANDONADO.value).label("abandoned"),
            func.sum(IT.c.wait_seconds).label("wait_seconds_sum"),
            func.coalesce(func.sum(case((answered, IT.c.wait_seconds), else_=0.0)), 0.0).label(
                "answered_wait_sum"
            ),
        )
        .select_from(IT.join(S, S.c.id == IT.c.subdelegacion_id))
        .where(IT.c.wait_seconds.is_not(None), *_since(IT.c.month, lo))
        .group_by(*cols, b, S.c.ooad_id)
    )


def _survey_day(lo: dt.date | None = None):
    cols = [SR.c.subdelegacion_id, SR.c.channel_id]
    return (
        select(
            SR.c.responded_on.label("day"),
            *cols,
            _band().label("size_band_id"),
            S.c.ooad_id,
            func.min(SR.c.month).label("month"),
            func.count().label("responses"),
            func.sum(SR.c.csat).label("csat_sum"),
            func.sum(SR.c.csat * SR.c.csat).label("csat_sq_sum"),
            _count_true(SR.c.csat >= 4).label("csat_satisfied"),
            _count_true(SR.c.nps >= 9).label("nps_promoters"),
            _count_true(SR.c.nps <= 6).label("nps_detractors"),
        )
        .select_from(
            SR.join(IT, IT.c.id == SR.c.interaction_id)
            .outerjoin(P, P.c.id == IT.c.patron_id)
            .join(S, S.c.id == SR.c.subdelegacion_id)
        )
        .where(*_since(SR.c.responded_on, lo))
        .group_by(SR.c.responded_on, *cols, _band(), S.c.ooad_id)
    )


def coarse(fine, coarse_table, lo: dt.date | None = None):
    """``coarse_table``'s rows summed from ``fine``: every key column the coarse table has,
    every other column summed (the dropped dimension, e.g. procedure, is added up)."""
    keys = [c.name for c in coarse_table.primary_key.columns]
    keys += ["ooad_id"] if "ooad_id" in coarse_table.c else []
    sums = [c.name for c in coarse_table.columns if c.name not in keys]
    return (
        select(*[fine.c[k] for k in keys], *[func.sum(fine.c[m]).label(m) for m in sums])
        .where(*_since(fine.c.month, lo))
        .group_by(*[fine.c[k] for k in keys])
    )


@dataclass(frozen=True)
class _Build:
    """What a rollup's query may depend on: the data's as-of date, and where the fine rollups
    refreshed earlier in this run hold their new rows (a coarse rollup sums those, not the
    previous ones)."""

    as_of: dt.date
    fresh: Callable[[Table], Table]
    since: dt.date | None = None  # a partial refresh: only months (days) from this one on


def _interaction_unit_month(b: _Build):
    return coarse(
        b.fresh(AggInteractionMonth.__table__), AggInteractionUnitMonth.__table__, b.since
    )


def _survey_unit_month(b: _Build):
    return coarse(b.fresh(AggSurveyMonth.__table__), AggSurveyUnitMonth.__table__, b.since)


def _collection_unit_month(b: _Build):
    return coarse(b.fresh(AggCollectionMonth.__table__), AggCollectionUnitMonth.__table__, b.since)


def _time_national_month(b: _Build):
    return coarse(
        b.fresh(AggInteractionTimeMonth.__table__),
        AggInteractionTimeNationalMonth.__table__,
        b.since,
    )


def _queue_national_month(b: _Build):
    return coarse(
        b.fresh(AggQueueWaitMonth.__table__), AggQueueWaitNationalMonth.__table__, b.since
    )


# Order matters: the coarse rollups are summed from the fine ones refreshed before them.
ROLLUPS: list[tuple[Table, Callable[[_Build], Select | list[Select]]]] = [
    (AggInteractionMonth.__table__, lambda b: _interaction_month(b.since)),
    (AggInteractionDay.__table__, lambda b: _interaction_day(b.since)),
    (AggSurveyMonth.__table__, lambda b: _survey_month(b.since)),
    (AggComplaintMonth.__table__, lambda b: _complaint_month(b.as_of)),  # always whole
    (AggCollectionMonth.__table__, lambda b: _collection_month(b.since)),
    (AggChannelSegmentMonth.__table__, lambda b: _channel_segment_month(b.since)),
    (AggInteractionTimeMonth.__table__, lambda b: _time_histograms(b.since)),
    (AggSurveyDay.__table__, lambda b: _survey_day(b.since)),
    (AggQueueWaitMonth.__table__, lambda b: _queue_waits(b.since)),
    (AggInteractionUnitMonth.__table__, _interaction_unit_month),
    (AggSurveyUnitMonth.__table__, _survey_unit_month),
    (AggCollectionUnitMonth.__table__, _collection_unit_month),
    (AggInteractionTimeNationalMonth.__table__, _time_national_month),
    (AggQueueWaitNationalMonth.__table__, _queue_national_month),
]


# What a rollup reads besides tables: the data's as-of date, kept in dataset_info.
AS_OF_SOURCE = DatasetInfo.__tablename__


def _queries(built: Select | list[Select]) -> list[Select]:
    return built if isinstance(built, list) else [built]


def _tables_read(query: ClauseElement) -> set[str]:
    return {e.name for e in visitors.iterate(query) if isinstance(e, Table)}


@cache
def rollup_sources() -> dict[str, frozenset[str]]:
    """The tables each rollup reads, read from its own SQL rather than declared beside it (a
    declaration drifts from the query; this cannot): every table named anywhere in the query
    (joins, subqueries), a rollup summed from another one standing for that one's sources,
    and ``dataset_info`` when the query depends on the as-of date (its parameters differ
    between two as-of dates). A load refreshes only the rollups whose sources it changed."""
    sqlite_dialect = sqlite.dialect()
    sources: dict[str, frozenset[str]] = {}
    for table, builder in ROLLUPS:
        found: set[str] = set()
        params = []
        for as_of in (dt.date(2000, 1, 31), dt.date(2001, 2, 28)):
            for since in (None, dt.date(2000, 1, 1)):
                for query in _queries(builder(_Build(as_of, lambda t: t, since))):
                    found |= _tables_read(query)
                    params.append(query.compile(dialect=sqlite_dialect).params)
        half = len(params) // 2
        read = {s for name in found for s in sources.get(name, frozenset({name}))}
        if params[:half] != params[half:]:
            read.add(AS_OF_SOURCE)
        sources[table.name] = frozenset(read)
    return sources


# The fact tables, each dated by its own month.
FACT_TABLES = frozenset({IT.name, SR.name, C.name, CM.name})


@cache
def rollups_looking_ahead() -> frozenset[str]:
    """The rollups whose rows of a month may depend on facts of another month, read from
    their SQL: a window function (the 30-day repeat looks at the patron's next contact), a
    join of two fact tables (a survey and the contact it rates, each dated by its own month),
    or the sum of such a rollup. A load from a month on rebuilds these from the month before,
    the others from that month: a contact's other measures belong to its own month."""
    ahead: set[str] = set()
    for table, builder in ROLLUPS:
        for query in _queries(builder(_Build(dt.date(2000, 1, 31), lambda t: t, None))):
            elements = list(visitors.iterate(query))
            tables = {e.name for e in elements if isinstance(e, Table)}
            if (
                any(isinstance(e, Over) for e in elements)
                or len(tables & FACT_TABLES) > 1
                or tables & ahead
            ):
                ahead.add(table.name)
    return frozenset(ahead)


def rollups_to_refresh(changed: Collection[str] | None) -> list[str]:
    """The rollups a change of ``changed`` tables can alter, in refresh order (all of them
    when ``changed`` is None: a full refresh)."""
    sources = rollup_sources()
    return [t.name for t, _ in ROLLUPS if changed is None or sources[t.name] & frozenset(changed)]


def _as_of_stated(conn: Connection) -> str | None:
    return conn.execute(
        select(DatasetInfo.value).where(DatasetInfo.key == "data_as_of")
    ).scalar_one_or_none()


def data_as_of(conn: Connection) -> dt.date:
    """The day the data describes: dataset_info's data_as_of, else the last contact or complaint."""
    stated = _as_of_stated(conn)
    if stated:
        return dt.date.fromisoformat(stated)
    last = (
        conn.execute(select(func.max(IT.c.day))).scalar_one()
        or conn.execute(select(func.max(C.c.received_on))).scalar_one()
    )
    if last is None:
        return dt.date.today()
    return last if isinstance(last, dt.date) else dt.date.fromisoformat(str(last)[:10])


def _can_swap(conn: Connection) -> bool:
    """Whether this connection may replace the rollup tables: it owns them, may create tables,
    and nothing else depends on them (a view or foreign key someone added would block the
    drop). Otherwise the rows are replaced in place; the app's writer role
    (docs/sql/roles.sql), for one, may only delete and insert."""
    row = conn.execute(
        text(
            "WITH r AS (SELECT c.oid, c.relowner FROM pg_class c WHERE c.relkind = 'r'"
            " AND c.relname = ANY(:names) AND c.relnamespace = current_schema()::regnamespace)"
            " SELECT coalesce(bool_and(pg_has_role(current_user, r.relowner, 'USAGE')), false)"
            " AND has_schema_privilege(current_schema(), 'CREATE')"
            " AND NOT EXISTS (SELECT 1 FROM pg_depend d JOIN pg_rewrite w ON w.oid = d.objid"
            "   WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid IN (SELECT oid FROM r)"
            "   AND w.ev_class NOT IN (SELECT oid FROM r))"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.contype = 'f'"
            "   AND k.confrelid IN (SELECT oid FROM r))"
            " FROM r"
        ),
        {"names": [t.name for t, _ in ROLLUPS]},
    ).scalar_one()
    return bool(row)


def _new_name(name: str) -> str:
    return f"{name}__new"


def _create_empty_copy(conn: Connection, table: Table) -> Table:
    """An empty table shaped like ``table`` (types, defaults, NOT NULL, checks and column
    comments) with no index yet: rows go in as plain heap appends, and the indexes are built
    once, sorted."""
    new = _new_name(table.name)
    conn.exec_driver_sql(
        f'CREATE TABLE "{new}" (LIKE "{table.name}"'
        " INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMMENTS)"
    )
    return (
        table.to_metadata(_SCRATCH, name=new)
        if new not in _SCRATCH.tables
        else _SCRATCH.tables[new]
    )


def _index_copy(conn: Connection, table: Table) -> list[str]:
    """Build on the new table every index the live table has (same definitions, temporary
    names); returns the statements that give them their real names once the tables swap."""
    new = _new_name(table.name)
    renames = []
    rows = conn.execute(
        text(
            "SELECT i.relname, pg_get_indexdef(i.oid), con.conname"
            " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " LEFT JOIN pg_constraint con ON con.conindid = i.oid AND con.contype = 'p'"
            " WHERE x.indrelid = CAST(:t AS regclass)"
        ),
        {"t": f'"{table.name}"'},
    ).all()
    for index_name, definition, pk_name in rows:
        temp = _new_name(index_name)

        def on_new(m: re.Match[str], temp: str = temp) -> str:
            return f'CREATE {m.group(1) or ""}INDEX "{temp}" ON "{new}" '

        definition = re.sub(r"^CREATE (UNIQUE )?INDEX \S+ ON (\S+?\.)?\S+ ", on_new, definition)
        conn.exec_driver_sql(definition)
        if pk_name:
            conn.exec_driver_sql(
                f'ALTER TABLE "{new}" ADD CONSTRAINT "{temp}" PRIMARY KEY USING INDEX "{temp}"'
            )
            renames.append(f'ALTER TABLE "{table.name}" RENAME CONSTRAINT "{temp}" TO "{pk_name}"')
        else:
            renames.append(f'ALTER INDEX "{temp}" RENAME TO "{index_name}"')
    return renames


def _grants_and_comment(conn: Connection, table: Table) -> list[str]:
    """The live table's grants (e.g. SELECT to mirador_reader, with the grant option where it
    was given) and its comment, to repeat on its replacement: a DBA's settings survive."""
    rows = conn.execute(
        text(
            "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END,"
            " a.privilege_type, a.is_grantable"
            " FROM pg_class c, aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee"
            " WHERE c.oid = CAST(:t AS regclass) AND a.grantee <> c.relowner"
        ),
        {"t": f'"{table.name}"'},
    ).all()
    statements = [
        f'GRANT {priv} ON "{table.name}" TO {who}' + (" WITH GRANT OPTION" if option else "")
        for who, priv, option in rows
    ]
    comment = conn.execute(
        text("SELECT quote_literal(obj_description(CAST(:t AS regclass), 'pg_class'))"),
        {"t": f'"{table.name}"'},
    ).scalar_one()
    if comment is not None:
        statements.append(f'COMMENT ON TABLE "{table.name}" IS {comment}')
    return statements


def _replaced(table: Table, lo: dt.date | None) -> list:
    """The rows a (partial) refresh replaces: all, or those from ``lo`` on."""
    if lo is None or table is AggComplaintMonth.__table__:
        return []
    return [(table.c.day if "day" in table.c else table.c.month) >= lo]


_SCRATCH = MetaData()


def add_to_counted_rows(conn: Connection, table: str, inserted: int) -> None:
    """Keep ``dataset_info`` ``rows.<table>`` true after a load inserted rows (updates change
    no count). A table the last full refresh did not count keeps no figure: the data page
    counts it then."""
    if inserted:
        conn.execute(
            update(DatasetInfo)
            .where(DatasetInfo.key == f"rows.{table}")
            .values(value=cast(cast(DatasetInfo.value, Integer) + inserted, Text))
        )


UNREFRESHED = "unrefreshed."  # dataset_info key prefix: a table loaded without a refresh


def note_unrefreshed(conn: Connection, table: str, since: dt.date | None) -> None:
    """Remember that a load changed ``table`` (from month ``since`` on; every month when
    None) without refreshing the rollups: the next refresh, however partial, rebuilds what
    that load changed too."""
    key = UNREFRESHED + table
    before = conn.execute(
        select(DatasetInfo.value).where(DatasetInfo.key == key)
    ).scalar_one_or_none()
    if before is not None:
        earlier = dt.date.fromisoformat(before) if before else None
        since = None if since is None or earlier is None else min(since, earlier)
        conn.execute(delete(DatasetInfo).where(DatasetInfo.key == key))
    conn.execute(insert(DatasetInfo).values(key=key, value=since.isoformat() if since else ""))


def _unrefreshed(conn: Connection) -> dict[str, dt.date | None]:
    rows = conn.execute(
        select(DatasetInfo.key, DatasetInfo.value).where(
            DatasetInfo.key.startswith(UNREFRESHED, autoescape=True)
        )
    ).all()
    return {k.removeprefix(UNREFRESHED): dt.date.fromisoformat(v) if v else None for k, v in rows}


def _stale_statistics(conn: Connection, table: Table, rebuilt: int) -> bool:
    """Whether a partial refresh that rebuilt ``rebuilt`` rows leaves ``table``'s statistics
    stale: a tenth of its rows or more (autovacuum's own threshold), or none gathered yet.
    Two months of 36 are not: their ANALYZE cost 8.8 s of a national month's load, and the
    month bounds the pages filter on are read from the primary key's index anyway."""
    known = estimated_rows(conn, table)
    return known <= 0 or rebuilt >= 0.1 * known


def refresh_rollups(
    conn: Connection,
    progress: Callable[[float, str], object] | None = None,
    since: dt.date | None = None,
    changed: Collection[str] | None = None,
) -> dict[str, int]:
    """Replace every rollup with a fresh aggregate of the fact tables; returns row counts.

    On PostgreSQL, when the connection owns the tables and nothing depends on them, each
    rollup is built into a new table without indexes, indexed once, and all of them replace
    the live ones at the end of the transaction (drop and rename: a lock of milliseconds).
    Deleting and re-inserting millions of rows into indexed tables instead cost most of the
    refresh's time at national scale (docs/performance.md). Elsewhere (SQLite, the app's
    writer role, or a view on a rollup) the rows are deleted and inserted in place.

    ``since`` (an import of contacts, surveys, complaints or collection from that month on)
    recomputes only the months from that one on, in place, and from the month before for the
    rollups whose months look into the next one (:func:`rollups_looking_ahead`: the 30-day
    repeat of a contact). The complaint rollup, which depends on the as-of date,
    is always recomputed whole. ``tests/test_refresh.py`` checks it equals a full refresh.
    Either way it is one transaction: readers see the old rollups or the new ones, never a mix.

    ``changed`` (the tables a load wrote, ``dataset_info`` for a new as-of date) limits the
    refresh to the rollups that read one of them (:func:`rollup_sources`); the others are
    left as they are and not counted. The fact tables are then not recounted either (the
    loader keeps their counts, :func:`add_to_counted_rows`), except a table loaded whole and
    one never counted. Tables loaded earlier without a refresh (:func:`note_unrefreshed`)
    count as changed too, from their earliest month.
    """
    counts: dict[str, int] = {}
    postgres = conn.dialect.name == "postgresql"
    pending = _unrefreshed(conn)
    if pending:  # loads without a refresh: what they changed is rebuilt now too
        conn.execute(
            delete(DatasetInfo).where(DatasetInfo.key.in_(UNREFRESHED + t for t in pending))
        )
        if changed is not None:
            changed = {*changed, *pending}
            starts = [since, *pending.values()]
            since = None if None in starts else min(d for d in starts if d is not None)
    start = since.replace(day=1) if since is not None else None
    ahead = rollups_looking_ahead()
    swap = start is None and postgres and _can_swap(conn)
    if postgres:
        # Room to hash and sort tens of millions of fact rows in memory, for this transaction
        # only (the server default, 4 MB, sends every GROUP BY and window to disk).
        conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
        if start is not None:
            # A partial refresh reads a slice: the surveys of two months look their contacts
            # up by key rather than scan all 24 M (PostgreSQL's default random_page_cost, 4,
            # prices a disk seek; on SSD or cached data by-key reads cost about a sequential
            # one: 14 s → about 3 s for agg_survey_day at national scale, docs/performance.md).
            conn.exec_driver_sql("SET LOCAL random_page_cost = 1.1")
    fresh: dict[str, Table] = {}
    as_of = data_as_of(conn)
    finish: list[str] = []
    if changed is not None and not _as_of_stated(conn):
        # the as-of date is then the last contact or complaint: any load may move it
        changed = {*changed, AS_OF_SOURCE}
    chosen = set(rollups_to_refresh(changed))
    todo = [(table, builder) for table, builder in ROLLUPS if table.name in chosen]
    for i, (table, builder) in enumerate(todo):
        if progress:
            progress(i / len(todo), f"Agregando {table.name}")
        # from the month before for a rollup whose months see the next one's contacts
        lo = add_months(start, -1) if start is not None and table.name in ahead else start
        built = builder(_Build(as_of, lambda t: fresh.get(t.name, t), lo))
        if swap:
            target = _create_empty_copy(conn, table)
        else:
            target = table
            conn.execute(delete(table).where(*_replaced(table, lo)))
        for query in built if isinstance(built, list) else [built]:
            names = [c.name for c in query.selected_columns]
            conn.execute(insert(target).from_select(names, query))
        if swap:
            real_names = _index_copy(conn, table)  # built now, renamed after the swap
            finish += [
                f'DROP TABLE "{table.name}"',
                f'ALTER TABLE "{target.name}" RENAME TO "{table.name}"',
                *real_names,
                *_grants_and_comment(conn, table),
            ]
            fresh[table.name] = target
        # a partial refresh reports the rows of the months it rebuilt (an index range), not
        # the whole rollup
        counts[table.name] = conn.execute(
            select(func.count()).select_from(target).where(*_replaced(target, lo))
        ).scalar_one()
        if postgres and (start is None or _stale_statistics(conn, target, counts[table.name])):
            # Fresh statistics for the pages' queries, committed with the rows: without them
            # (autovacuum lags, or is off) the planner misjudges the rollups and pages slow down.
            conn.exec_driver_sql(f'ANALYZE "{target.name}"')
    for statement in finish:  # the swap: every rollup at once, at the end of the transaction
        conn.exec_driver_sql(statement)
    # The fact tables' sizes, for the data page (counting them on every view is slow). Counted
    # by a full refresh; a load, which refreshes from a month on, adds the rows it inserted
    # itself (lib/ingest/load.py: add_to_counted_rows): counting 24 million contacts took 24 s
    # of a month's load at national scale (issue 20).
    known = set(
        conn.execute(
            select(DatasetInfo.key).where(DatasetInfo.key.startswith("rows.", autoescape=True))
        ).scalars()
    )
    recount = [
        t
        for t in COUNTED
        if changed is None
        # a whole-table load (no month) is counted at once; a table never counted, once
        or (start is None and t.name in changed)
        or f"rows.{t.name}" not in known
    ]
    if recount:
        conn.execute(
            delete(DatasetInfo).where(DatasetInfo.key.in_(f"rows.{t.name}" for t in recount))
        )
        conn.execute(
            insert(DatasetInfo),
            [
                {
                    "key": f"rows.{t.name}",
                    "value": str(conn.execute(select(func.count()).select_from(t)).scalar_one()),
                }
                for t in recount
            ],
        )
    stamp = dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")
    conn.execute(delete(DatasetInfo).where(DatasetInfo.key == "rollups_refreshed_at"))
    conn.execute(insert(DatasetInfo).values(key="rollups_refreshed_at", value=stamp))
    bump_generation(conn)  # the version changes even when the stamp's second does not
    if progress:
        progress(1.0, "Agregados listos")
    return counts
