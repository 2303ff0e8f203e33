"""The first start's demo institute, grown while the user already reads figures.

Seeding the demo institute (50,000 patrons) and training its orientation model takes a minute
or more; a newcomer who runs ``./mirador run`` should see the overview's figures within
seconds. So the first start seeds the tiny institute (2,000 patrons, a few seconds, model
included) marked ``grows_to = demo`` in dataset_info, shows it, and this module seeds the demo
institute into a file beside it in a background thread, with its own progress, then moves it
in.

Moving it in is one write transaction on the live file (:func:`move_in`): every table of data
is emptied and refilled from the grown file (SQLite copies the b-trees of an empty table with
identical schema page by page: ~13 s for the 750 MB demo on this machine under load), while
what people wrote into the small institute — users, signed-in sessions, work-program drafts,
the audit trail — is kept (the grown file's own audit events are appended). Readers keep
reading the small institute until the commit (WAL), then read the demo; its ``loaded_at``
differs, so every cached query is recomputed. If files were imported into the small institute
meanwhile, nothing is moved in: that data stays, and the message says how to seed the demo by
hand. Pure: no Streamlit (the page shows :func:`current`'s progress).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lib.db.generation import BUMP_SQL
from lib.db.schema import Base

log = logging.getLogger(__name__)

FIRST_SCALE = "tiny"  # what the first start seeds before the first view
GROWS_TO = "grows_to"  # dataset_info key: the scale the first start's institute grows to
# written by people (or kept for them) rather than by the seeding: kept when the demo moves in
KEPT = (
    "app_user",
    "app_session",
    "work_program",
    "work_program_revision",
    "work_program_target",
    "import_load",  # every import attempt stays logged
)
APPENDED = ("audit_event",)  # both sides' rows: the small institute's, then the grown one's


class NotMovedIn(RuntimeError):
    """The live file holds data that the demo must not replace (message in Spanish)."""


@dataclass
class Growth:
    """Progress of the background seeding, read by every session of the process."""

    scale: str
    fraction: float = 0.0
    message: str = "Preparando…"
    done: bool = False
    error: str | None = None
    started: float = field(default_factory=time.monotonic)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started


_lock = threading.Lock()
_current: Growth | None = None


def current() -> Growth | None:
    """The process's growth, running or finished (None: none was started)."""
    return _current


def _columns(conn: sqlite3.Connection, schema: str, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f'PRAGMA {schema}.table_info("{table}")')]


def move_in(live: Path, grown: Path) -> None:
    """Replace the live file's data by the grown file's, in one write transaction, keeping
    what people wrote (:data:`KEPT`, :data:`APPENDED`). Raises :class:`NotMovedIn`, having
    changed nothing but dropping the live file's ``grows_to`` (the decision holds after a
    restart), when files were imported into the live file."""
    conn = sqlite3.connect(live, isolation_level=None, timeout=60)
    try:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("ATTACH DATABASE ? AS grown", (str(grown),))
        conn.execute("BEGIN IMMEDIATE")  # the write lock: no write of a session is lost
        try:
            info = dict(conn.execute("SELECT key, value FROM main.dataset_info").fetchall())
            imported = conn.execute(
                "SELECT 1 FROM main.import_load WHERE rows_inserted + rows_updated > 0 LIMIT 1"
            ).fetchone()
            if info.get("is_demo") != "1" or info.get("demo_with_imports") == "1" or imported:
                # final: the institute stops growing, also after a restart
                conn.execute("DELETE FROM main.dataset_info WHERE key = ?", (GROWS_TO,))
                conn.execute("COMMIT")
                raise NotMovedIn(
                    "Se cargaron archivos en el instituto de arranque; se conservan y no se "
                    "sustituyen por el de demostración. Para usar el instituto de demostración "
                    "completo, detenga la aplicación y ejecute «python -m lib seed --scale demo»."
                )
            conn.execute("PRAGMA defer_foreign_keys=ON")
            tables = [t.name for t in Base.metadata.sorted_tables]
            for name in reversed(tables):
                if name not in KEPT and name not in APPENDED:
                    conn.execute(f'DELETE FROM main."{name}"')
            for name in tables:
                if name in KEPT:
                    continue
                cols = _columns(conn, "grown", name)
                if name in APPENDED:  # new ids after the kept rows
                    cols = [c for c in cols if c != "id"]
                listed = ", ".join(f'"{c}"' for c in cols)
                conn.execute(
                    f'INSERT INTO main."{name}" ({listed}) SELECT {listed} FROM grown."{name}"'
                )
            conn.execute(BUMP_SQL)  # unqualified: main's dataset_info
            conn.execute("COMMIT")
        except NotMovedIn:
            raise
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.close()


def start(
    live: Path,
    scale: str,
    seed_value: int,
    seed_file: Callable[..., object],
    on_moved_in: Callable[[], None] = lambda: None,
) -> Growth:
    """Start growing ``live`` to ``scale`` in a background thread, once per process (a
    second call returns the same :class:`Growth`). ``seed_file``: lib.demo.seed.
    seed_sqlite_file (passed in: seed imports this module). ``on_moved_in``: run after the
    move, e.g. to drop the app's pooled connections."""
    global _current
    with _lock:
        if _current is not None:
            return _current
        growth = _current = Growth(scale)

    def report(fraction: float, message: str) -> None:
        growth.fraction = min(max(fraction, 0.0), 0.97)
        growth.message = message

    def run() -> None:
        grown = live.with_name(f"{live.stem}-{scale}.db")
        try:
            grown.unlink(missing_ok=True)
            seed_file(grown, scale, seed_value, report, force=True, train=True)
            growth.fraction, growth.message = 0.98, "Cambiando al instituto completo"
            move_in(live, grown)
            on_moved_in()
            growth.fraction, growth.message = 1.0, "Listo"
            log.info("demo institute grown to %s and moved in (%.0f s)", scale, growth.seconds)
        except NotMovedIn as exc:
            growth.error = str(exc)
            log.warning("demo institute not moved in: files were imported meanwhile")
        except Exception as exc:  # shown on the page; the small institute keeps working
            growth.error = f"No se pudo preparar el instituto completo: {exc}"
            log.exception("growing the demo institute failed")
        finally:
            for leftover in (grown, Path(f"{grown}-wal"), Path(f"{grown}-shm")):
                leftover.unlink(missing_ok=True)
            growth.done = True

    threading.Thread(target=run, name="mirador-demo-growth", daemon=True).start()
    return growth
