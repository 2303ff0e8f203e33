"""The explorer's metrics against the fact tables, computed independently in SQL, on both
backends: the catalog formulas and the rollups say the same thing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text

from lib.filters import Filters
from lib.metrics import DIMENSIONS, INDICATORS
from lib.queries.explorer import explore

F = Filters(dt.date(2025, 11, 1), dt.date(2026, 10, 1))
ROOT = Path(__file__).resolve().parents[1]
PERIOD = "BETWEEN '2025-11-01' AND '2026-10-01'"


def scalar(db, sql: str) -> float:
    with db.engine.connect() as conn:
        return float(conn.execute(text(sql)).scalar_one())


# handled contacts: those abandoned in a queue are in the queue measures only
HANDLED = "outcome <> 'abandonado'"
FACTS = {
    "contacts": f"SELECT COUNT(*) FROM interaction WHERE {HANDLED} AND month {PERIOD}",
    "wait_mean": f"SELECT AVG(wait_minutes) FROM interaction WHERE {HANDLED} AND month {PERIOD}",
    "fcr": "SELECT 100.0 * SUM(CASE WHEN resolved_first_contact "
    f"THEN 1 ELSE 0 END) / COUNT(*) FROM interaction WHERE {HANDLED} AND month {PERIOD}",
    "csat_mean": f"SELECT AVG(1.0 * csat) FROM survey_response WHERE month {PERIOD}",
    "nps": "SELECT 100.0 * (SUM(CASE WHEN nps >= 9 THEN 1 ELSE 0 END) - SUM(CASE WHEN nps <= 6 "
    f"THEN 1 ELSE 0 END)) / COUNT(*) FROM survey_response WHERE month {PERIOD}",
    "complaints": f"SELECT COUNT(*) FROM complaint WHERE month {PERIOD}",
    "days_to_close": "SELECT AVG(1.0 * days_to_close) FROM complaint "
    f"WHERE month {PERIOD} AND closed_on IS NOT NULL",
    "collection_on_time_share": "SELECT 100.0 * SUM(paid_on_time) / SUM(issued) "
    f"FROM collection_monthly WHERE month {PERIOD}",
    "overdue_balance": "SELECT SUM(overdue_balance) / 12.0 FROM collection_monthly "
    f"WHERE month {PERIOD}",
}


@pytest.mark.parametrize("metric", list(FACTS))
def test_metric_equals_the_facts(db, metric):
    got = explore(db.engine, F, metric, ())["value"].iloc[0]
    assert got == pytest.approx(scalar(db, FACTS[metric]), rel=1e-9)


@pytest.mark.parametrize("metric", ["contacts", "complaints", "issued", "responses"])
def test_additive_metrics_add_up_over_any_dimension(db, metric):
    total = explore(db.engine, F, metric, ())["value"].iloc[0]
    for dim in INDICATORS[metric].dimensions:
        parts = explore(db.engine, F, metric, (dim,))
        assert parts["value"].sum() == pytest.approx(total), dim
        if f"{dim}_label" in parts:
            assert parts[f"{dim}_label"].notna().all()


def test_filters_and_two_dimensions(db):
    jalisco = Filters(F.start, F.end, ooad_id=14, channel_id="ventanilla")
    df = explore(db.engine, jalisco, "contacts", ("month", "subdelegacion"))
    n = scalar(
        db,
        "SELECT COUNT(*) FROM interaction i JOIN subdelegacion s ON s.id = i.subdelegacion_id "
        f"WHERE i.outcome <> 'abandonado' AND i.month {PERIOD} AND s.ooad_id = 14 AND i.channel_id = 'ventanilla'",
    )
    assert df["value"].sum() == n
    assert set(df["subdelegacion"]) <= set(range(1400, 1500))
    assert list(df.columns[:3]) == ["month", "subdelegacion", "subdelegacion_label"]


def test_every_metric_runs_with_every_dimension_it_has(db):
    for key, m in INDICATORS.items():
        assert m.dimensions and "month" in m.dimensions
        assert set(m.dimensions) <= set(DIMENSIONS)
        for dim in m.dimensions:
            df = explore(db.engine, F, key, (dim,))
            assert not df.empty, (key, dim)
        # dimensions the rollup lacks are ignored, not an error
        assert len(explore(db.engine, F, key, ("category", "economic_division"))) >= 1


def test_comparison_against_raw_sql(db):
    from lib.analysis.kpis import shifted_period
    from lib.queries.explorer import explore_compared

    # a rate by OOAD against the same months a year earlier: pp
    prev = shifted_period(F, "anio")
    assert (prev.start, prev.end) == (dt.date(2024, 11, 1), dt.date(2025, 10, 1))
    df = explore_compared(db.engine, F, prev, "fcr", ("ooad",))
    sql = (
        "SELECT s.ooad_id, 100.0 * SUM(CASE WHEN resolved_first_contact THEN 1 ELSE 0 END) "
        "/ COUNT(*) FROM interaction i JOIN subdelegacion s ON s.id = i.subdelegacion_id "
        "WHERE i.outcome <> 'abandonado' AND i.month BETWEEN '{}' AND '{}' GROUP BY s.ooad_id"
    )
    with db.engine.connect() as conn:
        now = {k: float(v) for k, v in conn.execute(text(sql.format("2025-11-01", "2026-10-01")))}
        before = {
            k: float(v) for k, v in conn.execute(text(sql.format("2024-11-01", "2025-10-01")))
        }
    assert set(df["ooad"]) == set(now) | set(before)
    for _, r in df.iterrows():
        assert r["value"] == pytest.approx(now[r["ooad"]])
        assert r["previous"] == pytest.approx(before[r["ooad"]])
        assert r["change"] == pytest.approx(now[r["ooad"]] - before[r["ooad"]])
    assert set(df["change_unit"]) == {"pp"}
    # a count by month against the preceding period: each month faces the one 12 earlier...
    jun = Filters(dt.date(2026, 4, 1), dt.date(2026, 6, 1))
    prior = shifted_period(jun, "anterior")
    assert (prior.start, prior.end) == (dt.date(2026, 1, 1), dt.date(2026, 3, 1))
    by_month = explore_compared(db.engine, jun, prior, "complaints", ("month",))
    counts = {
        m: scalar(db, f"SELECT COUNT(*) FROM complaint WHERE month = '{m}'")
        for m in (
            "2026-01-01",
            "2026-02-01",
            "2026-03-01",
            "2026-04-01",
            "2026-05-01",
            "2026-06-01",
        )
    }
    assert list(by_month["month"]) == [
        dt.date(2026, 4, 1),
        dt.date(2026, 5, 1),
        dt.date(2026, 6, 1),
    ]
    for (now_m, then_m), (_, r) in zip(
        (("2026-04-01", "2026-01-01"), ("2026-05-01", "2026-02-01"), ("2026-06-01", "2026-03-01")),
        by_month.iterrows(),
        strict=True,
    ):
        assert r["value"] == counts[now_m] and r["previous"] == counts[then_m]
        if counts[then_m]:
            expected = 100 * (counts[now_m] - counts[then_m]) / counts[then_m]
            assert r["change"] == pytest.approx(expected)
        else:  # a month with no complaints: 0, and no relative change
            assert pd.isna(r["change"])
    assert set(by_month["change_unit"]) == {"%"}
    # no dimension, NPS: points
    total = explore_compared(db.engine, F, prev, "nps", ())
    nps_sql = FACTS["nps"].replace(PERIOD, "{}")
    assert total["value"].iloc[0] == pytest.approx(scalar(db, nps_sql.format(PERIOD)))
    assert total["previous"].iloc[0] == pytest.approx(
        scalar(db, nps_sql.format("BETWEEN '2024-11-01' AND '2025-10-01'"))
    )
    assert total["change_unit"].iloc[0] == "pts"


def test_comparison_with_zero_and_missing_groups(db):
    from lib.queries.explorer import explore_compared

    # Oct 2023 is before the data: every row has a value and no comparison
    first = Filters(dt.date(2023, 11, 1), dt.date(2023, 11, 1))
    df = explore_compared(db.engine, first, first.shifted(-1), "complaints", ("ooad",))
    assert len(df) and df["previous"].isna().all() and df["change"].isna().all()
    assert df["ooad_label"].notna().all()
    # a surge office with no complaints the year before: previous 0, no relative change
    jun = Filters(dt.date(2026, 6, 1), dt.date(2026, 6, 1), ooad_id=14)
    sub = explore_compared(db.engine, jun, jun.shifted(-12), "complaints", ("subdelegacion",))
    lr = sub[sub["subdelegacion"] == 1439].iloc[0]
    before = scalar(
        db,
        "SELECT COUNT(*) FROM complaint WHERE subdelegacion_id = 1439 AND month = '2025-06-01'",
    )
    assert lr["previous"] == before or (before == 0 and pd.isna(lr["previous"]))
    if before == 0:
        assert pd.isna(lr["change"])


def test_explorer_page_compares_from_the_url(sqlite_tiny, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("MIRADOR_DATABASE_URL", sqlite_tiny)
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)
    at.query_params["comparar"] = "Mismo periodo del año anterior"
    at.run()
    at.switch_page("pages/8_explorador.py").run()
    assert not at.exception
    assert at.selectbox(key="comparar").value == "anio"
    table = at.dataframe[0].value
    assert "Comparación" in table.columns and "Cambio (%)" in table.columns
    assert any("nov 2024 – oct 2025" in c.value for c in at.caption)
    at.selectbox(key="medida").set_value("fcr").run()
    table = at.dataframe[0].value
    assert "Cambio (pp)" in table.columns
    col = "Resolución al primer contacto (%)"
    assert (table[col] - table["Comparación"]).round(9).tolist() == table["Cambio (pp)"].round(
        9
    ).tolist()
    at.selectbox(key="comparar").set_value("ninguno").run()
    assert "Comparación" not in at.dataframe[0].value.columns


@pytest.mark.parametrize("metric", ["wait_median_s", "wait_p90_s"])
def test_a_quantile_of_a_missing_group_is_missing_not_zero(db, metric):
    """A median or P90 wait has no value where a period has no rows: no 0, no % change."""
    from lib.queries.explorer import explore_compared

    table = INDICATORS[metric].table.name
    with db.engine.connect() as conn:
        first = conn.execute(text(f"SELECT MIN(month) FROM {table}")).scalar_one()
    first = first if isinstance(first, dt.date) else dt.date.fromisoformat(str(first)[:10])
    # two months whose comparison (one month earlier) has rows for the second only
    f = Filters(
        first, first.replace(month=first.month % 12 + 1, year=first.year + first.month // 12)
    )
    df = explore_compared(db.engine, f, f.shifted(-1), metric, ("month",))
    assert len(df) == 2
    assert pd.isna(df["previous"].iloc[0]) and pd.isna(df["change"].iloc[0])
    assert df["previous"].iloc[1] > 0
