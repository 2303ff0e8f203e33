"""Schema: alembic is the only way tables are made, it is idempotent, and it matches the models."""

from __future__ import annotations

import datetime as dt

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, select, text

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
    row = {
        "month": dt.date(2026, 1, 1),
        "subdelegacion_id": 1439,
        "channel_id": "ventanilla",
        "procedure_id": "alta_patronal",
        "size_band_id": "S1",
        "ooad_id": 14,
    }
    with engine.begin() as conn:
        conn.execute(insert(DatasetInfo).values(key="is_demo", value="0"))
        # rows in the tables later revisions add columns to
        conn.execute(
            text(
                "INSERT INTO agg_interaction_month (month, subdelegacion_id, channel_id, "
                "procedure_id, size_band_id, ooad_id, contacts, resolved_first, wait_minutes_sum, "
                "handle_minutes_sum, cost_sum) VALUES (:month, :subdelegacion_id, :channel_id, "
                ":procedure_id, :size_band_id, :ooad_id, 7, 5, 1, 1, 1)"
            ),
            row,
        )
        conn.execute(
            text(
                "INSERT INTO agg_survey_month (month, subdelegacion_id, channel_id, procedure_id, "
                "size_band_id, ooad_id, responses, csat_sum, csat_satisfied, nps_promoters, "
                "nps_detractors, effort_sum, courtesy_sum, clarity_sum, timeliness_sum, "
                "solution_sum) VALUES (:month, :subdelegacion_id, :channel_id, :procedure_id, "
                ":size_band_id, :ooad_id, 3, 12, 2, 1, 1, 6, 12, 12, 12, 12)"
            ),
            row,
        )
    assert current_revision(engine) == "0001"
    upgrade_schema(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert conn.execute(select(DatasetInfo.value)).scalar_one() == "0"
        assert tuple(
            conn.execute(text("SELECT contacts, repeat_30d FROM agg_interaction_month")).one()
        ) == (7, 0)
        assert tuple(
            conn.execute(
                text("SELECT responses, csat_sq_sum, effort_sq_sum FROM agg_survey_month")
            ).one()
        ) == (3, 0, 0)
    engine.dispose()


def test_migration_0008_adds_an_empty_campaign_result_to_a_0007_database(db, tmp_path, request):  # noqa: ANN001
    """A database at 0007 with a campaign: the upgrade keeps it and adds campaign_result,
    empty (the page computes live until the next refresh), whose JSON column takes a stored
    result on both backends."""
    from alembic import command

    from lib.db.migrate import alembic_config
    from lib.db.schema import Campaign, CampaignResult, Channel

    engine = _fresh_engine(db.name, tmp_path, request)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0007")
    assert "campaign_result" not in inspect(engine).get_table_names()
    campaign = {
        "id": 7,
        "code": "REG-2026-03",
        "name": "Cartas",
        "kind": "regularizacion",
        "channel_id": "impresos",
        "assignment": "dirigida",
        "start_month": dt.date(2026, 3, 1),
        "end_month": dt.date(2026, 6, 1),
        "cost": 10.0,
        "description": "",
    }
    with engine.begin() as conn:
        conn.execute(
            insert(Channel).values(
                id="impresos", name="Impresos", kind="impreso", is_digital=False, unit_cost=1.0
            )
        )
        conn.execute(insert(Campaign).values(**campaign))
    upgrade_schema(engine)
    assert current_revision(engine) == head_revision()
    result = {"format": 1, "effects": {"on_time": {"effect": 0.06, "p_value": None}}}
    with engine.begin() as conn:
        assert conn.execute(select(Campaign.code)).scalar_one() == "REG-2026-03"
        assert conn.execute(select(CampaignResult.campaign_id)).all() == []
        conn.execute(
            insert(CampaignResult).values(
                campaign_id=7, computed_at=dt.datetime(2026, 12, 1, 9), seconds=1.5, result=result
            )
        )
    with engine.connect() as conn:
        assert conn.execute(select(CampaignResult.result)).scalar_one() == result
    engine.dispose()
