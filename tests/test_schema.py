"""Schema: alembic is the only way tables are made, it is idempotent, and it matches the models."""

from __future__ import annotations

import datetime as dt

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, select, text

from lib.db.engine import make_engine
from lib.db.migrate import current_revision, head_revision, upgrade_schema
from lib.db.schema import Base, DatasetInfo


def _fresh_engine(backend: str, tmp_path, request):
    if backend == "sqlite":
        return make_engine(f"sqlite:///{tmp_path / 'schema.db'}")
    return make_engine(request.getfixturevalue("pg_database_factory")())


def test_upgrade_creates_every_table_and_is_idempotent(db, tmp_path, request):
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


def test_migrations_match_the_models(db, tmp_path, request):
    engine = _fresh_engine(db.name, tmp_path, request)
    upgrade_schema(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], f"models changed without a migration: {diff}"


def test_upgrading_an_older_schema_keeps_its_rows(db, tmp_path, request):
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
            conn.execute(
                text(
                    "SELECT contacts, repeat_30d, resolution_known, cost_known, followable "
                    "FROM agg_interaction_month"
                )
            ).one()
        ) == (7, 0, 7, 7, 7)
        assert tuple(
            conn.execute(
                text("SELECT responses, csat_sq_sum, effort_sq_sum FROM agg_survey_month")
            ).one()
        ) == (3, 0, 0)
    engine.dispose()


def test_migration_0008_adds_an_empty_campaign_result_to_a_0007_database(db, tmp_path, request):
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


def test_migration_0012_keeps_contacts_and_backfills_seconds(db, tmp_path, request):
    """A database at 0011 holding contacts (one with a wait, one online with none) and their
    rollup: the upgrade keeps every row, backfills the seconds from the minutes, marks them
    attended contacts of a patron, and then takes an anonymous abandoned call."""
    from alembic import command

    from lib.db.migrate import alembic_config

    engine = _fresh_engine(db.name, tmp_path, request)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0011")
    catalogs = [
        "INSERT INTO ooad (id, name, kind) VALUES (14, 'Jalisco', 'estatal')",
        "INSERT INTO subdelegacion (id, ooad_id, code, name) VALUES (1439, 14, 39, 'Libertad')",
        "INSERT INTO channel (id, name, kind, is_digital, unit_cost, sort_order) VALUES "
        "('contact_center', 'Contact center', 'telefónico', false, 55, 1), "
        "('en_linea', 'En línea', 'digital', true, 6, 2)",
        "INSERT INTO procedure (id, name, online_capable) VALUES ('alta', 'Alta', true)",
        "INSERT INTO economic_division (id, name) VALUES (8, 'Servicios')",
        "INSERT INTO size_band (id, name, min_jobs, max_jobs) VALUES ('S1', '1', 1, 1)",
        "INSERT INTO patron (id, registro_patronal, rfc, subdelegacion_id, economic_division_id, "
        "size_band_id, workers, risk_class, registered_on, persona, use_competence) VALUES "
        "(1, 'Z0000000001', NULL, 1439, 8, 'S1', 1, 1, '2020-01-01', 'moral', false)",
    ]
    contact = (
        "INSERT INTO interaction (id, patron_id, subdelegacion_id, channel_id, procedure_id, "
        "started_at, day, month, iso_week, wait_minutes, handle_minutes, "
        "resolved_first_contact, cost) VALUES (:id, 1, 1439, :ch, 'alta', "
        "'2026-03-02 10:00:00', '2026-03-02', '2026-03-01', 202610, :w, 2.5, true, 55)"
    )
    with engine.begin() as conn:
        for statement in catalogs:
            conn.execute(text(statement))
        conn.execute(text(contact), [{"id": 1, "ch": "contact_center", "w": 0.1}])
        conn.execute(text(contact), [{"id": 2, "ch": "en_linea", "w": 0.0}])
        conn.execute(
            text(
                "INSERT INTO agg_interaction_month (month, subdelegacion_id, channel_id, "
                "procedure_id, size_band_id, ooad_id, contacts, resolved_first, "
                "wait_minutes_sum, handle_minutes_sum, cost_sum, repeat_30d) VALUES "
                "('2026-03-01', 1439, 'contact_center', 'alta', 'S1', 14, 1, 1, 0.1, 2.5, 55, 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO agg_interaction_unit_month (month, subdelegacion_id, channel_id, "
                "size_band_id, ooad_id, contacts, resolved_first, wait_minutes_sum, "
                "handle_minutes_sum, cost_sum, repeat_30d) VALUES "
                "('2026-03-01', 1439, 'contact_center', 'S1', 14, 1, 1, 0.1, 2.5, 55, 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO agg_interaction_day (day, subdelegacion_id, channel_id, ooad_id, "
                "month, contacts, resolved_first) VALUES "
                "('2026-03-02', 1439, 'contact_center', 14, '2026-03-01', 2, 1)"
            )
        )
        # minute histograms: a zero wait (bin 0), a recorded wait and a zero handling time
        for table, keys in (
            ("agg_interaction_time_month", ("subdelegacion_id", "ooad_id")),
            ("agg_interaction_time_national_month", ()),
        ):
            cols = ", ".join(("month", "channel_id", "size_band_id", *keys))
            vals = ", ".join(("'2026-03-01'", "'en_linea'", "'S1'", *(["1439", "14"][: len(keys)])))
            for measure, b, n in (("wait", 0, 4), ("wait", 3, 2), ("handle", 0, 5)):
                conn.execute(
                    text(
                        f"INSERT INTO {table} ({cols}, measure, bin, contacts) "
                        f"VALUES ({vals}, '{measure}', {b}, {n})"
                    )
                )
    upgrade_schema(engine)
    assert current_revision(engine) == head_revision()
    query = (
        "SELECT id, patron_id, outcome, caller_kind, wait_seconds, handle_seconds, "
        "wait_minutes, cost FROM interaction ORDER BY id"
    )
    with engine.begin() as conn:
        rows = [tuple(r) for r in conn.execute(text(query))]
        assert rows[0][:4] == (1, 1, "atendido", "patron")
        assert abs(rows[0][4] - 6.0) < 1e-9 and abs(rows[0][5] - 150.0) < 1e-9
        # an online contact had no queue: its zero wait does not become a queued contact
        assert rows[1][:4] == (2, 1, "atendido", "patron") and rows[1][4] is None
        assert conn.execute(text("SELECT contacts FROM agg_interaction_month")).scalar_one() == 1
        # before 0012 every contact carried its resolution: all of them are known
        for table in ("agg_interaction_month", "agg_interaction_unit_month", "agg_interaction_day"):
            query = f"SELECT contacts, resolution_known FROM {table}"
            contacts, known = conn.execute(text(query)).one()
            assert known == contacts > 0, table
        # nor a cost and a patron: the denominators of cost per contact and recontact
        for table in ("agg_interaction_month", "agg_interaction_unit_month"):
            query = f"SELECT contacts, cost_known, followable FROM {table}"
            contacts, cost_known, followable = conn.execute(text(query)).one()
            assert cost_known == followable == contacts > 0, table
        # a zero wait is no longer a recorded wait (its seconds stay NULL): out of the
        # histograms; recorded waits and every handling time stay
        for table in ("agg_interaction_time_month", "agg_interaction_time_national_month"):
            query = f"SELECT measure, bin, contacts FROM {table} ORDER BY measure, bin"
            assert [tuple(r) for r in conn.execute(text(query))] == [
                ("handle", 0, 5),
                ("wait", 3, 2),
            ], table
        assert conn.execute(text("SELECT count(*) FROM agg_queue_wait_month")).scalar_one() == 0
        # the revised contract: an anonymous abandoned call without cost or resolution
        conn.execute(
            text(
                "INSERT INTO interaction (id, patron_id, subdelegacion_id, channel_id, "
                "procedure_id, started_at, day, month, iso_week, wait_minutes, "
                "handle_minutes, outcome, caller_kind, wait_seconds) VALUES (3, NULL, 1439, "
                "'contact_center', 'alta', '2026-03-02 11:00:00', '2026-03-02', "
                "'2026-03-01', 202610, 0.5, 0, 'abandonado', 'anonimo', 30)"
            )
        )
    engine.dispose()
