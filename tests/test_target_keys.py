"""Targets of the work program name their indicator by key (issue 19): the catalog is the
baseline's, a saved label finds its key (or stays flagged), the grid offers the catalog, a
save stores the key in the SQL mirror, and revision 0013 backfills keys of rows saved before.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from alembic import command
from sqlalchemy import text

from lib.access import User
from lib.db.engine import make_engine
from lib.db.migrate import alembic_config, current_revision, head_revision, upgrade_schema
from lib.metrics import INDICATORS
from lib.planning import drafts as dr
from lib.planning.editor import fold_edits, working_copy
from lib.planning.targets import key_for, program_indicators, unmatched, with_keys
from lib.planning.validation import DraftInvalid, validate_targets

NAMES = {"ventanilla": "Ventanilla única", "en_linea": "Servicios en línea"}
CATALOG = program_indicators(NAMES)
ANA = User("ana", "Ana", "planeador")
MEASURED = pd.DataFrame({"code": ["A"], "name": ["a"], "cost": [100.0]})


def test_catalog_keys_are_the_semantic_layers_where_they_exist():
    layer = {p.key: p.metric for p in CATALOG.values() if p.metric is not None}
    assert all(m in INDICATORS for m in layer.values())
    assert layer["fcr"] == "fcr" and layer["contacts_ventanilla"] == "contacts"
    assert CATALOG["contacts_en_linea"].channel_id == "en_linea"
    # the program's own measures are not ratios of rollups
    assert {k for k, p in CATALOG.items() if p.metric is None} == {
        "campaigns",
        "campaign_return",
        "oriented",
    }
    # a share is set in percent, as the page shows it
    assert CATALOG["csat"].unit == "%" and CATALOG["collection_on_time"].unit == "MXN"


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("Participación digital", "digital_share"),
        ("  participacion   DIGITAL ", "digital_share"),  # case, accents, spaces folded
        ("Satisfacción (CSAT 4-5)", "csat"),  # the label drafts were saved with before
        ("Recaudación pagada a tiempo", "collection_on_time"),
        ("Contactos: Ventanilla única", "contacts_ventanilla"),
        ("fcr", "fcr"),  # a key typed as such
        ("Contactos", None),  # the bare label is ambiguous: total or a channel? not guessed
        ("Meta inventada", None),
        ("", None),
        (None, None),
    ],
)
def test_a_label_finds_its_key_or_none(label, key):
    assert key_for(label, CATALOG.values()) == key


def test_with_keys_fills_a_new_row_and_keeps_a_saved_baseline():
    saved = pd.DataFrame(
        [
            # a draft saved before keys: its label is recognised, its saved baseline kept
            {
                "indicator": "Satisfacción (CSAT 4-5)",
                "unit": "%",
                "baseline": 81.0,
                "owner_unit": "Otra unidad",
            },
            # a free-text target: kept, flagged, no key
            {"indicator": "Meta inventada", "unit": "eventos", "baseline": None, "owner_unit": "X"},
            # a row the planner just added by choosing an indicator
            {
                "indicator": "Patrones orientados",
                "unit": None,
                "baseline": None,
                "owner_unit": None,
            },
        ]
    )
    out = with_keys(saved, CATALOG, {"csat": 79.5, "oriented": 1234.0})
    assert out["key"].tolist() == ["csat", None, "oriented"]
    assert out["indicator"].tolist()[0] == "Satisfacción (CSAT)"  # today's label
    assert out["baseline"].tolist()[0] == 81.0 and out["owner_unit"].tolist()[0] == "Otra unidad"
    assert out.iloc[2][["unit", "baseline", "owner_unit"]].tolist() == [
        "patrones",
        1234.0,
        "División de Servicios Subdelegacionales",
    ]
    assert unmatched(out) == ["Meta inventada"]


def _new_work() -> dict:
    initial = pd.DataFrame(
        [
            {
                "indicator": CATALOG["fcr"].label,
                "key": "fcr",
                "unit": "%",
                "baseline": 70.0,
                "owner_unit": "División de Servicios Subdelegacionales",
            },
        ]
    )
    return working_copy(2027, NAMES, {}, MEASURED, initial, None, {"fcr": 70.0, "csat": 79.5})


def test_the_grid_offers_the_catalog_and_refuses_anything_else():
    work = _new_work()
    assert work["options"]["targets"]["indicator"] == [p.label for p in CATALOG.values()]
    fold_edits(
        work,
        "targets",
        {"added_rows": [{"indicator": "Satisfacción (CSAT)"}, {"indicator": "Lo que sea"}]},
    )
    t = work["targets"]
    assert t["key"].tolist() == ["fcr", "csat"]  # the row with no valid cell is not added
    assert t.iloc[1][["unit", "baseline"]].tolist() == ["%", 79.5]
    assert any(
        "Lo que sea" in p and "no es una de las opciones" in p
        for p in work["edit_problems"]["targets"]
    )
    # changing a row's indicator changes its key and takes the new indicator's baseline
    fold_edits(work, "targets", {"edited_rows": {0: {"indicator": "Participación digital"}}})
    first = work["targets"].iloc[0]
    assert first["key"] == "digital_share" and first["unit"] == "%"
    assert pd.isna(first["baseline"])  # not fcr's 70.0: no baseline known for it here
    # the key column is locked
    fold_edits(work, "targets", {"edited_rows": {0: {"key": "csat"}}})
    assert work["targets"].iloc[0]["key"] == "digital_share"
    assert any("Clave: no se edita" in p for p in work["edit_problems"]["targets"])


def _row(indicator: str, key: str | None) -> dict:
    return {
        "indicator": indicator,
        "key": key,
        "unit": "%",
        "target": 50.0,
        "owner_unit": "División de Servicios Subdelegacionales",
    }


def test_validation_checks_keys_and_duplicates_by_key():
    rows = validate_targets([_row("Resolución al primer contacto", "fcr")], 2027, CATALOG)
    assert rows[0]["key"] == "fcr"
    with pytest.raises(DraftInvalid) as exc:
        validate_targets([_row("X", "no_such_key")], 2027, CATALOG)
    assert "Clave: «no_such_key» no es un indicador del programa" in exc.value.problems[0]
    with pytest.raises(DraftInvalid) as exc:
        validate_targets([_row("A", "fcr"), _row("B", "fcr")], 2027, CATALOG)
    assert "Fila 2 (B): el indicador ya está en la fila 1" in exc.value.problems
    # a row without a key (a label saved before keys) is kept
    assert validate_targets([_row("Meta inventada", None)], 2027, CATALOG)[0]["key"] is None


def test_a_save_stores_the_key_in_the_sql_mirror(clean_db):
    content = dr.prepare_content(
        2027,
        "PAT con claves",
        "borrador",
        None,
        [_row("Resolución al primer contacto", "fcr"), _row("Meta inventada", None)],
        keys=CATALOG,
    )
    d = dr.create_draft(clean_db.engine, ANA, content)
    with clean_db.engine.connect() as conn:
        mirror = conn.execute(
            text(
                "SELECT indicator, indicator_key FROM work_program_target "
                "WHERE work_program_id = :d ORDER BY indicator"
            ),
            {"d": d.id},
        ).all()
    assert [list(r) for r in mirror] == [
        ["Meta inventada", None],
        ["Resolución al primer contacto", "fcr"],
    ]
    assert [
        k if isinstance(k, str) else None
        for k in dr.load_draft(clean_db.engine, d.id).targets["key"]
    ] == ["fcr", None]


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.db'}"
    return request.getfixturevalue("pg_database_factory")()


def test_0013_backfills_keys_from_saved_labels(empty_url):
    """A database at 0012 with targets saved by label upgrades: each recognised label gets
    its key (today's labels, earlier ones, a channel's contacts), the rest stay NULL, and
    no row is lost."""
    engine = make_engine(empty_url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0012")
        conn.execute(
            text(
                "INSERT INTO channel (id, name, kind, is_digital, unit_cost, sort_order) "
                "VALUES ('ventanilla', 'Ventanilla única', 'presencial', false, 100.0, 1)"
            )
        )
        now = dt.datetime(2026, 11, 5)
        conn.execute(
            text(
                "INSERT INTO work_program (id, year, title, status, version, author, "
                "created_at, updated_at) VALUES (1, 2027, 'PAT', 'borrador', 1, 'ana', :t, :t)"
            ),
            {"t": now},
        )
        for i, label in enumerate(
            [
                "Participación digital",
                "Satisfacción (CSAT 4-5)",
                "contactos: ventanilla ÚNICA",
                "Meta inventada",
            ],
            start=1,
        ):
            conn.execute(
                text(
                    "INSERT INTO work_program_target (id, work_program_id, indicator, unit) "
                    "VALUES (:i, 1, :label, '%')"
                ),
                {"i": i, "label": label},
            )
    upgrade_schema(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT indicator, indicator_key FROM work_program_target ORDER BY id")
        ).all()
    assert [tuple(r) for r in rows] == [
        ("Participación digital", "digital_share"),
        ("Satisfacción (CSAT 4-5)", "csat"),
        ("contactos: ventanilla ÚNICA", "contacts_ventanilla"),
        ("Meta inventada", None),
    ]
    engine.dispose()
