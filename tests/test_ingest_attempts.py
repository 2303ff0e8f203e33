"""Every import attempt is on record and one load of a table runs at a time (issue 16).

- Two loads of one table at once: one loads, the other is told at once who loads the table
  and since when; never a duplicate-key error.
- A PostgreSQL connection cut mid-load (tests/tcp_proxy.py, after the upsert ran inside the
  load's transaction): no row of the file stays, the CLI and the result say so in Spanish, and
  the attempt ends up «interrumpida» with its audit event once the database answers again.
- A CLI import killed (SIGKILL) mid-load, on SQLite and PostgreSQL: no row stays, and the
  attempt ends up «interrumpida».
Expected row counts come from pandas over the raw file, not from the importer.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from lib.access import User
from lib.audit import audit_events
from lib.cli import main
from lib.db.engine import make_engine
from lib.db.migrate import upgrade_schema
from lib.db.schema import ImportLoad, Patron
from lib.ingest.attempts import close_stale_attempts, try_lock
from lib.ingest.load import import_file
from tests.tcp_proxy import TcpProxy
from tests.test_ingest import GOOD_ROW, PATRON_HEADER, load_examples

ROOT = Path(__file__).resolve().parents[1]


def _patrons_file(n: int, prefix: str = "Z97") -> bytes:
    rows = [GOOD_ROW.replace("Z9900000001", f"{prefix}{i:08d}") for i in range(n)]
    return (PATRON_HEADER + "\n" + "\n".join(rows) + "\n").encode()


def _expected_rows(content: bytes) -> int:
    """The oracle: data rows of the file as pandas reads it."""
    return len(pd.read_csv(io.BytesIO(content), sep=";", dtype=str))


def _count(engine, prefix: str = "Z97") -> int:
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).where(Patron.registro_patronal.like(f"{prefix}%"))
        ).scalar_one()


def _loads(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                ImportLoad.id, ImportLoad.username, ImportLoad.status, ImportLoad.finished_at
            ).order_by(ImportLoad.id)
        ).all()
    return pd.DataFrame(rows, columns=["id", "username", "status", "finished_at"])


@pytest.fixture(params=["sqlite", "postgresql"])
def catalogs_url(request, tmp_path) -> str:
    """A migrated database of the test's own with the example catalogs, on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'c.db'}"
    else:
        url = request.getfixturevalue("pg_database_factory")()
    engine = make_engine(url)
    upgrade_schema(engine)
    load_examples(engine, upto="patron")
    engine.dispose()
    return url


def _closed_within(engine, seconds: float = 15.0) -> int:
    """Sweep until the dead attempt is marked: a PostgreSQL server notices a vanished client
    (and frees its advisory lock) within moments, not instantly."""
    deadline = time.monotonic() + seconds
    while True:
        marked = close_stale_attempts(engine)
        if marked or time.monotonic() > deadline:
            return marked
        time.sleep(0.2)


# ------------------------------------------------------------------------------ one at a time


def test_a_second_load_of_the_same_table_is_told_who_and_since(catalogs_url):
    engine = make_engine(catalogs_url)
    content = _patrons_file(300)
    expected = _expected_rows(content)
    inside, second_done = threading.Event(), threading.Event()
    results = {}

    def hold(_fraction: float, _message: str) -> None:
        if not inside.is_set():  # the first call comes with the lock held and the row open
            inside.set()
            second_done.wait(60)

    def first() -> None:
        results["ana"] = import_file(
            engine,
            "patron",
            content,
            file_name="a.csv",
            user=User("ana", "Ana", "administrador"),
            progress=hold,
            refresh=False,
        )

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(60)
    results["beto"] = import_file(
        engine, "patron", content, file_name="b.csv", user=User("beto", "Beto", "administrador")
    )
    second_done.set()
    thread.join(120)
    a, b = results["ana"], results["beto"]
    assert (a.status, a.rows_inserted) == ("cargado", expected), a.report()
    assert b.status == "rechazado"
    message = b.problems["problema"][0]
    assert re.match(
        r"Otra carga de la tabla patron está en curso desde las \d\d:\d\d por ana; espere", message
    ), message
    assert b.rows_read == 0 and "duplicate" not in b.report().lower()
    assert "pk_" not in b.report()
    assert _count(engine) == expected
    loads = _loads(engine).set_index("username")
    assert loads.loc["ana", "status"] == "cargado" and loads.loc["beto", "status"] == "rechazado"
    engine.dispose()


# ------------------------------------------------------------------------ connection cut (PG)


def test_a_connection_cut_mid_load_saves_nothing_and_is_recorded_as_interrupted(
    pg_database_factory, tmp_path, monkeypatch, capsys
):
    url = pg_database_factory()
    direct = make_engine(url)
    upgrade_schema(direct)
    load_examples(direct, upto="patron")
    proxy = TcpProxy("127.0.0.1", make_url(url).port or 5432)
    proxy.start()
    proxied = make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(False)
    content = _patrons_file(400)
    path = tmp_path / "patrones.csv"
    path.write_bytes(content)

    def cut_after_upsert(fraction: float, _message: str) -> None:
        if fraction >= 0.88:  # the refresh: the upsert already ran inside the transaction
            proxy.stop()

    # through the CLI: a Spanish report and exit code 3, not a psycopg traceback
    monkeypatch.setenv("MIRADOR_DATABASE_URL", proxied)
    monkeypatch.setattr("lib.cli._bar", cut_after_upsert)
    t0 = time.perf_counter()
    code = main(["import", "patron", str(path), "--user", "cli-corte"])
    out, err = capsys.readouterr()
    print(f"\ncut: CLI returned {code} after {time.perf_counter() - t0:.1f} s")
    assert code == 3
    assert "Carga interrumpida: no se guardó nada" in out
    assert "Se perdió la conexión con la base de datos durante la carga" in out
    assert "quedó registrado «en curso»" in out
    assert "Traceback" not in out + err
    assert _count(direct) == 0  # nothing of the file stayed
    loads = _loads(direct)
    assert loads.iloc[-1]["status"] == "en curso"  # the database could not be told
    # the database answers again: the next look marks the attempt and writes its audit event
    proxy.start()
    assert _closed_within(direct) == 1
    last = _loads(direct).iloc[-1]
    assert (last["username"], last["status"]) == ("cli-corte", "interrumpida")
    event = audit_events(direct, action="import", limit=1).iloc[0]
    assert event["details"]["estado"] == "interrumpida" and event["username"] == "cli-corte"
    assert event["details"]["carga"] == last["id"]
    # and the same file then loads whole through the proxy
    engine = make_engine(proxied)
    r = import_file(engine, "patron", content, refresh=False)
    assert (r.status, r.rows_inserted) == ("cargado", _expected_rows(content)), r.report()
    assert _count(direct) == _expected_rows(content)
    engine.dispose()
    proxy.stop()
    direct.dispose()


# ------------------------------------------------------------------------------ process killed

KILLED = """
import sys, time
import lib.ingest.load as load

def stuck(*_args, **_kwargs):  # the rollup refresh, after the upsert, never ends
    print("REFRESCANDO", flush=True)
    time.sleep(300)

load.refresh_all = stuck
from lib.cli import main
sys.exit(main(["import", "patron", sys.argv[1], "--user", "proceso-muerto"]))
"""


def test_a_killed_import_saves_nothing_and_is_recorded_as_interrupted(catalogs_url, tmp_path):
    content = _patrons_file(400)
    path = tmp_path / "patrones.csv"
    path.write_bytes(content)
    env = {**os.environ, "MIRADOR_DATABASE_URL": catalogs_url}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        for line in proc.stdout:  # type: ignore[union-attr]
            if "REFRESCANDO" in line:
                break
        else:
            pytest.fail("the import ended before reaching the refresh")
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    engine = make_engine(catalogs_url)
    assert _count(engine) == 0
    assert _loads(engine).iloc[-1]["status"] == "en curso"
    assert _closed_within(engine) == 1
    assert _loads(engine).iloc[-1]["status"] == "interrumpida"
    assert close_stale_attempts(engine) == 0  # marked once
    r = import_file(engine, "patron", content, refresh=False)  # the lock is free again
    assert (r.status, r.rows_inserted) == ("cargado", _expected_rows(content)), r.report()
    engine.dispose()


def test_a_live_load_is_not_marked_interrupted(catalogs_url):
    """An «en curso» row whose table lock is held stays «en curso»."""
    engine = make_engine(catalogs_url)
    lock = try_lock(engine, "patron")
    assert lock is not None
    try:
        with engine.begin() as conn:
            conn.execute(
                ImportLoad.__table__.insert().values(
                    started_at=pd.Timestamp.now().to_pydatetime(),
                    username="viva",
                    table_name="patron",
                    file_name="x.csv",
                    file_sha256="0" * 64,
                    status="en curso",
                    details={},
                )
            )
        assert close_stale_attempts(engine) == 0
        r = import_file(
            engine, "patron", _patrons_file(3), user=User("otra", "Otra", "administrador")
        )
        assert "en curso desde las" in r.problems["problema"][0] and "por viva" in r.report()
    finally:
        lock.release()
        if lock.conn is not None:
            lock.conn.close()
    assert close_stale_attempts(engine) == 1
    engine.dispose()
