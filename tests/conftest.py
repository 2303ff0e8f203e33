"""Shared fixtures: a real tiny demo database on SQLite and, when reachable, on PostgreSQL.

Every data-access test takes the ``db`` fixture, which is parametrised over both backends.
PostgreSQL tests are skipped when no server answers, unless MIRADOR_REQUIRE_POSTGRES=1 (CI),
in which case they fail.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from lib.db.engine import make_engine
from lib.demo.seed import seed, seed_sqlite_file

TINY_SEED = 1
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Db:
    name: str  # sqlite | postgresql
    url: str
    engine: Engine


def _pg_admin_url() -> str | None:
    return os.environ.get("MIRADOR_TEST_POSTGRES_URL") or (
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )


def _pg_unavailable(reason: str) -> None:
    if os.environ.get("MIRADOR_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL es obligatorio aquí y no está disponible: {reason}")
    pytest.skip(f"PostgreSQL no disponible: {reason}")


@pytest.fixture(scope="session")
def sqlite_tiny(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("sqlite") / "tiny.db"
    seed_sqlite_file(path, "tiny", TINY_SEED)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """Admin URL of a reachable PostgreSQL server (or skip/fail)."""
    admin = _pg_admin_url()
    try:
        eng = create_engine(admin, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
    except Exception as exc:
        _pg_unavailable(str(exc).splitlines()[0])
    yield admin


@pytest.fixture(scope="session")
def pg_database_factory(pg_server: str) -> Iterator:
    """Creates throwaway databases on the server; drops them all at the end."""
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    created: list[str] = []

    def make() -> str:
        name = f"mirador_test_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return make_url(pg_server).set(database=name).render_as_string(hide_password=False)

    yield make
    with admin.connect() as conn:
        for name in created:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_tiny(pg_database_factory) -> str:
    url = pg_database_factory()
    engine = make_engine(url)
    seed(engine, "tiny", TINY_SEED)
    engine.dispose()
    return url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest) -> Iterator[Db]:
    """The tiny demo institute, on each backend."""
    url = request.getfixturevalue("sqlite_tiny" if request.param == "sqlite" else "pg_tiny")
    engine = make_engine(url)
    yield Db(request.param, url, engine)
    engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_streamlit_caches() -> Iterator[None]:
    """st.cache_data survives across AppTest instances in one process: start clean."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield


@pytest.fixture(scope="session")
def sqlite_demo(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    """The demo-scale institute (50,000 patrons): for the analyses whose acceptance is stated
    on the demo data (detection power needs its size). Built once per run, SQLite only: under
    pytest-xdist the first worker that needs it seeds it (a few minutes) while the others wait
    on a lock, then each copies it, so a test may write to its own copy.
    ``MIRADOR_TEST_DEMO_SQLITE``: a file already seeded with ``seed --scale demo --seed 7``
    to copy instead of seeding (saves minutes when running a few tests locally)."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    seeded = os.environ.get("MIRADOR_TEST_DEMO_SQLITE")
    if seeded:
        shutil.copyfile(seeded, path)
    elif worker_id == "master":
        seed_sqlite_file(path, "demo", 7)
    else:
        shared = tmp_path_factory.getbasetemp().parent / "demo-seed-7.db"
        with open(shared.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not shared.exists():  # seed_sqlite_file moves the file in place when complete
                seed_sqlite_file(shared, "demo", 7)
        shutil.copyfile(shared, path)
    return f"sqlite:///{path}"


@pytest.fixture
def clean_db(db):
    """The shared tiny database, with the drafts (and their audit events) this test saves
    removed afterwards, so other tests see it as it was."""
    from sqlalchemy import delete, func, select

    from lib.db.schema import AuditEvent, WorkProgram, WorkProgramRevision, WorkProgramTarget

    with db.engine.connect() as conn:
        first_new = (conn.execute(select(func.max(WorkProgram.id))).scalar() or 0) + 1
    yield db
    with db.engine.begin() as conn:
        ids = (
            conn.execute(select(WorkProgram.id).where(WorkProgram.id >= first_new)).scalars().all()
        )
        for model in (WorkProgramTarget, WorkProgramRevision):
            conn.execute(delete(model).where(model.work_program_id.in_(ids)))
        conn.execute(delete(WorkProgram).where(WorkProgram.id.in_(ids)))
        for i in ids:
            conn.execute(
                delete(AuditEvent).where(
                    AuditEvent.action == "draft_save", AuditEvent.target.like(f"programa {i} v%")
                )
            )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def catalogs(request, tmp_path_factory):
    """A migrated database with the example catalogs (no patrons), on each backend, one per
    test module: what the importer tests load patrons into."""
    from lib.db.migrate import upgrade_schema
    from tests.test_ingest import load_examples

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('catalogs') / 'c.db'}"
    else:
        url = request.getfixturevalue("pg_database_factory")()
    engine = make_engine(url)
    upgrade_schema(engine)
    load_examples(engine, upto="patron")
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def own_tiny(request, tmp_path, sqlite_tiny):
    """(backend, engine): a tiny demo institute of the test's own, on each backend, for tests
    that load rows, refresh or re-seed."""
    if request.param == "sqlite":
        path = tmp_path / "own.db"
        path.write_bytes(Path(sqlite_tiny.removeprefix("sqlite:///")).read_bytes())
        engine = make_engine(f"sqlite:///{path}")
    else:
        from lib.demo.seed import seed

        engine = make_engine(request.getfixturevalue("pg_database_factory")())
        seed(engine, "tiny", 3)
    yield request.param, engine
    engine.dispose()


@pytest.fixture
def downloads(monkeypatch) -> dict[str, bytes]:
    """Every file a page offers for download, by file name, as the user would receive it."""
    files: dict[str, bytes] = {}
    original = st.download_button

    def capture(label, data=None, file_name=None, *args, **kwargs):
        content = data() if callable(data) else data
        files[file_name] = content
        return original(label, content, file_name, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", capture)
    monkeypatch.setattr("lib.planning.export.chart_png", lambda *a, **k: None)  # no Chromium
    return files
