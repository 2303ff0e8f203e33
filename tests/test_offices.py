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
    # the adjustment is one Benjamini-Hochberg over every test of the table: the changes of
    # every office x KPI and the levels against the reference
    tested = pd.concat([out["p"], out["level_p"]]).dropna()
    expected = pd.Series(multipletests(tested, method="fdr_bh")[1], index=tested.index)
    n = len(out)
    both = pd.concat([out["p_adjusted"], out["level_p_adjusted"]]).dropna()
    assert list(both) == pytest.approx(list(expected))
    assert len(both) == n - out["p"].isna().sum() + n - out["level_p"].isna().sum()
    # untestable KPIs: pesos never; shares with empty denominators neither
    assert pd.isna(cell(out, 1, "collection_on_time")["p"])
    assert pd.isna(cell(out, 1, "fcr")["z"]) and pd.isna(cell(out, 1, "fcr")["value"])
    ranking = office_ranking(out)
    assert list(ranking["unit"]) == ["Norte", "Sur"]
    assert ranking.iloc[0]["worse"] == 2 and ranking.iloc[1]["better"] == 1
    assert ranking.iloc[0]["marked_worse"] == "Satisfacción (CSAT), Quejas recibidas"
    # Norte's 60 % against the pooled 67.6 % is also a level beyond noise; Sur's 75.2 % above
    csat = cell(out, 1, "csat")
    assert csat["reference"] == pytest.approx(1352 / 2000)
    assert csat["level_z"] == pytest.approx((0.6 - 0.676) / math.sqrt(0.676 * 0.324 / 1000))
    assert csat["level_marked"] and csat["level_good"] == False  # noqa: E712
    assert cell(out, 2, "csat")["level_marked"] and cell(out, 2, "csat")["level_good"] == True  # noqa: E712
    assert ranking.iloc[0]["below"] == 1 and ranking.iloc[1]["above"] == 1
    assert pd.isna(cell(out, 1, "complaints")["level_z"])  # counts have no level test


def test_better_news_is_good_in_each_direction():
    known = {"resolution_known": 900}  # every contact's resolution recorded
    cur = frame([{"unit_id": 1, "complaints": 5, "contacts": 900, "resolved_first": 800, **known}])
    known = {"resolution_known": 1000}
    prev = frame(
        [{"unit_id": 1, "complaints": 50, "contacts": 1000, "resolved_first": 600, **known}]
    )
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


def test_a_constantly_weak_office_is_marked_by_its_level_and_ranked_first():
    """The planted weak offices' case: worse than everyone in both periods, so nothing about
    it changed; the level mark catches it and the ranking puts it first."""
    rows = [
        {"unit_id": 1, "responses": 900, "csat_satisfied": 720, "contacts": 5000},
        {"unit_id": 2, "responses": 900, "csat_satisfied": 730, "contacts": 5000},
        {"unit_id": 3, "responses": 900, "csat_satisfied": 540, "contacts": 5000},  # weak
    ]
    out = office_changes(frame(rows), frame(rows), NAMES)
    assert not out["marked"].any()  # identical periods: no change anywhere
    weak = cell(out, 3, "csat")
    assert weak["level_marked"] and weak["level_good"] == False  # noqa: E712
    # the weak office pulls the pooled 73.3 % down, so the others are above it: marked good
    assert cell(out, 1, "csat")["level_good"] == True  # noqa: E712
    ranking = office_ranking(out)
    assert list(ranking["unit"]) == ["Centro", "Sur", "Norte"]  # bad marks first, then p
    assert ranking.iloc[0]["below"] == 1 and ranking.iloc[0]["above"] == 0
    assert ranking.iloc[0]["marked_below"] == "Satisfacción (CSAT)"
    # with no comparison period at all, the level is still tested
    alone = office_changes(frame(rows), None, NAMES)
    assert cell(alone, 3, "csat")["level_marked"] and not alone["marked"].any()
    # a single office is its own reference: never marked by level
    one = office_changes(frame(rows[2:]), frame(rows[2:]), NAMES)
    assert cell(one, 3, "csat")["level_z"] == pytest.approx(0.0)
    assert not one["level_marked"].any()


def test_level_of_nps_and_of_patron_months():
    # NPS: 30 promoters and 40 detractors of 100 (-10) against the pooled 30 + 10 of 200 ...
    rows = [
        {"unit_id": 1, "responses": 100, "nps_promoters": 30, "nps_detractors": 40},
        {"unit_id": 2, "responses": 100, "nps_promoters": 70, "nps_detractors": 10},
    ]
    out = office_changes(frame(rows), None, NAMES)
    s0 = (100 - 50) / 200
    v0 = (100 + 50) / 200 - s0 * s0
    assert cell(out, 1, "nps")["level_z"] == pytest.approx((-0.1 - s0) / math.sqrt(v0 / 100))
    assert cell(out, 1, "nps")["reference"] == pytest.approx(25.0)
    # patrons on time: patron-months of the same patrons; n is patron-months / months
    rows = [
        {"unit_id": 1, "patrons": 12000, "patrons_on_time": 10000},
        {"unit_id": 2, "patrons": 12000, "patrons_on_time": 10500},
    ]
    one_month = cell(office_changes(frame(rows), None, NAMES), 1, "patrons_on_time")
    year = cell(office_changes(frame(rows), None, NAMES, months=12), 1, "patrons_on_time")
    assert year["level_z"] == pytest.approx(one_month["level_z"] / math.sqrt(12))
    assert year["value"] == one_month["value"]  # the value itself is unchanged


def test_complaints_on_time_denominator_is_the_cards():
    """Closed without a closing date leave the denominator, as on the KPI card."""
    from lib.analysis.kpis import KPI_BY_KEY

    row = {"unit_id": 1, "complaints": 100, "complaints_on_time": 60, "complaints_pending": 10}
    row["complaints_no_date"] = 20
    out = office_changes(frame([row]), frame([row]), NAMES)
    assert cell(out, 1, "complaints_on_time")["value"] == pytest.approx(60 / 70)
    card = KPI_BY_KEY["complaints_on_time"].value(pd.Series(row))
    assert cell(out, 1, "complaints_on_time")["value"] == pytest.approx(card)


def test_small_counts_and_no_comparison():
    cur = frame([{"unit_id": 1, "complaints": 12}, {"unit_id": 2, "complaints": 1}])
    prev = frame([{"unit_id": 1, "complaints": 0}, {"unit_id": 2, "complaints": 6}])
    out = office_changes(cur, prev, NAMES)
    assert pd.isna(cell(out, 1, "complaints")["z"])  # 12 events in all: below MIN_COUNT
    none = office_changes(cur, None, NAMES)
    assert none["previous"].isna().all() and not none["marked"].any()


YEAR = Filters(dt.date(2025, 11, 1), dt.date(2026, 10, 1))


def test_subdelegacion_level_matches_raw_rows(db):
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


def test_demo_marks_the_planted_complaint_surge(sqlite_demo):
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


def _raw_csat(conn, f: Filters) -> pd.DataFrame:
    """Independent oracle: per subdelegación, responses and CSAT 4-5 from the raw survey rows."""
    rows = pd.read_sql(text("SELECT subdelegacion_id, month, csat FROM survey_response"), conn)
    rows["month"] = pd.to_datetime(rows["month"]).dt.date
    rows = rows[(rows["month"] >= f.start) & (rows["month"] <= f.end)]
    return (
        rows.assign(sat=rows["csat"] >= 4).groupby("subdelegacion_id")["sat"].agg(["count", "sum"])
    )


def _raw_complaints(conn, f: Filters) -> pd.Series:
    rows = pd.read_sql(text("SELECT subdelegacion_id, month FROM complaint"), conn)
    rows["month"] = pd.to_datetime(rows["month"]).dt.date
    rows = rows[(rows["month"] >= f.start) & (rows["month"] <= f.end)]
    return rows.groupby("subdelegacion_id").size()


def _level_z_oracle(raw: pd.DataFrame, unit: int) -> tuple[float, float, float]:
    p0 = raw["sum"].sum() / raw["count"].sum()
    n, x = raw.loc[unit, "count"], raw.loc[unit, "sum"]
    return x / n, p0, (x / n - p0) / math.sqrt(p0 * (1 - p0) / n)


def test_level_against_raw_rows(db):
    """Every subdelegación's CSAT, the national reference and the level z, against pandas
    over the raw survey rows, on both backends."""
    changes = office_changes(
        unit_indicators(db.engine, YEAR, level="subdelegacion"),
        unit_indicators(db.engine, YEAR.shifted(-12), level="subdelegacion"),
        {},
    )
    with db.engine.connect() as conn:
        raw = _raw_csat(conn, YEAR)
    csat = changes[changes["kpi"] == "csat"].set_index("unit_id")
    for unit in raw.index:
        value, reference, z = _level_z_oracle(raw, unit)
        assert csat.loc[unit, "value"] == pytest.approx(value)
        assert csat.loc[unit, "reference"] == pytest.approx(reference)
        assert csat.loc[unit, "level_z"] == pytest.approx(z)


def test_demo_marks_the_planted_weak_and_surge_offices(sqlite_demo):
    """Acceptance (issue 17): on the demo institute, the default view (Nov 2025 - Oct 2026 vs
    the year before) at subdelegación level marks the two planted weak offices (1554, 2033)
    by their CSAT level below the national value, and the complaint surge office (1439) by
    its change in complaints; each ranks among the marked offices. The values and statistics
    are checked against the raw fact rows."""
    engine = make_engine(sqlite_demo)
    year = office_changes(
        unit_indicators(engine, YEAR, "subdelegacion"),
        unit_indicators(engine, YEAR.shifted(-12), "subdelegacion"),
        {},
        months=YEAR.n_months,
    )
    with engine.connect() as conn:
        raw = _raw_csat(conn, YEAR)
        now, before = _raw_complaints(conn, YEAR), _raw_complaints(conn, YEAR.shifted(-12))
    engine.dispose()
    ranking = office_ranking(year)
    any_mark = set(year.loc[year["marked"] | year["level_marked"], "unit_id"])
    marked = ranking[ranking["unit_id"].isin(any_mark)]
    assert len(marked) < len(ranking)  # a screening list, not every office
    assert list(ranking.index[: len(marked)]) == list(marked.index)  # marked first
    for weak in (1554, 2033):
        row = cell(year, weak, "csat")
        value, reference, z = _level_z_oracle(raw, weak)
        assert row["value"] == pytest.approx(value) and row["reference"] == pytest.approx(reference)
        assert row["level_z"] == pytest.approx(z) and z < -5  # 56.7 %, 57.8 % vs 72.7 %
        assert row["level_marked"]
        assert not row["marked"]
        assert weak in set(marked["unit_id"])
        assert "Satisfacción (CSAT)" in ranking.set_index("unit_id").loc[weak, "marked_below"]
    surge = cell(year, 1439, "complaints")
    ratio = now.sum() / before.sum()  # every subdelegación has contacts in both periods
    c1, c0 = now.get(1439, 0), before.get(1439, 0)
    p = ratio / (1 + ratio)
    z = (c1 - (c1 + c0) * p) / math.sqrt((c1 + c0) * p * (1 - p))
    assert (surge["value"], surge["previous"]) == (c1, c0)
    assert surge["z"] == pytest.approx(z) and z > 3
    assert surge["marked"] and news(surge) is False
    assert 1439 in set(marked["unit_id"])
    assert "Quejas recibidas" in ranking.set_index("unit_id").loc[1439, "marked_worse"]


def _offices_table(at):
    return next(d.value for d in at.dataframe if "Oficina" in d.value.columns)


def test_resumen_offices_section_and_row_drill_down(db, monkeypatch):
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
    # ranked: offices with more bad marks (changes worse, levels below the national) first
    bad = list(table["Empeoró"] + table["Peor que ref."])
    assert bad == sorted(bad, reverse=True)
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


def _ooad_ids(db) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {name: int(i) for i, name in conn.execute(text("SELECT id, name FROM ooad")).all()}


def test_resumen_offices_at_subdelegacion_level_and_a_single_office(sqlite_tiny, monkeypatch):
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
