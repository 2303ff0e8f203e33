"""The dataset generation (lib/db/generation.py) and what it lets a page view skip.

The version every cache is keyed on used to be made of one-second timestamps only: two loads
within one second left it unchanged. Each write of data now moves a counter on, and
``dataset_meta`` reuses its derived facts (which tables hold rows, which months) for an
unchanged version: one read of dataset_info per view instead of about a dozen. These tests
write facts in quick succession — well inside one second — and compare the derived facts
with a count made by hand over the tables, without ever clearing the memo."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import delete, event, func, select, text

from lib.access import SYSTEM_USER
from lib.db.engine import make_engine
from lib.db.generation import GENERATION_KEY
from lib.db.migrate import upgrade_schema
from lib.db.schema import Base, DatasetInfo, Orientation
from lib.ingest.contract import IMPORT_ORDER
from lib.ingest.load import import_file
from lib.queries.meta import FACT_TABLES, dataset_meta
from lib.refresh import refresh_all
from lib.users import local_sign_in_enabled, save_user

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "examples"
CATALOGS = [t for t in IMPORT_ORDER if t not in FACT_TABLES]


@pytest.fixture(params=["sqlite", "postgresql"])
def catalogs_only(request: pytest.FixtureRequest, tmp_path: Path):
    """A migrated database of the test's own holding the example catalogs and no facts."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'generation.db'}"
    else:
        url = request.getfixturevalue("pg_database_factory")()
    engine = make_engine(url)
    upgrade_schema(engine)
    for table in CATALOGS:
        assert import_file(engine, table, EXAMPLES / f"{table}.csv", refresh=False).status == (
            "cargado"
        )
    yield engine
    engine.dispose()


def _generation(engine) -> int:
    with engine.connect() as conn:
        value = conn.execute(
            select(DatasetInfo.value).where(DatasetInfo.key == GENERATION_KEY)
        ).scalar_one_or_none()
    return int(value or 0)


def _tables_with_rows(engine) -> frozenset[str]:
    """The oracle: a plain count per fact table."""
    with engine.connect() as conn:
        return frozenset(
            name
            for name in FACT_TABLES
            if conn.execute(select(func.count()).select_from(Base.metadata.tables[name])).scalar()
        )


def _statements(engine):
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    return seen, lambda: event.remove(engine, "before_cursor_execute", record)


def test_every_load_moves_the_version_on_even_within_one_second(catalogs_only) -> None:
    engine = catalogs_only
    loads = [t for t in IMPORT_ORDER if t in ("patron", "interaction", "complaint")]
    versions = [dataset_meta(engine).version]
    generations = [_generation(engine)]
    started = dt.datetime.now()
    for i, table in enumerate(loads):
        r = import_file(engine, table, EXAMPLES / f"{table}.csv", refresh=i == len(loads) - 1)
        assert r.status == "cargado", r.report()
        meta = dataset_meta(engine)  # the memo of the previous version is never cleared
        versions.append(meta.version)
        generations.append(_generation(engine))
        assert meta.loaded == _tables_with_rows(engine), table
    # each load moves it on; the last one's refresh once more
    assert generations[1:] == [generations[0] + 1, generations[0] + 2, generations[0] + 4]
    assert len(set(versions)) == len(versions)
    # the stamps alone could not tell some of these apart when loads share a second
    assert (dt.datetime.now() - started).total_seconds() < 60


def test_facts_deleted_and_refreshed_by_hand_show_at_the_next_view(catalogs_only) -> None:
    engine = catalogs_only
    for table in ("patron", "orientation"):
        assert import_file(engine, table, EXAMPLES / f"{table}.csv").status == "cargado"
    before = dataset_meta(engine)
    assert "orientation" in before.loaded and before.months
    with engine.connect() as conn:
        months = conn.execute(select(func.count(func.distinct(Orientation.month)))).scalar()
    assert len(before.months) >= months  # the months span every orientation's month
    with engine.begin() as conn:  # what a DBA does: delete, then refresh (docs/import.md)
        conn.execute(delete(Orientation))
        refresh_all(conn)
    after = dataset_meta(engine)
    assert after.version != before.version
    assert after.loaded == _tables_with_rows(engine) == frozenset({"patron"})
    assert after.months == ()  # patrons alone have no months


def test_an_unchanged_version_costs_one_statement(catalogs_only) -> None:
    engine = catalogs_only
    assert import_file(engine, "patron", EXAMPLES / "patron.csv").status == "cargado"
    first = dataset_meta(engine)  # fills the memo
    seen, stop = _statements(engine)
    try:
        again = dataset_meta(engine)
    finally:
        stop()
    assert again == first
    assert len(seen) == 1 and "dataset_info" in seen[0]


def test_a_new_database_at_the_same_address_is_read_afresh(tmp_path: Path) -> None:
    """A file replaced under the same URL (a re-seed by another process) has a version of
    its own: the memo is not trusted across versions."""
    url = f"sqlite:///{tmp_path / 'same.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    for table in CATALOGS:
        import_file(engine, table, EXAMPLES / f"{table}.csv", refresh=False)
    import_file(engine, "patron", EXAMPLES / "patron.csv")
    assert dataset_meta(engine).loaded == {"patron"}
    with engine.begin() as conn:  # another writer, outside lib: the generation goes back
        conn.execute(delete(Base.metadata.tables["patron"]))
        conn.execute(text("UPDATE dataset_info SET value = '0' WHERE key = 'generation'"))
    # a different version (the counter differs), so the derived facts are read again
    assert dataset_meta(engine).loaded == frozenset()
    engine.dispose()


def test_sign_in_switches_on_at_once_and_is_then_remembered(catalogs_only) -> None:
    engine = catalogs_only
    assert local_sign_in_enabled(engine) is False
    assert local_sign_in_enabled(engine) is False  # "off" is never remembered
    save_user(engine, SYSTEM_USER, "ana", "Ana", "titular", password="una-clave-larga")
    assert local_sign_in_enabled(engine) is True  # the first account applies at once
    seen, stop = _statements(engine)
    try:
        assert local_sign_in_enabled(engine) is True
    finally:
        stop()
    assert seen == []
    save_user(engine, SYSTEM_USER, "ana", "Ana", "titular", active=False, password=None)
    assert local_sign_in_enabled(engine) is False  # deactivated here: asked again


def test_a_load_keeps_the_recorded_row_counts_true(catalogs_only) -> None:
    """A load refreshes from its first month and no longer recounts the fact tables (24 s
    for 24 million contacts): it adds the rows it inserted. The oracle is a plain count."""
    engine = catalogs_only
    assert import_file(engine, "patron", EXAMPLES / "patron.csv").status == "cargado"  # full
    r = import_file(engine, "interaction", EXAMPLES / "interaction.csv")  # partial refresh
    assert r.status == "cargado" and r.rows_inserted > 0
    with engine.connect() as conn:
        recorded = dict(
            conn.execute(
                select(DatasetInfo.key, DatasetInfo.value).where(DatasetInfo.key.like("rows.%"))
            ).all()
        )
        counted = {
            f"rows.{name}": str(
                conn.execute(select(func.count()).select_from(Base.metadata.tables[name])).scalar()
            )
            for name in ("patron", "interaction")
        }
    assert {k: recorded.get(k) for k in counted} == counted
