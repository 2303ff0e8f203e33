"""The command line: refresh, migrate, a refused seed, on a copy of the tiny database."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import text

from lib.cli import main
from lib.db.engine import make_engine


def _copy(sqlite_tiny: str, tmp_path) -> str:
    src = sqlite_tiny.removeprefix("sqlite:///")
    dst = tmp_path / "cli.db"
    shutil.copy(src, dst)
    return f"sqlite:///{dst}"


def test_refresh_and_migrate(sqlite_tiny, tmp_path, monkeypatch, capsys):
    url = _copy(sqlite_tiny, tmp_path)
    monkeypatch.setenv("MIRADOR_DATABASE_URL", url)
    assert main(["migrate"]) == 0
    assert "Esquema en la revisión" in capsys.readouterr().out
    assert main(["refresh"]) == 0
    out = capsys.readouterr().out
    assert "agg_interaction_month" in out and "campaign_result" in out
    assert "Agregados y resultados de campañas recalculados" in out


def test_seed_refuses_to_replace_real_data(sqlite_tiny, tmp_path, monkeypatch, capsys):
    url = _copy(sqlite_tiny, tmp_path)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE dataset_info SET value = '0' WHERE key = 'is_demo'"))
    engine.dispose()
    monkeypatch.setenv("MIRADOR_DATABASE_URL", url)
    assert main(["seed", "--scale", "tiny", "--seed", "2"]) == 1
    assert "contiene datos reales" in capsys.readouterr().err
    engine = make_engine(url)
    with engine.connect() as conn:  # nothing was replaced
        assert (
            conn.execute(text("SELECT value FROM dataset_info WHERE key = 'seed'")).scalar_one()
            == "1"
        )
    engine.dispose()


def test_loadtest_is_a_command_of_the_cli(capsys):
    """``python -m lib loadtest …`` runs the signed-in load test (issue 20 names it so) with
    every option its own, --help included."""
    from lib.cli import main

    with pytest.raises(SystemExit) as done:
        main(["loadtest", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "--light" in out and "--chromium" in out and "--think" in out
