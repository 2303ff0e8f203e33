"""The first start's small institute grows to the demo in the background (issue 20, first
figures fast): the move-in keeps what people wrote, refuses over imported files, and the
thread reports progress to the end. SQLite only: the embedded demo file is SQLite by
definition (with a database URL there is no first start)."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from lib.demo import growth
from lib.demo.seed import seed_sqlite_file


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[Path, Path]:
    """A first start's file (tiny, seed 1, marked to grow) and a 'grown' one (tiny, seed 2:
    different data, same schema), built once; each test copies them."""
    root = tmp_path_factory.mktemp("growth")
    small, grown = root / "small.db", root / "grown.db"
    seed_sqlite_file(small, "tiny", 1, grows_to="demo")
    seed_sqlite_file(grown, "tiny", 2, train=True)
    return small, grown


def _copy(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    return dst


def _one(db: Path, sql: str, *args):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchone()[0]


def _people_wrote(db: Path) -> None:
    now = dt.datetime(2026, 12, 7, 10, 0).isoformat(sep=" ")
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO app_user (username, display_name, role, can_see_identifiers, active, "
            "created_at, updated_at) VALUES ('ana', 'Ana', 'planeador', 0, 1, ?, ?)",
            (now, now),
        )
        conn.execute(
            "INSERT INTO app_session (token_hash, username, created_at, expires_at) "
            "VALUES ('t0k3n', 'ana', ?, ?)",
            (now, now),
        )
        conn.execute(
            "INSERT INTO work_program (id, year, title, status, version, author, created_at, "
            "updated_at) VALUES (1, 2027, 'PAT', 'borrador', 1, 'ana', ?, ?)",
            (now, now),
        )
        conn.execute(
            "INSERT INTO audit_event (at, username, role, action, target, details) "
            "VALUES (?, 'ana', 'planeador', 'export', 'resumen', '{}')",
            (now,),
        )


def test_the_first_start_marks_its_institute_to_grow(files):
    small, _ = files
    assert _one(small, "SELECT value FROM dataset_info WHERE key = 'grows_to'") == "demo"
    assert _one(small, "SELECT value FROM dataset_info WHERE key = 'scale'") == "tiny"


def test_move_in_replaces_the_data_and_keeps_what_people_wrote(files, tmp_path):
    small, grown = files
    live = _copy(small, tmp_path / "mirador.db")
    _people_wrote(live)
    audit_before = _one(live, "SELECT count(*) FROM audit_event")
    grown_audit = _one(grown, "SELECT count(*) FROM audit_event")
    reader = sqlite3.connect(live)  # a session reading while the move happens
    reader.execute("PRAGMA journal_mode=WAL")
    patrons_small = reader.execute("SELECT count(*) FROM patron").fetchone()[0]

    growth.move_in(live, grown)

    # the data is the grown file's, row for row (a hand count on each side)
    for table in ("patron", "interaction", "complaint", "agg_interaction_month", "patron_flag"):
        assert _one(live, f"SELECT count(*) FROM {table}") == _one(
            grown, f"SELECT count(*) FROM {table}"
        ), table
    assert _one(live, "SELECT sum(contacts) FROM agg_interaction_month") == _one(
        grown, "SELECT sum(contacts) FROM agg_interaction_month"
    )
    assert _one(live, "SELECT value FROM dataset_info WHERE key = 'seed'") == "2"
    assert _one(live, "SELECT count(*) FROM dataset_info WHERE key = 'grows_to'") == 0
    assert _one(live, "SELECT count(*) FROM model_run WHERE in_use = 1") == 1
    # what people wrote is still there; the audit trail has both sides
    assert _one(live, "SELECT role FROM app_user WHERE username = 'ana'") == "planeador"
    assert _one(live, "SELECT username FROM app_session WHERE token_hash = 't0k3n'") == "ana"
    assert _one(live, "SELECT title FROM work_program WHERE id = 1") == "PAT"
    assert _one(live, "SELECT count(*) FROM audit_event") == audit_before + grown_audit
    assert _one(live, "SELECT count(*) FROM audit_event WHERE action = 'export'") == 1
    # the reader sees the whole new institute on its next query, never a mix
    assert patrons_small == _one(small, "SELECT count(*) FROM patron")
    assert reader.execute("SELECT count(*) FROM patron").fetchone()[0] == _one(
        grown, "SELECT count(*) FROM patron"
    )
    reader.close()
    with sqlite3.connect(live) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_move_in_refuses_over_imported_files_and_changes_nothing(files, tmp_path):
    small, grown = files
    live = _copy(small, tmp_path / "mirador.db")
    now = dt.datetime(2026, 12, 7, 10, 0).isoformat(sep=" ")
    with sqlite3.connect(live) as conn:
        conn.execute(
            "INSERT INTO import_load (started_at, username, table_name, file_name, "
            "file_sha256, rows_read, rows_inserted, rows_updated, rows_rejected, status, details) "
            "VALUES (?, 'ana', 'complaint', 'q.csv', 'x', 3, 3, 0, 0, 'cargado', '{}')",
            (now,),
        )
    before = _one(live, "SELECT count(*) FROM patron")
    with pytest.raises(growth.NotMovedIn, match="Se cargaron archivos"):
        growth.move_in(live, grown)
    assert _one(live, "SELECT count(*) FROM patron") == before
    assert _one(live, "SELECT value FROM dataset_info WHERE key = 'seed'") == "1"
    # the decision is final: a restart does not grow it again
    assert _one(live, "SELECT count(*) FROM dataset_info WHERE key = 'grows_to'") == 0
    assert _one(live, "SELECT count(*) FROM import_load") == 1


def test_the_thread_grows_moves_in_and_reports(files, tmp_path, monkeypatch):
    small, grown = files
    live = _copy(small, tmp_path / "mirador.db")
    monkeypatch.setattr(growth, "_current", None)
    seen: list[tuple[float, str]] = []
    moved: list[bool] = []

    def fake_seed(path, scale, seed_value, progress, force, train):
        """Stands for seed_sqlite_file at demo scale: the grown file, with progress."""
        assert (scale, force, train) == ("demo", True, True)
        for f in (0.0, 0.5, 1.0):
            progress(f, f"paso {f}")
            seen.append((f, f"paso {f}"))
        shutil.copyfile(grown, path)

    g = growth.start(live, "demo", 7, fake_seed, lambda: moved.append(True))
    assert growth.start(live, "demo", 7, fake_seed) is g  # once per process
    for _ in range(600):
        if g.done:
            break
        time.sleep(0.05)
    assert g.done and g.error is None and g.fraction == 1.0 and moved == [True]
    assert _one(live, "SELECT value FROM dataset_info WHERE key = 'seed'") == "2"
    assert not (tmp_path / "mirador-demo.db").exists()  # the grown file is removed


def test_a_failed_growth_keeps_the_small_institute_and_says_why(files, tmp_path, monkeypatch):
    small, _ = files
    live = _copy(small, tmp_path / "mirador.db")
    monkeypatch.setattr(growth, "_current", None)

    def broken_seed(path, *args, **kwargs):
        raise OSError("disco lleno")

    g = growth.start(live, "demo", 7, broken_seed)
    for _ in range(200):
        if g.done:
            break
        time.sleep(0.05)
    assert g.done and "disco lleno" in (g.error or "")
    assert _one(live, "SELECT value FROM dataset_info WHERE key = 'grows_to'") == "demo"
