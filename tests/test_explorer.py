"""The explorer's metrics against the fact tables, computed independently in SQL, on both
backends: the catalog formulas and the rollups say the same thing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from lib.filters import Filters
from lib.metrics import CATALOG, DIMENSIONS
from lib.queries.explorer import explore

F = Filters(dt.date(2025, 11, 1), dt.date(2026, 10, 1))
PERIOD = "BETWEEN '2025-11-01' AND '2026-10-01'"


def scalar(db, sql: str) -> float:  # noqa: ANN001
    with db.engine.connect() as conn:
        return float(conn.execute(text(sql)).scalar_one())


FACTS = {
    "contactos": f"SELECT COUNT(*) FROM interaction WHERE month {PERIOD}",
    "espera_promedio": f"SELECT AVG(wait_minutes) FROM interaction WHERE month {PERIOD}",
    "resolucion_primer_contacto": "SELECT 100.0 * SUM(CASE WHEN resolved_first_contact "
    f"THEN 1 ELSE 0 END) / COUNT(*) FROM interaction WHERE month {PERIOD}",
    "csat": f"SELECT AVG(1.0 * csat) FROM survey_response WHERE month {PERIOD}",
    "nps": "SELECT 100.0 * (SUM(CASE WHEN nps >= 9 THEN 1 ELSE 0 END) - SUM(CASE WHEN nps <= 6 "
    f"THEN 1 ELSE 0 END)) / COUNT(*) FROM survey_response WHERE month {PERIOD}",
    "quejas": f"SELECT COUNT(*) FROM complaint WHERE month {PERIOD}",
    "dias_para_cerrar": "SELECT AVG(1.0 * days_to_close) FROM complaint "
    f"WHERE month {PERIOD} AND closed_on IS NOT NULL",
    "recaudacion_a_tiempo": "SELECT 100.0 * SUM(paid_on_time) / SUM(issued) "
    f"FROM collection_monthly WHERE month {PERIOD}",
    "saldo_vencido": "SELECT SUM(overdue_balance) / 12.0 FROM collection_monthly "
    f"WHERE month {PERIOD}",
}


@pytest.mark.parametrize("metric", list(FACTS))
def test_metric_equals_the_facts(db, metric):  # noqa: ANN001
    got = explore(db.engine, F, metric, ())["value"].iloc[0]
    assert got == pytest.approx(scalar(db, FACTS[metric]), rel=1e-9)


@pytest.mark.parametrize("metric", ["contactos", "quejas", "emitido", "respuestas"])
def test_additive_metrics_add_up_over_any_dimension(db, metric):  # noqa: ANN001
    total = explore(db.engine, F, metric, ())["value"].iloc[0]
    for dim in CATALOG[metric].dimensions:
        parts = explore(db.engine, F, metric, (dim,))
        assert parts["value"].sum() == pytest.approx(total), dim
        if f"{dim}_label" in parts:
            assert parts[f"{dim}_label"].notna().all()


def test_filters_and_two_dimensions(db):  # noqa: ANN001
    jalisco = Filters(F.start, F.end, ooad_id=14, channel_id="ventanilla")
    df = explore(db.engine, jalisco, "contactos", ("month", "subdelegacion"))
    n = scalar(
        db,
        "SELECT COUNT(*) FROM interaction i JOIN subdelegacion s ON s.id = i.subdelegacion_id "
        f"WHERE i.month {PERIOD} AND s.ooad_id = 14 AND i.channel_id = 'ventanilla'",
    )
    assert df["value"].sum() == n
    assert set(df["subdelegacion"]) <= set(range(1400, 1500))
    assert list(df.columns[:3]) == ["month", "subdelegacion", "subdelegacion_label"]


def test_every_metric_runs_with_every_dimension_it_has(db):  # noqa: ANN001
    for key, m in CATALOG.items():
        assert m.dimensions and "month" in m.dimensions
        assert set(m.dimensions) <= set(DIMENSIONS)
        for dim in m.dimensions:
            df = explore(db.engine, F, key, (dim,))
            assert not df.empty, (key, dim)
        # dimensions the rollup lacks are ignored, not an error
        assert len(explore(db.engine, F, key, ("category", "economic_division"))) >= 1
