"""Schema creation and upgrades through alembic, so a schema change never drops user data."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


# alembic's ``context`` and ``op`` are module-level proxies: two upgrades running at once in
# one process (the first start's background growth and a seeding, say) would share them
_one_upgrade_at_a_time = threading.Lock()


def upgrade_schema(engine: Engine) -> None:
    """Bring the schema to the newest revision; a no-op when it already is (idempotent)."""
    if current_revision(engine) == head_revision():
        return
    cfg = alembic_config()
    with _one_upgrade_at_a_time, engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
