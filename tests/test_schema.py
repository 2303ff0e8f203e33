"""Schema: alembic is the only way tables are made, it is idempotent, and it matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, select

from lib.db.engine import make_engine
from lib.db.migrate import current_revision, head_revision, upgrade_schema
from lib.db.schema import Base, DatasetInfo


def _fresh_engine(backend: str, tmp_path, request):  # noqa: ANN001
    if backend == "sqlite":
        return make_engine(f"sqlite:///{tmp_path / 'schema.db'}")
    return make_engine(request.getfixturevalue("pg_database_factory")())


def test_upgrade_creates_every_table_and_is_idempotent(db, tmp_path, request):  # noqa: ANN001
    engine = _fresh_engine(db.name, tmp_path, request)
    upgrade_schema(engine)
    with engine.begin() as conn:
        conn.execute(insert(DatasetInfo).values(key="sentinel", value="keep me"))
    upgrade_schema(engine)  # second run: no error, no data lost
    assert current_revision(engine) == head_revision()
    names = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= names
    with engine.connect() as conn:
        assert conn.execute(select(DatasetInfo.value)).scalar_one() == "keep me"
    engine.dispose()


def test_migrations_match_the_models(db, tmp_path, request):  # noqa: ANN001
    engine = _fresh_engine(db.name, tmp_path, request)
    upgrade_schema(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], f"models changed without a migration: {diff}"


def test_upgrading_an_older_schema_keeps_its_rows(db, tmp_path, request):  # noqa: ANN001
    """Revision 0001 with data in it, then upgrade to head: nothing is lost."""
    from alembic import command

    from lib.db.migrate import alembic_config

    engine = _fresh_engine(db.name, tmp_path, request)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    with engine.begin() as conn:
        conn.execute(insert(DatasetInfo).values(key="is_demo", value="0"))
    assert current_revision(engine) == "0001"
    upgrade_schema(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert conn.execute(select(DatasetInfo.value)).scalar_one() == "0"
    engine.dispose()
