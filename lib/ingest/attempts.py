"""One load of a table at a time, and a record of every attempt, even one that died.

Lock. Two loads of the same table at once would both stage, validate and upsert the same keys:
the loser used to fail with a duplicate-key error and count every row as a problem. A load
therefore holds a per-table lock from before it reads the file until its record is closed:

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) keyed on the table, taken
  on the very connection that runs the load, so the lock lives exactly as long as the load's
  session: a killed process or a cut connection ends the session and frees the lock.
- SQLite: an exclusive ``flock`` on a lock file next to the database file
  (``<db>.import-<table>.lock``); the kernel frees it when the process dies. (SQLite serialises
  writers by itself, but the staging and validation before the upsert would still run side by
  side, and the loser would wait on the writer lock and then insert keys the winner inserted.)
  An in-memory database is private to the process: a thread lock suffices.

The second load does not wait: it is told at once who loads the table and since when, so the
person can decide (a load can take minutes).

Record. An ``import_load`` row with status ``en curso`` is written and committed before the file
is read, and closed at the end (``cargado`` in the load's own transaction, ``rechazado`` or
``prueba`` after it). A row still ``en curso`` whose table lock is free belongs to an attempt
that died (process killed, connection cut): the next load of that table, or the import page,
marks it ``interrumpida`` and writes the audit event the attempt could not write.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, insert, select, update

from lib.access import User
from lib.audit import record_event
from lib.db.schema import ImportLoad

T = ImportLoad.__table__
RUNNING = "en curso"
INTERRUPTED = "interrumpida"
_MEMORY_LOCKS: dict[str, threading.Lock] = {}
_MEMORY_GUARD = threading.Lock()


class LoadBusy(Exception):
    """Another load of the table holds its lock; the message (Spanish) says who and since."""


def _advisory_key(table: str) -> int:
    """A stable signed 64-bit key per table (advisory locks are per database)."""
    digest = hashlib.sha256(f"mirador.import:{table}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _sqlite_lock_path(engine: Engine, table: str) -> Path | None:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(f"{Path(database).resolve()}.import-{table}.lock")


@dataclass
class TableLock:
    """A held per-table lock; ``release`` is safe to call on a dead connection."""

    table: str
    conn: Connection | None = None  # PostgreSQL: the session holding the advisory lock
    fd: int | None = None  # SQLite: the flocked lock file
    memory: threading.Lock | None = None

    def release(self) -> None:
        if self.conn is not None:
            try:
                self.conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_advisory_key(self.table)})")
                self.conn.commit()
            except Exception:
                with contextlib.suppress(Exception):
                    self.conn.invalidate()
        if self.fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
        if self.memory is not None:
            self.memory.release()
            self.memory = None


def try_lock(engine: Engine, table: str, conn: Connection | None = None) -> TableLock | None:
    """The table's lock if it is free now, else None. On PostgreSQL it is taken on ``conn``
    (the connection that will run the load), or on a new one."""
    if engine.dialect.name == "postgresql":
        own = conn or engine.connect()
        got = own.exec_driver_sql(
            f"SELECT pg_try_advisory_lock({_advisory_key(table)})"
        ).scalar_one()
        own.commit()  # the session-level lock outlives this transaction
        if got:
            return TableLock(table, conn=own)
        if conn is None:
            own.close()
        return None
    path = _sqlite_lock_path(engine, table)
    if path is None:
        with _MEMORY_GUARD:
            lock = _MEMORY_LOCKS.setdefault(f"{id(engine)}:{table}", threading.Lock())
        return TableLock(table, memory=lock) if lock.acquire(blocking=False) else None
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return TableLock(table, fd=fd)


def busy_message(engine: Engine, table: str) -> str:
    """«Otra carga de la tabla X está en curso desde HH:MM por USUARIO; espere…»."""
    with engine.connect() as conn:
        row = conn.execute(
            select(T.c.started_at, T.c.username)
            .where(T.c.table_name == table, T.c.status == RUNNING)
            .order_by(T.c.id.desc())
            .limit(1)
        ).first()
    since = f" desde las {row.started_at:%H:%M} por {row.username}" if row else ""
    return (
        f"Otra carga de la tabla {table} está en curso{since}; espere a que termine y vuelva "
        "a intentarlo. No se leyó el archivo ni cambió nada."
    )


def open_attempt(
    conn: Connection, table: str, file_name: str, sha256: str, user: User | str
) -> int:
    """Write the ``en curso`` row and commit it, so the attempt is on record before any work."""
    username = user.username if isinstance(user, User) else str(user)
    load_id = conn.execute(
        insert(ImportLoad)
        .values(
            started_at=dt.datetime.now(),
            finished_at=None,
            username=username[:120],
            table_name=table,
            file_name=file_name[:255],
            file_sha256=sha256,
            rows_read=0,
            rows_inserted=0,
            rows_updated=0,
            rows_rejected=0,
            status=RUNNING,
            details={},
        )
        .returning(ImportLoad.id)
    ).scalar_one()
    conn.commit()
    return int(load_id)


def _close_stale(conn: Connection, table: str) -> int:
    """Mark this table's ``en curso`` rows interrupted (caller holds the table's lock) and
    write for each the audit event its attempt never wrote."""
    rows = conn.execute(
        select(T.c.id, T.c.username, T.c.file_name, T.c.file_sha256, T.c.details).where(
            T.c.table_name == table, T.c.status == RUNNING
        )
    ).all()
    now = dt.datetime.now()
    for r in rows:
        details = {**(r.details or {}), "interrumpida": "el proceso o la conexión terminó antes"}
        conn.execute(
            update(ImportLoad)
            .where(ImportLoad.id == r.id, ImportLoad.status == RUNNING)
            .values(status=INTERRUPTED, finished_at=now, details=details)
        )
        record_event(
            conn,
            r.username,
            "import",
            f"{table} ← {r.file_name}"[:200],
            rows=0,
            details={"estado": INTERRUPTED, "sha256": r.file_sha256, "carga": r.id},
        )
    return len(rows)


def close_stale_attempts(engine: Engine, held: TableLock | None = None) -> int:
    """Mark ``interrumpida`` every ``en curso`` attempt whose table lock is free (its process
    or connection died). ``held``: a lock the caller already holds (its table is swept
    without locking again). Returns how many rows were marked."""
    with engine.connect() as conn:
        tables = (
            conn.execute(select(T.c.table_name).where(T.c.status == RUNNING).distinct())
            .scalars()
            .all()
        )
    marked = 0
    for table in tables:
        lock = None if held is not None and held.table == table else try_lock(engine, table)
        if lock is None and (held is None or held.table != table):
            continue  # a live load holds it
        try:
            with engine.begin() as conn:
                marked += _close_stale(conn, table)
        finally:
            if lock is not None:
                lock.release()
                if lock.conn is not None:
                    lock.conn.close()
    return marked


@contextlib.contextmanager
def table_lock(engine: Engine, table: str, conn: Connection | None = None) -> Iterator[TableLock]:
    """Hold the table's lock for the block, or raise LoadBusy (Spanish, who and since)."""
    lock = try_lock(engine, table, conn)
    if lock is None:
        raise LoadBusy(busy_message(engine, table))
    try:
        yield lock
    finally:
        lock.release()
