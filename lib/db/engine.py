"""Where the shared database is and how to connect to it.

Order of precedence (docs/configuration.md): the ``MIRADOR_DATABASE_URL`` environment
variable, then Streamlit secrets ``[connections.sql] url``, then the embedded SQLite file
``data/mirador.db`` that is created and filled with demo data on first start.
"""

from __future__ import annotations

import os
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_PATH = ROOT / "data" / "mirador.db"
ENV_VAR = "MIRADOR_DATABASE_URL"
WRITE_ENV_VAR = "MIRADOR_WRITE_DATABASE_URL"
READ_ENV_VAR = "MIRADOR_READ_DATABASE_URL"


class DatabaseConfigError(ValueError):
    """The configured database URL cannot be used (message in Spanish, for the user)."""


@dataclass(frozen=True)
class DatabaseTarget:
    url: str
    source: str  # "variable de entorno" | "secrets" | "predeterminada"

    @property
    def is_default(self) -> bool:
        return self.source == "predeterminada"

    @property
    def display(self) -> str:
        """The URL with its password hidden, safe to show on screen and in logs."""
        try:
            return make_url(self.url).render_as_string(hide_password=True)
        except ArgumentError:
            return "(URL ilegible)"


def secrets_files() -> list[Path]:
    """The files Streamlit reads its secrets from, in the order it reads them (a later file
    overrides an earlier one): the user's, then the project's. Read here with tomllib, so the
    database gateway does not import Streamlit (the CLI and the tests never run it)."""
    return [Path.home() / ".streamlit" / "secrets.toml", Path.cwd() / ".streamlit" / "secrets.toml"]


def _secret(key: str) -> str | None:
    """``[connections.sql] <key>`` from the secrets files, or None when no file sets it."""
    value: str | None = None
    for path in secrets_files():
        try:
            with path.open("rb") as handle:
                section = tomllib.load(handle).get("connections", {}).get("sql", {})
        except (OSError, tomllib.TOMLDecodeError):
            continue
        if isinstance(section, dict) and section.get(key):
            value = str(section[key])
    return value


def _secrets_url() -> str | None:
    return _secret("url")


def database_target() -> DatabaseTarget:
    if url := os.environ.get(ENV_VAR, "").strip():
        return DatabaseTarget(url, "variable de entorno")
    if secret := _secrets_url():
        return DatabaseTarget(secret, "secrets")
    return DatabaseTarget(f"sqlite:///{DEFAULT_SQLITE_PATH}", "predeterminada")


def write_url(read: DatabaseTarget) -> str:
    """Where the app writes (audit events, drafts, model runs, imports): a separate role on
    PostgreSQL when ``MIRADOR_WRITE_DATABASE_URL`` (or secrets ``[connections.sql]
    write_url``) is set, so the pages' own connections can be read-only; else the same URL."""
    if url := os.environ.get(WRITE_ENV_VAR, "").strip():
        return url
    return _secret("write_url") or read.url


def read_url() -> str | None:
    """A streaming replica for the pages' cached reads (``MIRADOR_READ_DATABASE_URL``, or
    secrets ``[connections.sql] read_url``), or None. Used only once it has replayed the
    primary's dataset version (lib/db/replica.py); the version itself, live reads and every
    write stay on the primary."""
    if url := os.environ.get(READ_ENV_VAR, "").strip():
        return url
    return _secret("read_url")


def normalise_url(url: str) -> URL:
    """Parse the URL and pick the psycopg 3 driver for plain ``postgresql://`` URLs."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseConfigError(
            f"La URL de la base de datos no es válida: «{url[:60]}». "
            "Revise MIRADOR_DATABASE_URL o [connections.sql] url en secrets; "
            "ejemplo: postgresql://usuario@servidor:5432/mirador"
        ) from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseConfigError(
            f"Mirador funciona con SQLite o PostgreSQL; la URL indica «{parsed.drivername}»."
        )
    return parsed


def make_engine(url: str, connect_timeout: int = 5) -> Engine:
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    engine = create_engine(
        parsed,
        pool_size=5,
        max_overflow=5,
        connect_args={
            "connect_timeout": connect_timeout,
            "application_name": "mirador",
            # No JIT: the pages' queries take milliseconds to a second, and compiling them
            # cost up to 4 s on the 2-core machine at national scale (docs/performance.md).
            "options": "-c jit=off",
        },
    )
    _ping_when_idle(engine)
    return engine


# A pooled connection that sat unused this long is pinged before use; a busier one is not.
# SQLAlchemy's pool_pre_ping pinged on every checkout: a round trip (through PgBouncer) per
# read, 8 % of a page view's time under 50 users (docs/performance.md). Connections are reused
# within seconds under load, and a lost server is still noticed: a failed statement
# invalidates the whole pool (SQLAlchemy's disconnect handling), the page says so, the next
# view connects afresh.
IDLE_PING_S = 10.0


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn, record, _proxy) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_S:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # the pool retries with a new connection
            raise DisconnectionError() from exc
        if not alive:
            raise DisconnectionError()


def default_engine() -> Engine:
    return make_engine(database_target().url)
