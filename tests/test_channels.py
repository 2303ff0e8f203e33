"""Channel comparison: queries equal raw SQL on both backends; statistics and verdicts on
hand-made inputs; the demo's planted ranking comes back; the Excel export matches the page."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from lib.analysis import channels as study
from lib.db.rollups import TIME_BIN_EDGES
from lib.export import excel_workbook
from lib.filters import Filters
from lib.queries import channels as q

YEAR = Filters(dt.date(2025, 11, 1), dt.date(2026, 10, 1))


def _raw(db, sql: str, **params) -> pd.DataFrame:
    with db.engine.connect() as conn:
        return pd.read_sql(text(sql), conn, params=params)


def test_channel_sums_equal_raw_rows(db):
    f = Filters(YEAR.start, YEAR.end, ooad_id=14)
    sums = q.channel_sums(db.engine, f).set_index("channel_id")
    raw = _raw(
        db,
        """
        SELECT i.channel_id, COUNT(*) AS contacts,
               SUM(CASE WHEN i.resolved_first_contact THEN 1 ELSE 0 END) AS resolved,
               COUNT(i.resolved_first_contact) AS known,
               SUM(i.cost) AS cost, COUNT(i.cost) AS cost_known, COUNT(DISTINCT i.patron_id || '-' || i.month) AS pm
        FROM interaction i JOIN subdelegacion s ON s.id = i.subdelegacion_id
        WHERE i.outcome <> 'abandonado' AND i.month BETWEEN :a AND :b AND s.ooad_id = 14
        GROUP BY i.channel_id""",
        a=f.start,
        b=f.end,
    ).set_index("channel_id")
    for ch, r in raw.iterrows():
        assert sums.loc[ch, "contacts"] == r["contacts"]
        assert sums.loc[ch, "resolved_first"] == r["resolved"]
        assert sums.loc[ch, "resolution_known"] == r["known"]
        assert sums.loc[ch, "cost_sum"] == pytest.approx(r["cost"])
        assert sums.loc[ch, "cost_known"] == r["cost_known"]
        assert sums.loc[ch, "patrons_month_sum"] == r["pm"]
    surveys = _raw(
        db,
        """
        SELECT channel_id, COUNT(*) AS n, SUM(csat * csat) AS sq,
               SUM(CASE WHEN nps >= 9 THEN 1 ELSE 0 END) AS promoters
        FROM survey_response r JOIN subdelegacion s ON s.id = r.subdelegacion_id
        WHERE r.month BETWEEN :a AND :b AND s.ooad_id = 14 GROUP BY channel_id""",
        a=f.start,
        b=f.end,
    ).set_index("channel_id")
    for ch, r in surveys.iterrows():
        assert sums.loc[ch, "responses"] == r["n"]
        assert sums.loc[ch, "csat_sq_sum"] == r["sq"]
        assert sums.loc[ch, "nps_promoters"] == r["promoters"]


def test_repeat_contacts_match_a_python_count(db):
    raw = _raw(
        db,
        "SELECT patron_id, procedure_id, channel_id, started_at, day, month, id FROM interaction "
        "WHERE outcome <> 'abandonado'",
    )
    raw["day"] = pd.to_datetime(raw["day"])
    raw["started_at"] = pd.to_datetime(raw["started_at"])
    raw = raw.sort_values(["patron_id", "procedure_id", "started_at", "id"])
    nxt = raw.groupby(["patron_id", "procedure_id"])["day"].shift(-1)
    raw["repeat"] = (nxt <= raw["day"] + pd.Timedelta(days=30)).astype(int)
    raw["month"] = pd.to_datetime(raw["month"]).dt.date
    # the last month of data is left out: its 30-day follow-up has not happened yet
    in_year = raw[(raw["month"] >= YEAR.start) & (raw["month"] < YEAR.end)]
    expected = in_year.groupby("channel_id")["repeat"].sum()
    got = q.channel_sums(db.engine, YEAR).set_index("channel_id")["repeat_30d"]
    for ch, n in expected.items():
        assert got[ch] == n


def test_time_histograms_match_raw_minutes(db):
    hist = q.time_histograms(db.engine, YEAR)
    raw = _raw(
        db,
        "SELECT channel_id, wait_minutes FROM interaction "
        "WHERE month BETWEEN :a AND :b AND channel_id = 'ventanilla'",
        a=YEAR.start,
        b=YEAR.end,
    )
    edges = np.asarray(TIME_BIN_EDGES[1:], dtype=float)
    bins = np.where(
        raw["wait_minutes"] <= 0, 0, np.searchsorted(edges, raw["wait_minutes"], "right")
    )
    expected = pd.Series(bins).value_counts().sort_index()
    got = hist[(hist["channel_id"] == "ventanilla") & (hist["measure"] == "wait")]
    assert dict(zip(got["bin"], got["contacts"], strict=True)) == expected.to_dict()


def test_segments_units_and_procedures_add_up(db):
    total = q.channel_sums(db.engine, YEAR)["contacts"].sum()
    for dim in ("size_band", "economic_division"):
        assert q.channel_by_segment(db.engine, YEAR, dim)["contacts"].sum() == total
    assert q.channel_by_unit(db.engine, YEAR)["contacts"].sum() == total
    jal = q.channel_by_unit(db.engine, Filters(YEAR.start, YEAR.end, ooad_id=14))
    assert set(jal["unit_id"]) <= {1412, 1415, 1422, 1438, 1439, 1440, 1450}
    proc = q.procedure_by_channel(db.engine, YEAR)
    assert proc["contacts"].sum() == total
    with pytest.raises(ValueError, match="Segmento"):
        q.channel_by_segment(db.engine, YEAR, "color")


def _sums(rows: list[dict]) -> pd.DataFrame:
    base = {
        "kind": "x",
        "is_digital": False,
        "unit_cost": 1.0,
        "cost_sum": 100.0,
        "wait_minutes_sum": 0.0,
        "handle_minutes_sum": 0.0,
        "repeat_30d": 0,
        "repeat_base": 0,
        "responses": 0,
        "csat_sum": 0.0,
        "csat_sq_sum": 0.0,
        "csat_satisfied": 0,
        "nps_promoters": 0,
        "nps_detractors": 0,
        "patrons_month_sum": 0,
    }
    # every contact's resolution and cost recorded unless a row says otherwise
    known = ("resolution_known", "cost_known")
    return pd.DataFrame([{**base, **dict.fromkeys(known, r["contacts"]), **r} for r in rows])


def test_verdicts_separate_real_differences_from_noise():
    sums = _sums(
        [
            {"channel_id": "a", "channel": "A", "contacts": 1000, "resolved_first": 900},
            {"channel_id": "b", "channel": "B", "contacts": 1000, "resolved_first": 700},
            {"channel_id": "c", "channel": "C", "contacts": 1000, "resolved_first": 705},
        ]
    )
    hist = pd.DataFrame(columns=["channel_id", "measure", "bin", "contacts"])
    table = study.channel_table(sums, hist, 12)
    tests = study.pairwise_tests(sums, hist, table)
    fcr = tests[tests["indicator"] == "fcr"].set_index(["a", "b"])
    assert fcr.loc[("a", "b"), "significant"] and fcr.loc[("a", "b"), "better"] == "a"
    assert not fcr.loc[("b", "c"), "significant"]
    v = next(v for v in study.verdicts(table, tests) if v["indicator"] == "fcr")
    assert v["best"] == "a" and v["clear"]
    assert any("B y C" in n for n in v["noise"])
    assert table.loc["a", "fcr_low"] < 0.9 < table.loc["a", "fcr_high"]


def test_wait_verdict_leaves_out_channels_where_nobody_waits():
    """Self-service channels record no wait (no wait seconds: not in the wait histogram):
    they are named apart, not crowned fastest."""
    sums = _sums(
        [
            {"channel_id": "v", "channel": "Ventanilla", "contacts": 600, "resolved_first": 400,
             "wait_minutes_sum": 9000.0},
            {"channel_id": "t", "channel": "Teléfono", "contacts": 600, "resolved_first": 400,
             "wait_minutes_sum": 3000.0},
            {"channel_id": "l", "channel": "En línea", "contacts": 600, "resolved_first": 400},
        ]
    )  # fmt: skip
    bins = {"v": 6, "t": 3}  # the histograms hold recorded times only: none for "l"
    hist = pd.DataFrame(
        [{"channel_id": c, "measure": "wait", "bin": b, "contacts": 600} for c, b in bins.items()]
    )
    table = study.channel_table(sums, hist, 12)
    assert pd.isna(table.loc["l", "wait_median"]) and not table.loc["l", "wait_recorded"]
    assert table.loc["t", "wait_recorded"] and table.loc["v", "wait_recorded"]
    v = next(v for v in study.verdicts(table, study.pairwise_tests(sums, hist, table))
             if v["indicator"] == "wait")  # fmt: skip
    assert v["best"] == "t" and v["clear"] and v["ties"] == []
    assert v["sentence"].startswith("**Tiempo de espera (mediana)**: Teléfono es el mejor")
    assert v["sentence"].endswith("fuera de la comparación: En línea.")
    assert not any("En línea" in n for n in v["noise"])
    shown = study.readable_table(table)  # no queue reads "—" (NaN), never an instant 0.0 min
    assert shown.loc[shown["Canal"] == "En línea", "Espera mediana (min)"].isna().all()
    assert shown.loc[shown["Canal"] == "Teléfono", "Espera mediana (min)"].notna().all()


def test_shift_savings_by_hand():
    proc = pd.DataFrame(
        [
            {
                "procedure_id": "p",
                "procedure": "P",
                "online_capable": True,
                "channel_id": "ventanilla",
                "channel": "V",
                "is_digital": False,
                "contacts": 100,
                "cost_sum": 20000.0,
                "resolved_first": 80,
                "resolution_known": 100,
                "cost_known": 100,
            },
            {
                "procedure_id": "p",
                "procedure": "P",
                "online_capable": True,
                "channel_id": "en_linea",
                "channel": "L",
                "is_digital": True,
                "contacts": 50,
                "cost_sum": 250.0,
                "resolved_first": 35,
                "resolution_known": 50,
                "cost_known": 50,
            },
        ]
    )
    res = study.shift_savings(proc, "p", "ventanilla", "en_linea", 0.3, 6)
    assert res["moved"] == 30
    assert res["savings"] == pytest.approx(30 * (200 - 5))
    assert res["savings_per_year"] == pytest.approx(2 * 30 * 195)
    assert res["resolved_change"] == pytest.approx(30 * (0.7 - 0.8))
    cand = study.online_candidates(proc)
    assert cand.loc[0, "savings"] == pytest.approx(0.5 * 100 * 195)
    with pytest.raises(ValueError, match="mismo"):
        study.shift_savings(proc, "p", "en_linea", "en_linea", 0.3, 6)
    with pytest.raises(ValueError, match="entre 0 y 1"):
        study.shift_savings(proc, "p", "ventanilla", "en_linea", 1.5, 6)


def test_demo_recovers_the_planted_ranking(db):
    sums = q.channel_sums(db.engine, YEAR)
    hist = q.time_histograms(db.engine, YEAR)
    table = study.channel_table(sums, hist, YEAR.n_months)
    truth = _raw(db, "SELECT key, value FROM ground_truth WHERE key LIKE 'channel.%'")
    truth = dict(zip(truth["key"], truth["value"], strict=True))
    planted_cost = {c: truth[f"channel.{c}.unit_cost"] for c in table.index}
    assert list(table["cost_per_contact"].sort_values().index) == sorted(
        planted_cost, key=planted_cost.get
    )
    planted_fcr = {c: truth[f"channel.{c}.first_contact_resolution"] for c in table.index}
    tests = study.pairwise_tests(sums, hist, table)
    for _, t in tests[(tests["indicator"] == "fcr") & tests["significant"]].iterrows():
        assert planted_fcr[t["better"]] > planted_fcr[t["a"] if t["better"] == t["b"] else t["b"]]
    equal = tests[
        (tests["indicator"] == "fcr")
        & (tests["a"].isin(["contact_center", "buzon"]))
        & (tests["b"].isin(["contact_center", "buzon"]))
    ]
    assert len(equal) == 1 and not equal["significant"].iloc[0]  # planted equal: noise
    fcr_rank = table["fcr"].sort_values(ascending=False).index
    assert fcr_rank[0] == "asistencia" and fcr_rank[-1] == "impresos"
    assert table["csat"].idxmax() == "asistencia"
    # online contacts record no wait (never queued): no wait median, not an instant 0.0 min
    assert pd.isna(table.loc["en_linea", "wait_median"])
    assert not table.loc["en_linea", "wait_recorded"]
    assert table["wait_median"].astype(float).idxmax() == "ventanilla"


def test_excel_export_opens_and_matches(db):
    sums = q.channel_sums(db.engine, YEAR)
    hist = q.time_histograms(db.engine, YEAR)
    table = study.channel_table(sums, hist, YEAR.n_months)
    readable = study.readable_table(table)
    data = excel_workbook(
        "Estudio",
        [("Periodo", "nov 2025 – oct 2026")],
        {
            "Canales": readable,
            "Pruebas": study.readable_tests(
                study.pairwise_tests(sums, hist, table), table["channel"].to_dict()
            ),
        },
    )
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Portada", "Canales", "Pruebas"]
    assert wb["Portada"]["A1"].value == "Estudio"
    back = pd.read_excel(io.BytesIO(data), sheet_name="Canales")
    assert back["Contactos"].sum() == sums["contacts"].sum()
    assert list(back["Canal"]) == list(readable["Canal"])
