"""Where the database is: environment first, then secrets, then the embedded SQLite file."""

from __future__ import annotations

import pytest

from lib.db import engine as eng

ROOT = eng.ROOT


def test_environment_variable_wins(monkeypatch):
    monkeypatch.setenv(eng.ENV_VAR, "postgresql://ana:secreto@db.imss.test/mirador")
    monkeypatch.setattr(eng, "_secrets_url", lambda: "sqlite:///otra.db")
    target = eng.database_target()
    assert target.source == "variable de entorno" and not target.is_default
    assert "secreto" not in target.display and "***" in target.display


def test_secrets_then_default(monkeypatch):
    monkeypatch.delenv(eng.ENV_VAR, raising=False)
    monkeypatch.setattr(eng, "_secrets_url", lambda: "sqlite:///desde_secrets.db")
    assert eng.database_target().source == "secrets"
    monkeypatch.setattr(eng, "_secrets_url", lambda: None)
    target = eng.database_target()
    assert target.is_default
    assert target.url.endswith("data/mirador.db")


def test_postgres_urls_use_psycopg3():
    assert eng.normalise_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert eng.normalise_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"


@pytest.mark.parametrize("bad", ["no es url", "mysql://u@h/db", ""])
def test_unusable_urls_are_explained_in_spanish(bad):
    with pytest.raises(eng.DatabaseConfigError, match="URL|SQLite o PostgreSQL"):
        eng.normalise_url(bad)


def test_secrets_file_read_without_streamlit(monkeypatch, tmp_path):
    """The project's secrets file overrides the user's, as Streamlit reads them; an unreadable
    file is skipped rather than stopping the app."""
    home, project = tmp_path / "home.toml", tmp_path / "project.toml"
    home.write_text('[connections.sql]\nurl = "sqlite:///home.db"\nwrite_url = "sqlite:///w.db"\n')
    project.write_text('[connections.sql]\nurl = "sqlite:///project.db"\n')
    monkeypatch.delenv(eng.ENV_VAR, raising=False)
    monkeypatch.delenv(eng.WRITE_ENV_VAR, raising=False)
    monkeypatch.setattr(eng, "secrets_files", lambda: [home, project])
    target = eng.database_target()
    assert (target.url, target.source) == ("sqlite:///project.db", "secrets")
    assert eng.write_url(target) == "sqlite:///w.db"
    project.write_text("esto no es toml = = =")
    assert eng.database_target().url == "sqlite:///home.db"


def test_no_full_garbage_collection_after_every_script_run(monkeypatch) -> None:
    """Issue 20: Streamlit's default gc.collect(2) after every run was 56 % of an app
    process's CPU under load; the project's config turns it off, as Streamlit reads it."""
    from streamlit import config

    monkeypatch.chdir(ROOT)  # Streamlit reads .streamlit/config.toml of the working directory
    try:
        config.get_config_options(force_reparse=True)
        assert config.get_option("runner.postScriptGC") is False
        assert config.get_option("server.fileWatcherType") == "none"
    finally:
        config.get_config_options(force_reparse=True)
