"""Load one file into one contract table: all or nothing, idempotent, recorded.

1. The file is read in chunks (lib/ingest/readers.py); each chunk is parsed and validated
   (lib/ingest/validate.py) and its rows are written to a temporary staging table, so memory
   stays bounded whatever the file size.
2. Checks that need the whole file or the database run in SQL on the staging table: duplicated
   natural keys, registros patronales and campaign codes that must exist, catalog codes.
3. If any problem was found the transaction is rolled back: the database is as before. The
   attempt is then recorded (``import_load`` status ``rechazado`` and an ``import`` audit
   event), in a transaction of its own.
4. Otherwise the staged rows are upserted on the natural key (``INSERT … ON CONFLICT … DO
   UPDATE … WHERE`` some column differs), so re-importing the same file changes nothing;
   rollups are rebuilt and the load is recorded, all in the same transaction.

The problems table may hold values from the file (the administrator's own file); the load
record and the audit event hold counts only, never patron identifiers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    and_,
    delete,
    exists,
    false,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError

from lib.access import SYSTEM_USER, User, mask_identifier, require
from lib.audit import record_event
from lib.db.bulk import estimated_rows, insert_frame, sync_id_sequences
from lib.db.generation import bump_generation
from lib.db.rollups import AS_OF_SOURCE, add_to_counted_rows, note_unrefreshed
from lib.db.schema import Base, DatasetInfo, ImportLoad
from lib.ingest.attempts import (
    RUNNING,
    busy_message,
    close_stale_attempts,
    open_attempt,
    try_lock,
)
from lib.ingest.contract import SPECS, TableSpec, match_headers
from lib.ingest.dates import DMY, MDY, ColumnScan, decide
from lib.ingest.limits import ImportLimits, import_limits
from lib.ingest.profiles import Profile, ProfileError, get_profile
from lib.ingest.readers import CHUNK_ROWS, ReadError, TableFile, open_table
from lib.ingest.validate import (
    PROBLEM_COLUMNS,
    DateReading,
    after_cutoff,
    consistency,
    derive,
    problems_frame,
    validate_chunk,
)
from lib.policy import Permission
from lib.refresh import refresh_all

# Fiscal identifiers: the text report (printed by the CLI, where a terminal or a scheduler's
# log may keep it, and shown on the page) masks them; the problems file keeps them, since the
# person loading needs them to fix their own file.
IDENTIFIER_COLUMNS = {"registro_patronal", "rfc"}

MAX_PROBLEMS = 10_000  # kept for the report; all are counted
Progress = Callable[[float, str], object]  # its return is ignored (st.progress returns the bar)


class Rejected(Exception):
    pass


@dataclass
class ImportResult:
    table: str
    file_name: str
    sha256: str
    status: str = "rechazado"  # cargado | rechazado | prueba | interrumpida
    fmt: str = ""
    rows_read: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    problem_count: int = 0
    problems: pd.DataFrame = field(default_factory=problems_frame)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    load_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("cargado", "prueba")

    def report(self) -> str:
        """The Spanish report the CLI prints and the page shows."""
        spec = SPECS.get(self.table)
        name = f"{spec.label} ({self.table})" if spec else self.table
        head = {
            "cargado": "Carga aceptada",
            "prueba": "Prueba sin cambios: el archivo se puede cargar",
            "rechazado": "Carga rechazada: la base de datos no cambió",
            "interrumpida": "Carga interrumpida: no se guardó nada",
        }[self.status]
        lines = [f"{head}. Tabla {name}, archivo «{self.file_name}»."]
        if self.fmt:
            lines.append(f"Formato: {self.fmt}.")
        lines.append(
            f"Filas leídas {self.rows_read:,}; nuevas {self.rows_inserted:,}; "
            f"actualizadas {self.rows_updated:,}; sin cambio {self.rows_unchanged:,}; "
            f"con problemas {self.rows_rejected:,}."
        )
        lines += self.notes
        if self.problem_count:
            lines.append(f"{self.problem_count:,} problema(s):")
            for r in self.problems.head(20).itertuples(index=False):
                where = f"fila {r.fila}" if r.fila else "archivo"
                col = f", columna {r.columna}" if r.columna else ""
                shown = (
                    mask_identifier(r.valor)
                    if set(str(r.columna).split(", ")) & IDENTIFIER_COLUMNS
                    else r.valor
                )
                shown = shown if len(str(shown)) <= 60 else f"{str(shown)[:60]}…"
                val = f", valor «{shown}»" if r.valor not in (None, "") else ""
                lines.append(f"  - {where}{col}{val}: {r.problema}")
            if self.problem_count > 20:
                lines.append(
                    f"  … y {self.problem_count - 20:,} más (descargue la lista completa)."
                )
        lines.append(f"Tiempo: {self.seconds:,.1f} s.")
        return "\n".join(lines)


class _Problems:
    def __init__(self) -> None:
        self.frames: list[pd.DataFrame] = []
        self.kept = 0
        self.count = 0
        self.rows: set[int] = set()

    def add(self, df: pd.DataFrame) -> None:
        if df.empty:
            return
        self.count += len(df)
        self.rows.update(int(r) for r in df["fila"] if r)
        room = MAX_PROBLEMS - self.kept
        if room > 0:
            self.frames.append(df.head(room))
            self.kept += min(room, len(df))

    def fatal(self, message: str, column: str = "", row: int = 0) -> None:
        self.add(
            problems_frame([{"fila": row, "columna": column, "valor": "", "problema": message}])
        )

    def frame(self) -> pd.DataFrame:
        if not self.frames:
            return problems_frame()
        out = pd.concat(self.frames, ignore_index=True)[PROBLEM_COLUMNS]
        return out.sort_values(["fila", "columna"], kind="stable").reset_index(drop=True)


def _sha256(fh: BinaryIO) -> str:
    h = hashlib.sha256()
    fh.seek(0)
    for block in iter(lambda: fh.read(1 << 20), b""):
        h.update(block)
    fh.seek(0)
    return h.hexdigest()


def _stage_table(spec: TableSpec, target: Table, name: str, postgres: bool) -> Table:
    cols: list[Column[Any]] = [Column("_row", BigInteger)]
    for c in spec.columns:
        if c.lookup:
            cols.append(Column(c.name, String(60)))
            tcol = target.c[c.lookup[0]]
            cols.append(Column(tcol.name, tcol.type))
        else:
            cols.append(Column(c.name, target.c[c.name].type))
    for d in spec.derived:
        if d not in {c.name for c in cols}:
            cols.append(Column(d, target.c[d].type))
    for k in _dated_key(spec):  # quoted as written when the key is repeated
        cols.append(Column(f"_raw_{k}", String(200)))
    kw: dict[str, Any] = {"postgresql_on_commit": "DROP"} if postgres else {}
    return Table(name, MetaData(), *cols, prefixes=["TEMPORARY"], **kw)


def _dated_key(spec: TableSpec) -> list[str]:
    """Key columns holding a date (collection_monthly's month)."""
    return [k for k in _file_key(spec) if spec.col(k).kind in DATE_KINDS]


def _file_key(spec: TableSpec) -> list[str]:
    """The natural key as file columns (registro_patronal rather than patron_id)."""
    by_target = {c.target: c.name for c in spec.columns}
    return [by_target.get(k, k) for k in spec.key]


def _sql_problems(
    conn: Connection, spec: TableSpec, stage: Table, problems: _Problems, limit: int
) -> None:
    if conn.dialect.name == "postgresql":  # temporary tables are never auto-analyzed
        conn.exec_driver_sql(f'ANALYZE "{stage.name}"')
    # duplicated natural keys within the file
    key = [stage.c[k] for k in _file_key(spec)]
    dup = (
        select(*key, func.min(stage.c._row).label("first"))
        .group_by(*key)
        .having(func.count() > 1)
        .subquery()
    )
    q = (
        select(stage.c._row, *key, dup.c.first)
        .join(dup, and_(*[k == dup.c[k.name] for k in key]))
        .where(stage.c._row > dup.c.first)
        .order_by(stage.c._row)
        .limit(limit)
    )
    rows: Sequence[tuple[Any, ...]] = conn.execute(q).all()
    if _dated_key(spec) and rows:  # the cells as the file wrote them, not the parsed dates
        shown = [stage.c.get(f"_raw_{k.name}", k) for k in key]
        raw = {
            r[0]: r[1:]
            for r in conn.execute(
                select(stage.c._row, *shown).where(stage.c._row.in_([r[0] for r in rows]))
            ).all()
        }
        rows = [(r[0], *raw[r[0]], r[-1]) for r in rows]
    problems.add(
        problems_frame(
            [
                {
                    "fila": r[0],
                    "columna": ", ".join(k.name for k in key),
                    "valor": " / ".join(str(v) for v in r[1:-1]),
                    "problema": f"clave repetida: ya aparece en la fila {r[-1]}",
                }
                for r in rows
            ]
        )
    )
    # registros patronales and campaign codes that must exist
    for c in spec.columns:
        if not c.lookup:
            continue
        tcol, ref_name, ref_key = c.lookup
        ref = Base.metadata.tables[ref_name]
        # UPDATE … FROM (a join, on both backends) rather than a correlated subquery per row
        conn.execute(
            update(stage).where(stage.c[c.name] == ref.c[ref_key]).values({tcol: ref.c.id})
        )
        missing = conn.execute(
            select(stage.c._row, stage.c[c.name])
            .where(stage.c[c.name].is_not(None), stage.c[tcol].is_(None))
            .order_by(stage.c._row)
            .limit(limit)
        ).all()
        what = "El registro patronal" if ref_name == "patron" else "La clave de campaña"
        problems.add(
            problems_frame(
                [
                    {
                        "fila": r[0],
                        "columna": c.name,
                        "valor": str(r[1]),
                        "problema": f"{what} no existe en {SPECS[ref_name].label.lower()}; "
                        f"cárguelo antes en la tabla {ref_name}",
                    }
                    for r in missing
                ]
            )
        )
    # catalog codes
    for c in spec.columns:
        if not c.fk:
            continue
        ref_name, ref_col = c.fk.split(".")
        ref = Base.metadata.tables[ref_name]
        missing = conn.execute(
            select(stage.c._row, stage.c[c.name])
            .where(
                stage.c[c.name].is_not(None),
                ~exists().where(ref.c[ref_col] == stage.c[c.name]),
            )
            .order_by(stage.c._row)
            .limit(limit)
        ).all()
        label = SPECS[ref_name].label.lower() if ref_name in SPECS else ref_name
        problems.add(
            problems_frame(
                [
                    {
                        "fila": r[0],
                        "columna": c.name,
                        "valor": str(r[1]),
                        "problema": f"la clave no existe en el catálogo de {label} ({ref_name})",
                    }
                    for r in missing
                ]
            )
        )


@dataclass(frozen=True)
class _Comparison:
    """The staged rows against the stored ones."""

    new: int  # rows whose key is not stored
    changed: int  # stored rows whose values the load would change
    first_month: dt.date | None  # the earliest month the load can change; None = every month


def _compare(
    conn: Connection, spec: TableSpec, stage: Table, target: Table, staged: int
) -> _Comparison:
    """One pass of a LEFT JOIN of the staged rows on the stored ones, by key: how many are
    new, how many would change, and the earliest month either side touches (an updated row
    may move to another month). Three separate joins (new, changed, months) scanned the
    24 million stored contacts three times: 34 s of a national month's load (issue 20)."""
    on = and_(*[target.c[k] == stage.c[k] for k in spec.key])
    stored = target.c[spec.key[0]].is_not(None)
    cols = [c for c in _load_columns(spec) if c not in spec.key]
    differs = or_(*[target.c[c].is_distinct_from(stage.c[c]) for c in cols]) if cols else false()
    months = MONTHLY_FACTS.get(spec.name)
    measures: list[Any] = [
        func.count().filter(~stored),
        func.count().filter(and_(stored, differs)),
    ]
    for col in months or ():
        measures += [func.min(stage.c[col]), func.min(target.c[col])]
    query = select(*measures).select_from(stage.outerjoin(target, on))
    if conn.dialect.name == "postgresql" and staged < estimated_rows(conn, target) / 5:
        # A load that is a fraction of the table: look each staged key up in the stored
        # table's primary key. PostgreSQL chose to hash the staged rows and probe them with
        # every stored row: 12.3 s against 1.3 s for a month of contacts (679,061 of 24
        # million, national scale). For this statement only.
        conn.exec_driver_sql("SET LOCAL enable_hashjoin = off")
        conn.exec_driver_sql("SET LOCAL enable_mergejoin = off")
        row = conn.execute(query).one()  # a failure rolls the settings back with the load
        conn.exec_driver_sql("SET LOCAL enable_hashjoin TO DEFAULT")
        conn.exec_driver_sql("SET LOCAL enable_mergejoin TO DEFAULT")
    else:
        row = conn.execute(query).one()
    new, changed, *found = row
    days = [v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)[:10]) for v in found if v]
    first = min(days) if months is not None and days else None
    return _Comparison(int(new or 0), int(changed or 0), first)


def _load_columns(spec: TableSpec) -> list[str]:
    return [c.target for c in spec.columns] + [
        d for d in spec.derived if d not in {c.target for c in spec.columns}
    ]


def _upsert(conn: Connection, spec: TableSpec, stage: Table, target: Table) -> None:
    sync_id_sequences(conn, [target])  # new rows take ids after those bulk-loaded
    cols = _load_columns(spec)
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    src = select(*[stage.c[c] for c in cols]).where(true())
    if "id" in target.c and "id" not in cols:  # ids drawn from the sequence: in file order
        src = src.order_by(stage.c._row)
    ins = dialect.insert(target).from_select(cols, src)
    set_ = {c: ins.excluded[c] for c in cols if c not in spec.key}
    if set_:
        stmt = ins.on_conflict_do_update(
            index_elements=list(spec.key),
            set_=set_,
            where=or_(*[target.c[c].is_distinct_from(ins.excluded[c]) for c in set_]),
        )
    else:
        stmt = ins.on_conflict_do_nothing(index_elements=list(spec.key))
    conn.execute(stmt)


def _defaults(target: Table, df: pd.DataFrame) -> pd.DataFrame:
    """Optional columns left out or empty take the model's default (use_competence, sort_order)."""
    for col in target.columns:
        default = getattr(col.default, "arg", None)
        if col.nullable or default is None or callable(default):
            continue
        if col.name not in df:
            df[col.name] = default
        elif df[col.name].isna().any():
            df[col.name] = df[col.name].astype(object).where(df[col.name].notna(), default)
    return df


def _set_info(conn: Connection, key: str, value: str) -> bool:
    """Store a dataset fact; returns whether its value changed."""
    before = conn.execute(
        select(DatasetInfo.value).where(DatasetInfo.key == key)
    ).scalar_one_or_none()
    conn.execute(delete(DatasetInfo).where(DatasetInfo.key == key))
    conn.execute(insert(DatasetInfo).values(key=key, value=value))
    return before != value


# Fact tables whose rows only change the rollups of their own months (and, for contacts, the
# month before: the 30-day repeat). A load of any other table (patrons' size bands, catalogs,
# campaigns, orientations) refreshes every month.
MONTHLY_FACTS = {
    "interaction": ("month",),
    "survey_response": ("month", "responded_on"),
    "complaint": ("month",),
    "collection_monthly": ("month",),
}


def _mark_demo_with_imports(conn: Connection) -> None:
    """Rows loaded into the demo institute make it a mix of synthetic and loaded data: the
    pages say so, and seeding refuses to wipe it without --force (the loads would be lost)."""
    demo = conn.execute(
        select(DatasetInfo.value).where(DatasetInfo.key == "is_demo")
    ).scalar_one_or_none()
    if demo == "1":
        _set_info(conn, "demo_with_imports", "1")


def _details(result: ImportResult, extra: dict) -> dict:
    kinds = (
        result.problems["problema"].str.split(":").str[0].value_counts().head(10).to_dict()
        if not result.problems.empty
        else {}
    )
    return {
        "formato": result.fmt,
        "sin_cambio": result.rows_unchanged,
        "problemas": result.problem_count,
        "tipos_de_problema": {str(k): int(v) for k, v in kinds.items()},
        "segundos": round(result.seconds, 2),
        **extra,
    }


def _record(
    conn: Connection, result: ImportResult, user: User | str, started: dt.datetime, extra: dict
) -> None:
    """Close the attempt's ``en curso`` row with its outcome (only if still ``en curso``: a
    load whose commit went through before its connection broke keeps ``cargado``), or write a
    closed row when none was opened; and its ``import`` audit event."""
    values = {
        "finished_at": dt.datetime.now(),
        "rows_read": result.rows_read,
        "rows_inserted": result.rows_inserted,
        "rows_updated": result.rows_updated,
        "rows_rejected": result.rows_rejected,
        "status": result.status,
        "details": _details(result, extra),
    }
    if result.load_id is None:
        username = user.username if isinstance(user, User) else str(user)
        result.load_id = conn.execute(
            insert(ImportLoad)
            .values(
                started_at=started,
                username=username[:120],
                table_name=result.table,
                file_name=result.file_name[:255],
                file_sha256=result.sha256,
                **values,
            )
            .returning(ImportLoad.id)
        ).scalar_one()
    else:
        closed = conn.execute(
            update(ImportLoad)
            .where(ImportLoad.id == result.load_id, ImportLoad.status == RUNNING)
            .values(**values)
        ).rowcount
        if not closed:
            return
    record_event(
        conn,
        user,
        "import",
        f"{result.table} ← {result.file_name}"[:200],
        rows=result.rows_read,
        details={
            "estado": result.status,
            "nuevas": result.rows_inserted,
            "actualizadas": result.rows_updated,
            "rechazadas": result.rows_rejected,
            "sha256": result.sha256,
            "carga": result.load_id,
        },
    )


@dataclass
class _Job:
    """One import's inputs and running state, passed between the steps of import_file."""

    spec: TableSpec
    target: Table
    fh: BinaryIO
    user: User | str
    dry_run: bool
    encoding: str | None
    sep: str | None
    step: Progress
    chunk_rows: int
    refresh: bool
    as_of: dt.date | None
    limits: ImportLimits
    result: ImportResult
    date_order: str | None = None  # dmy | mdy when the user stated it
    two_digit_years: bool = False
    profile: Profile | None = None  # a source layout mapped onto the contract (profiles.py)
    profile_params: dict[str, str] = field(default_factory=dict)
    names: dict[str, dict[str, str]] = field(default_factory=dict)  # by_name lookups
    reading: DateReading = field(default_factory=DateReading)
    problems: _Problems = field(default_factory=_Problems)
    started: dt.datetime = field(default_factory=dt.datetime.now)
    t0: float = field(default_factory=time.perf_counter)
    extra: dict = field(default_factory=dict)


def _profiled(job: _Job, reader: TableFile) -> TableFile:
    """The file seen through its profile: contract columns, chunk by chunk, same row numbers."""
    profile = job.profile
    if profile is None:
        return reader
    try:
        rename = profile.source_mapping(reader.headers)
    except ProfileError as exc:
        job.problems.fatal(str(exc))
        raise Rejected from exc
    params = job.profile_params

    def chunks():
        for raw in reader.chunks():
            out = profile.transform(raw.rename(columns=rename), params)
            for column, _table in profile.by_name:
                names = job.names.get(column, {})
                out[column] = out[column].map(lambda v, n=names: n.get(v, v))
            yield out.astype(object).where(out.notna() & out.ne(""), None)

    sample = profile.transform(
        pd.DataFrame({c: pd.Series(dtype=object) for c in profile.columns}), params
    )
    return TableFile(
        fmt=reader.fmt,
        headers=list(sample.columns),
        encoding=reader.encoding,
        sep=reader.sep,
        _chunks=chunks(),
        _progress=reader._progress,
        notes=reader.notes,
        cells_checked=reader.cells_checked,
    )


def _open(job: _Job) -> TableFile:
    try:
        reader = open_table(
            job.fh, job.result.file_name, job.encoding, job.sep, job.chunk_rows, job.limits
        )
    except ReadError as exc:
        job.problems.fatal(str(exc), exc.column, exc.row)
        raise Rejected from exc
    return _profiled(job, reader)


def _open_reader(job: _Job) -> tuple[TableFile, dict[str, str]]:
    """The opened file and its header mapping; Rejected when a column is missing or doubled."""
    spec, result, problems = job.spec, job.result, job.problems
    reader = _open(job)
    result.fmt = reader.description
    result.notes += reader.notes
    job.extra = {"codificacion": reader.encoding, "separador": reader.sep}
    match = match_headers(spec, reader.headers)
    if match.ignored:
        result.notes.append(
            "Columnas que no están en el contrato y se ignoran: " + ", ".join(match.ignored[:15])
        )
    for d in match.duplicated:
        problems.fatal(f"dos columnas del archivo significan lo mismo: {d}")
    hint = ""
    if len(reader.headers) == 1 and reader.fmt == "csv":
        hint = (
            " El encabezado se leyó como una sola columna: revise el "
            "separador (coma, punto y coma, barra vertical o tabulador)."
        )
    for name in match.missing:
        col = spec.col(name)
        problems.fatal(
            f"falta la columna obligatoria «{name}» ({col.label}); también se "
            f"acepta como: {', '.join(col.aliases[:4]) or '—'}.{hint}",
            name,
        )
    if problems.count:
        raise Rejected
    return reader, match.mapping


DATE_KINDS = ("date", "datetime", "month")


def _cutoff(job: _Job) -> dt.date:
    return job.as_of or dt.date.today()


def _date_reading(job: _Job, reader: TableFile, mapping: dict) -> tuple[DateReading, bool]:
    """Each date column's day/month order, decided from all its values: a first pass over the
    file that looks at the date columns only (lib/ingest/dates.py). Skipped when the order was
    stated and two-digit years allowed, or the file has no date column. Returns the reading
    and whether ``reader`` was consumed. Rejected when a column cannot be read honestly."""
    spec, problems = job.spec, job.problems
    cutoff_year = _cutoff(job).year if job.two_digit_years else None
    by_file = {f: c for f, c in mapping.items() if spec.col(c).kind in DATE_KINDS}
    if not by_file or (job.date_order is not None and job.two_digit_years):
        orders = dict.fromkeys(by_file.values(), job.date_order or DMY)
        return DateReading(orders, cutoff_year), False
    job.step(0.0, "Revisando las fechas")
    scans = {c: ColumnScan(c) for c in by_file.values()}
    for raw in reader.chunks():
        for f, c in by_file.items():
            scans[c].add(raw[f])
        job.step(0.15 * reader.fraction_read(), "Revisando las fechas")
    orders = {}
    for c, scan in scans.items():
        decision = decide(scan, job.date_order, job.two_digit_years)
        if decision.error is not None:
            message, row = decision.error
            problems.fatal(message, c, row)
        orders[c] = decision.order or DMY
    if problems.count:
        raise Rejected
    told = {c: o for c, o in orders.items() if scans[c].dated and job.date_order is None}
    if told:
        job.result.notes.append(
            "Orden de las fechas detectado: "
            + "; ".join(f"{c} {'día/mes' if o == DMY else 'mes/día'}" for c, o in told.items())
            + "."
        )
    return DateReading(orders, cutoff_year), True


def _stage(conn: Connection, job: _Job, reader: TableFile, mapping: dict, stage: Table) -> int:
    """Validate chunk by chunk and write the valid rows to the staging table (until the first
    problem: after it only problems are collected). Returns the rows staged."""
    spec, target, result, problems = job.spec, job.target, job.result, job.problems
    job.step(0.15, "Leyendo y validando")
    staged = 0
    cutoff = _cutoff(job)
    for raw in reader.chunks():
        raw = raw[list(mapping)].rename(columns=mapping)
        result.rows_read += len(raw)
        typed, found = validate_chunk(spec, raw, job.reading)
        found = pd.concat(
            [
                found,
                consistency(spec, typed, raw),
                after_cutoff(spec, typed, raw, cutoff, job.as_of is not None),
            ],
            ignore_index=True,
        )
        problems.add(found)
        good = typed.drop(index=list(set(found["fila"]) & set(typed.index)))
        if not good.empty and problems.count == 0:
            good = _defaults(target, derive(spec, good.copy()))
            frame = good.rename_axis("_row").reset_index()
            for c in spec.columns:
                if c.lookup:
                    frame[c.lookup[0]] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
            for k in _dated_key(spec):
                frame[f"_raw_{k}"] = raw.loc[good.index, k].to_numpy()
            frame = frame[[c.name for c in stage.columns if c.name in frame]]
            staged += insert_frame(conn, stage, frame)
        job.step(
            0.15 + 0.65 * reader.fraction_read(),
            f"{result.rows_read:,} filas leídas, {problems.count:,} problemas",
        )
    if result.rows_read == 0:
        problems.fatal("El archivo tiene encabezado pero ninguna fila de datos.")
    if problems.count:
        raise Rejected
    return staged


def _save(conn: Connection, job: _Job, stage: Table, seen: _Comparison) -> None:
    """Upsert the staged rows, set the load's dataset facts and refresh the rollups, in the
    load's transaction."""
    spec, target, step = job.spec, job.target, job.step
    step(0.86, "Guardando")
    moved = False  # the as-of date changed: the complaint rollup reads it
    if job.as_of is not None:  # the day the data describes, before the rollups
        moved = _set_info(conn, "data_as_of", job.as_of.isoformat())
    new, changed = seen.new, seen.changed
    if not (new or changed or job.as_of is not None):
        return
    since = None
    if new or changed:
        since = seen.first_month
        _upsert(conn, spec, stage, target)
        add_to_counted_rows(conn, spec.name, new)
        _mark_demo_with_imports(conn)
    _set_info(conn, "loaded_at", dt.datetime.now().replace(microsecond=0).isoformat(sep=" "))
    bump_generation(conn)  # also when the load does not refresh the rollups
    wrote = [spec.name] if new or changed else []
    if moved:
        wrote.append(AS_OF_SOURCE)
    if job.refresh and wrote:
        # only the rollups that read what changed (lib.db.rollups.rollup_sources): a month of
        # contacts leaves the collection and complaint rollups as they are
        refresh_all(conn, lambda f, m: step(0.88 + 0.1 * f, m), since=since, changed=wrote)
    else:
        for table in wrote:  # the next refresh rebuilds what this load changed
            note_unrefreshed(conn, table, since if table == spec.name else None)


def _load(conn: Connection, job: _Job) -> None:
    """Read, validate, stage and (unless a dry run) save and record, in one transaction on
    ``conn``; raises Rejected, ReadError or a database error, having rolled back."""
    spec, result, problems = job.spec, job.result, job.problems
    postgres = conn.dialect.name == "postgresql"
    stage_name = f"_import_{uuid.uuid4().hex[:10]}"
    stage = _stage_table(spec, job.target, stage_name, postgres)
    trans = conn.begin()
    try:
        if postgres:
            # room to sort and hash a month of staged rows in memory, for this transaction
            # (the server's 4 MB sent the key checks and the upsert's sort to disk)
            conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
        stage.create(conn)
        for column, table in job.profile.by_name if job.profile else ():
            cat = Base.metadata.tables[table]
            job.names[column] = {
                str(name): str(i) for i, name in conn.execute(select(cat.c.id, cat.c.name))
            }
        reader, mapping = _open_reader(job)
        job.reading, consumed = _date_reading(job, reader, mapping)
        if consumed:  # read the file again, now to validate it
            reader = _open(job)
        staged = _stage(conn, job, reader, mapping, stage)
        job.step(0.82, "Comprobando claves y catálogos")
        _sql_problems(conn, spec, stage, problems, MAX_PROBLEMS)
        if problems.count:
            raise Rejected
        seen = _compare(conn, spec, stage, job.target, staged)
        new, changed = seen.new, seen.changed
        result.rows_inserted, result.rows_updated = new, changed
        result.rows_unchanged = staged - new - changed
        if job.dry_run:
            result.status = "prueba"
            trans.rollback()
            return
        _save(conn, job, stage, seen)
        result.status = "cargado"
        result.seconds = time.perf_counter() - job.t0
        _record(conn, result, job.user, job.started, job.extra)
        trans.commit()
    except BaseException:
        if trans.is_active:
            with contextlib.suppress(DBAPIError):  # a dead connection rolls back by itself
                trans.rollback()
        raise
    finally:
        if not postgres:
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS temp."{stage_name}"')
            conn.commit()


LOST = (
    "Se perdió la conexión con la base de datos durante la carga: la transacción no "
    "se completó y no se guardó ninguna fila. Vuelva a intentarlo cuando la base responda."
)
UNREACHABLE = (
    "No se pudo conectar con la base de datos: no se leyó el archivo ni cambió nada. "
    "Vuelva a intentarlo cuando la base responda."
)


def _first_line(exc: BaseException) -> str:
    return (str(getattr(exc, "orig", exc)).strip().splitlines() or [type(exc).__name__])[0][:200]


def _connection_lost(exc: DBAPIError, postgres: bool) -> bool:
    """A broken or refused connection (the outcome is unknown to the server's client), as
    opposed to the database refusing the rows."""
    return bool(exc.connection_invalidated) or (postgres and isinstance(exc, OperationalError))


def _run(engine: Engine, job: _Job) -> None:
    """Take the table's lock, open the attempt's record, load; sets the result's status."""
    result, problems = job.result, job.problems
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as conn:
        lock = try_lock(engine, result.table, conn if postgres else None)
        if lock is None:
            problems.fatal(busy_message(engine, result.table))
            result.status = "rechazado"
            return
        try:
            close_stale_attempts(engine, held=lock)
            result.load_id = open_attempt(
                conn, result.table, result.file_name, result.sha256, job.user
            )
            _load(conn, job)
        except Rejected:
            result.status = "rechazado"
        except ReadError as exc:  # raised while reading chunks
            problems.fatal(str(exc), exc.column, exc.row)
            result.status = "rechazado"
        finally:
            lock.release()


def _outcome(engine: Engine, job: _Job) -> None:
    """Run the load and turn every failure into the result's status and a Spanish problem."""
    result, problems = job.result, job.problems
    postgres = engine.dialect.name == "postgresql"
    try:
        _run(engine, job)
    except DBAPIError as exc:
        if _connection_lost(exc, postgres):
            problems.fatal(LOST if result.load_id is not None else UNREACHABLE)
            result.notes.append(f"Detalle del controlador de la base: {_first_line(exc)}")
            result.status = "interrumpida"
        else:  # the database refused the rows (a constraint): a rejection
            problems.fatal(
                "La base de datos rechazó la carga y no guardó nada: " + _first_line(exc)
            )
            result.status = "rechazado"
    except Exception as exc:
        problems.fatal(
            f"Error inesperado al importar ({type(exc).__name__}); no se guardó nada. "
            "Avise al equipo de Mirador con el archivo."
        )
        result.status = "rechazado"


def _finish(engine: Engine, job: _Job) -> None:
    """Counts of a refused load, and the attempt's record when the load did not write it."""
    result, problems = job.result, job.problems
    result.problems = problems.frame()
    result.problem_count = problems.count
    if result.status in ("rechazado", "interrumpida"):
        result.rows_rejected = len(problems.rows) or result.rows_read
        result.rows_inserted = result.rows_updated = result.rows_unchanged = 0
    result.seconds = time.perf_counter() - job.t0
    if result.status == "cargado":
        return
    opened = result.load_id is not None
    try:
        with engine.begin() as conn:
            _record(conn, result, job.user, job.started, job.extra)
        if result.status == "interrumpida" and opened:
            result.notes.append("El intento quedó registrado como interrumpido.")
    except DBAPIError:
        result.notes.append(
            "La base de datos no responde: el intento quedó registrado «en curso» y la próxima "
            "carga de esta tabla o la página Importar datos lo marcarán como interrumpido (con "
            "su evento de auditoría) cuando vuelva a responder."
            if opened
            else "La base de datos no responde: este intento no quedó registrado."
        )


def import_file(
    engine: Engine,
    table: str,
    source: str | Path | bytes | BinaryIO,
    *,
    file_name: str | None = None,
    user: User = SYSTEM_USER,
    dry_run: bool = False,
    encoding: str | None = None,
    sep: str | None = None,
    progress: Progress | None = None,
    chunk_rows: int = CHUNK_ROWS,
    refresh: bool = True,
    as_of: dt.date | None = None,
    limits: ImportLimits | None = None,
    date_order: str | None = None,
    two_digit_years: bool = False,
    profile: str | None = None,
    profile_params: dict[str, str] | None = None,
) -> ImportResult:
    """Validate ``source`` against the contract of ``table`` and, if clean, load it.

    Never raises for a bad file, a busy table or a lost connection: the result says what
    happened in Spanish, and the attempt is recorded (lib/ingest/attempts.py). ``limits``
    default to the environment's (lib/ingest/limits.py); a bad setting raises SettingError
    (Spanish, naming the variable) before anything is read or recorded. A user the policy
    does not let import gets NotPermitted before anything is read, recorded or locked.

    ``date_order`` (``"dmy"`` or ``"mdy"``) states the day/month order of every date column;
    without it each column's order is detected from all its values and a column that does
    not show it is refused (lib/ingest/dates.py). ``two_digit_years`` allows ``9/10/13``.
    Dates after ``as_of`` (today when not given) are problems.

    ``profile`` names a column-mapping profile (lib/ingest/profiles.py) that turns a known
    source layout into this table's contract, with ``profile_params`` for the values every
    row shares; a bad profile or parameter raises ProfileError (Spanish) before anything is
    read or recorded. A profile's stated date order applies unless ``date_order`` is given."""
    require(user, Permission.IMPORT)
    if date_order not in (None, DMY, MDY):
        raise ValueError(f"date_order debe ser dmy o mdy, no «{date_order}»")
    limits = limits or import_limits()
    if table not in SPECS:
        raise ValueError(
            f"La tabla «{table}» no se importa; tablas disponibles: {', '.join(SPECS)}"
        )
    chosen = get_profile(profile, table) if profile else None
    params = chosen.resolve(profile_params) if chosen else {}
    if chosen is not None and date_order is None:
        date_order = chosen.date_order
    if isinstance(source, (str, Path)):
        file_name = file_name or Path(source).name
        fh: BinaryIO = open(source, "rb")  # noqa: SIM115
    elif isinstance(source, (bytes, bytearray)):
        fh = io.BytesIO(bytes(source))
    else:
        fh = source
    file_name = file_name or "archivo"
    try:
        job = _Job(
            spec=SPECS[table],
            target=Base.metadata.tables[table],
            fh=fh,
            user=user,
            dry_run=dry_run,
            encoding=encoding,
            sep=sep,
            step=progress or (lambda _f, _m: None),
            chunk_rows=chunk_rows,
            refresh=refresh,
            as_of=as_of,
            limits=limits,
            result=ImportResult(table, file_name, _sha256(fh)),
            date_order=date_order,
            two_digit_years=two_digit_years,
            profile=chosen,
            profile_params=params,
        )
        if chosen is not None:
            job.result.notes.append(
                f"Leído con el perfil «{chosen.key}» ({chosen.label}); parámetros: "
                + ", ".join(f"{k} = {v}" for k, v in params.items())
                + "."
            )
        _outcome(engine, job)
    finally:
        if isinstance(source, (str, Path)):
            fh.close()
    _finish(engine, job)
    job.step(1.0, "Listo")
    return job.result


__all__ = ["ImportResult", "import_file"]
