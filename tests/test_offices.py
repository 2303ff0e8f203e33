"""Offices at a glance (lib/analysis/offices.py): hand-made frames with known answers, the
per-office sums against raw fact rows on both backends, and the planted demo offices."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd
import pytest
from scipy.stats import norm
from sqlalchemy import text
from statsmodels.stats.multitest import multipletests

from lib.analysis.movers import count_z, nps_z, proportion_z
from lib.analysis.offices import COLUMNS, office_changes, office_ranking
from lib.db.engine import make_engine
from lib.filters import Filters
from lib.queries.overview import MONTHLY_COLUMNS, unit_indicators

NAMES = {1: "Norte", 2: "Sur", 3: "Centro"}
ROOT = Path(__file__).resolve().parents[1]


def frame(rows: list[dict]) -> pd.DataFrame:
    """Per-office sums as unit_indicators returns them; unspecified sums are 0."""
    out = pd.DataFrame(rows)
    for col in MONTHLY_COLUMNS:
        if col not in out:
            out[col] = 0
    return out[["unit_id", *MONTHLY_COLUMNS]]


def cell(changes: pd.DataFrame, unit_id: int, kpi: str) -> pd.Series:
    return changes[(changes["unit_id"] == unit_id) & (changes["kpi"] == kpi)].iloc[0]


def news(row: pd.Series) -> bool | None:
    """The row's ``good`` as a plain True / False / None."""
    return None if row["good"] is None or pd.isna(row["good"]) else bool(row["good"])


def test_nps_z_by_hand():
    # before: 50 promoters, 20 detractors of 100 (NPS 30); after: 30 and 40 of 100 (NPS -10)
    v1 = (0.3 + 0.4 - 0.01) / 100
    v0 = (0.5 + 0.2 - 0.09) / 100
    assert nps_z(30, 40, 100, 50, 20, 100) == pytest.approx(-0.4 / math.sqrt(v1 + v0))
    assert nps_z(1, 0, 0, 1, 0, 10) is None  # an empty side
    assert nps_z(10, 0, 10, 10, 0, 10) is None  # all promoters both times: no variance


def test_known_answers_and_direction():
    cur = frame(
        [
            # Norte: CSAT 75 % -> 60 %, complaints 10 -> 60 while Sur's stay at 40
            {"unit_id": 1, "responses": 1000, "csat_satisfied": 600, "complaints": 60},
            {"unit_id": 2, "responses": 1000, "csat_satisfied": 752, "complaints": 40},
        ]
    )
    prev = frame(
        [
            {"unit_id": 1, "responses": 1000, "csat_satisfied": 750, "complaints": 10},
            {"unit_id": 2, "responses": 1000, "csat_satisfied": 750, "complaints": 40},
        ]
    )
    out = office_changes(cur, prev, NAMES)
    assert list(out.columns) == COLUMNS
    assert len(out) == 2 * 9
    csat = cell(out, 1, "csat")
    assert csat["value"] == pytest.approx(0.6) and csat["previous"] == pytest.approx(0.75)
    assert csat["change"] == pytest.approx(-15.0) and csat["change_unit"] == "pp"
    assert csat["z"] == pytest.approx(proportion_z(600, 1000, 750, 1000))
    assert csat["p"] == pytest.approx(2 * norm.sf(abs(csat["z"])))
    assert csat["marked"] and news(csat) is False
    # complaints: 100 now vs 50 before overall, ratio 2; Norte's 10 -> 60 strays above it
    comp = cell(out, 1, "complaints")
    assert comp["z"] == pytest.approx(count_z(60, 10, 100 / 50))
    assert comp["change"] == pytest.approx(500.0) and comp["change_unit"] == "%"
    assert comp["marked"] and news(comp) is False  # more complaints is bad news
    # ... and Sur's flat 40 -> 40 is below the doubling of all offices: marked, good news
    assert cell(out, 2, "complaints")["z"] == pytest.approx(count_z(40, 40, 2.0))
    assert cell(out, 2, "complaints")["marked"] and news(cell(out, 2, "complaints")) is True
    assert not cell(out, 2, "csat")["marked"]  # 75.2 % vs 75.0 %: noise
    # the adjustment is Benjamini-Hochberg over every tested office x KPI
    tested = out[out["p"].notna()]
    expected = multipletests(tested["p"], method="fdr_bh")[1]
    assert list(tested["p_adjusted"]) == pytest.approx(list(expected))
    # untestable KPIs: pesos never; shares with empty denominators neither
    assert pd.isna(cell(out, 1, "collection_on_time")["p"])
    assert pd.isna(cell(out, 1, "fcr")["z"]) and pd.isna(cell(out, 1, "fcr")["value"])
    ranking = office_ranking(out)
    assert list(ranking["unit"]) == ["Norte", "Sur"]
    assert ranking.iloc[0]["worse"] == 2 and ranking.iloc[1]["better"] == 1
    assert ranking.iloc[0]["marked_worse"] == "Satisfacción (CSAT), Quejas recibidas"


def test_better_news_is_good_in_each_direction():
    cur = frame([{"unit_id": 1, "complaints": 5, "contacts": 900, "resolved_first": 800}])
    prev = frame([{"unit_id": 1, "complaints": 50, "contacts": 1000, "resolved_first": 600}])
    out = office_changes(cur, prev, NAMES)
    assert news(cell(out, 1, "complaints")) is True  # fewer complaints
    assert news(cell(out, 1, "fcr")) is True and cell(out, 1, "fcr")["marked"]
    assert news(cell(out, 1, "contacts")) is None  # neutral
    # a single office: counts are tested against its own ratio, so never stray from it
    assert cell(out, 1, "complaints")["z"] == pytest.approx(0.0)
    assert not cell(out, 1, "complaints")["marked"]


def test_ties_and_zero_events_in_one_period():
    # Sur had no complaints before (0 -> 30): no relative change, still tested; Centro is new
    # and has no comparison; Norte's CSAT is tied
    cur = frame(
        [
            {"unit_id": 1, "complaints": 30, "responses": 100, "csat_satisfied": 80},
            {"unit_id": 2, "complaints": 30, "responses": 100, "csat_satisfied": 80},
            {"unit_id": 3, "complaints": 5},
        ]
    )
    prev = frame(
        [
            {"unit_id": 1, "complaints": 30, "responses": 100, "csat_satisfied": 80},
            {"unit_id": 2, "complaints": 0, "responses": 100, "csat_satisfied": 80},
        ]
    )
    out = office_changes(cur, prev, NAMES)
    sur = cell(out, 2, "complaints")
    assert pd.isna(sur["change"]) and sur["previous"] == 0
    assert sur["z"] == pytest.approx(count_z(30, 0, 60 / 30)) and sur["marked"]
    assert cell(out, 1, "csat")["change"] == 0 and news(cell(out, 1, "csat")) is None
    centro = out[out["unit_id"] == 3]
    assert centro["previous"].isna().all() and centro["z"].isna().all()
    assert not centro["marked"].any()
    ranking = office_ranking(out)
    # Sur marked worse first; Norte's 30 -> 30 (z = -2.7 against the doubling) is not marked,
    # so it ties with Centro and the names decide
    assert list(ranking["unit"]) == ["Sur", "Centro", "Norte"]
    assert list(ranking["worse"]) == [1, 0, 0] and (ranking["better"] == 0).all()
    # ties (nothing marked anywhere) fall back to the office's name
    flat = office_changes(cur, cur, NAMES)
    assert not flat["marked"].any()
    assert list(office_ranking(flat)["unit"]) == ["Centro", "Norte", "Sur"]


def test_small_counts_and_no_comparison():
    cur = frame([{"unit_id": 1, "complaints": 12}, {"unit_id": 2, "complaints": 1}])
    prev = frame([{"unit_id": 1, "complaints": 0}, {"unit_id": 2, "complaints": 6}])
    out = office_changes(cur, prev, NAMES)
    assert pd.isna(cell(out, 1, "complaints")["z"])  # 12 events in all: below MIN_COUNT
    none = office_changes(cur, None, NAMES)
    assert none["previous"].isna().all() and not none["marked"].any()


YEAR = Filters(dt.date(2025, 11, 1), dt.date(2026, 10, 1))


def test_subdelegacion_level_matches_raw_rows(db):  # noqa: ANN001
    units = unit_indicators(db.engine, YEAR, level="subdelegacion").set_index("unit_id")
    with db.engine.connect() as conn:
        raw = pd.read_sql(
            text(
                "SELECT subdelegacion_id AS unit_id, COUNT(*) AS contacts, SUM(CASE WHEN "
                "resolved_first_contact THEN 1 ELSE 0 END) AS resolved_first FROM interaction "
                "WHERE outcome <> 'abandonado' AND month BETWEEN '2025-11-01' AND '2026-10-01' GROUP BY subdelegacion_id"
            ),
            conn,
        ).set_index("unit_id")
        complaints = pd.read_sql(
            text(
                "SELECT subdelegacion_id AS unit_id, COUNT(*) AS n FROM complaint "
                "WHERE month BETWEEN '2025-11-01' AND '2026-10-01' GROUP BY subdelegacion_id"
            ),
            conn,
        ).set_index("unit_id")
    assert units.loc[raw.index, "contacts"].astype(int).tolist() == raw["contacts"].tolist()
    assert (
        units.loc[raw.index, "resolved_first"].astype(int).tolist()
        == raw["resolved_first"].astype(int).tolist()
    )
    got = units["complaints"].reindex(complaints.index).fillna(0).astype(int)
    assert got.tolist() == complaints["n"].tolist()
    # the default level is unchanged: OOAD nationally
    assert unit_indicators(db.engine, YEAR)["unit_id"].max() < 100


def _demo_changes(url: str, f: Filters, level: str | None = None) -> pd.DataFrame:
    engine = make_engine(url)
    cur = unit_indicators(engine, f, level)
    prev = unit_indicators(engine, f.shifted(-12), level)
    engine.dispose()
    return office_changes(cur, prev, {})


def test_demo_marks_the_planted_complaint_surge(sqlite_demo):  # noqa: ANN001
    """Libertad Reforma (1439) got 25 extra complaints in June 2026: the default view
    (Nov 2025 - Oct 2026 vs the year before) marks it first in Jalisco, and June 2026 vs
    June 2025 marks it nationally at subdelegación level. The two weak offices (1554, 2033)
    were weak in both periods, so no change of theirs is marked, but this period's CSAT ranks
    them last of all subdelegaciones."""
    jalisco = _demo_changes(sqlite_demo, Filters(YEAR.start, YEAR.end, ooad_id=14))
    surge = cell(jalisco, 1439, "complaints")
    assert surge["marked"] and news(surge) is False and surge["change"] > 100
    assert office_ranking(jalisco).iloc[0]["unit_id"] == 1439
    june = Filters(dt.date(2026, 6, 1), dt.date(2026, 6, 1))
    national = _demo_changes(sqlite_demo, june, "subdelegacion")
    assert cell(national, 1439, "complaints")["marked"]
    assert office_ranking(national).iloc[0]["unit_id"] == 1439
    year = _demo_changes(sqlite_demo, YEAR, "subdelegacion")
    csat = year[year["kpi"] == "csat"].sort_values("value")
    assert set(csat["unit_id"].head(2)) == {1554, 2033}
    assert not csat[csat["unit_id"].isin([1554, 2033])]["marked"].any()


def _offices_table(at):  # noqa: ANN001, ANN202
    return next(d.value for d in at.dataframe if "Oficina" in d.value.columns)


def test_resumen_offices_section_and_row_drill_down(db, monkeypatch):  # noqa: ANN001
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from lib.ui.drill import on_office_row
    from lib.ui.offices import TABLE_KEY

    monkeypatch.setenv("MIRADOR_DATABASE_URL", db.url)
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120).run()
    assert not at.exception
    assert any(s.value == "Oficinas" for s in at.subheader)
    table = _offices_table(at)
    assert len(table) == 35 and "OOAD" not in table.columns  # every OOAD, one row each
    for label in ("Contactos", "CSAT", "Quejas en plazo Δ", "Recaudación a tiempo comp."):
        assert label in table.columns
    # the numbers are the database's: contacts per OOAD from the raw rows
    with db.engine.connect() as conn:
        raw = dict(
            conn.execute(
                text(
                    "SELECT s.ooad_id, COUNT(*) FROM interaction i JOIN subdelegacion s "
                    "ON s.id = i.subdelegacion_id WHERE i.outcome <> 'abandonado' "
                    "AND i.month BETWEEN '2025-11-01' "
                    "AND '2026-10-01' GROUP BY s.ooad_id"
                )
            ).all()
        )
    assert sorted(table["Contactos"].astype(int)) == sorted(raw.values())
    # ranked: offices with more marked-worse changes first
    assert list(table["Empeoró"]) == sorted(table["Empeoró"], reverse=True)
    assert any(b.label == "Descargar oficinas (Excel)" for b in at.get("download_button"))
    # a click on the first row drills into that OOAD
    first = table.iloc[0]["Oficina"]
    at.session_state[TABLE_KEY] = {"selection": {"rows": [0], "columns": []}}
    with monkeypatch.context() as m:
        m.setattr(st, "session_state", at.session_state)
        ooads = _ooad_ids(db)
        on_office_row(TABLE_KEY, [ooads[n] for n in table["Oficina"]], "ooad", {})
    at.run()
    assert not at.exception
    assert at.sidebar.selectbox(key="ooad").value == str(_ooad_ids(db)[first])
    subs = _offices_table(at)
    assert len(subs) >= 1 and first in at.caption[0].value


def _ooad_ids(db) -> dict[str, int]:  # noqa: ANN001
    with db.engine.connect() as conn:
        return {name: int(i) for i, name in conn.execute(text("SELECT id, name FROM ooad")).all()}


def test_resumen_offices_at_subdelegacion_level_and_a_single_office(sqlite_tiny, monkeypatch):  # noqa: ANN001
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("MIRADOR_DATABASE_URL", sqlite_tiny)
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)
    at.query_params["oficinas_nivel"] = "Subdelegación"
    at.run()
    assert not at.exception
    table = _offices_table(at)
    assert "OOAD" in table.columns and len(table) > 35
    assert set(table.loc[table["Oficina"] == "Libertad Reforma", "OOAD"]) == {"Jalisco"}
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)
    at.query_params["ooad"] = "Jalisco"
    at.query_params["subdel"] = "Libertad Reforma"
    at.run()
    assert not at.exception
    assert list(_offices_table(at)["Oficina"]) == ["Libertad Reforma"]
    # no comparison period in the data: said, no table
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)
    at.query_params["desde"] = "nov 2023"
    at.run()
    assert not at.exception
    assert not any("Oficina" in d.value.columns for d in at.dataframe)
