"""Service evaluation: statistics on hand examples, queries against raw SQL on both backends,
and the planted truth found on the demo data."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from lib.analysis import service as ev
from lib.db.engine import make_engine
from lib.filters import Filters
from lib.queries import service as q

YEAR = Filters(dt.date(2025, 11, 1), dt.date(2026, 10, 1))
ALL = Filters(dt.date(2023, 11, 1), dt.date(2026, 10, 1))


# ------------------------------------------------------------------ statistics, by hand


def test_funnel_limits_hand_example():
    lo, hi = ev.funnel_limits(0.8, 100, 1.959963984540054)
    assert lo == pytest.approx(0.8 - 1.96 * 0.04, abs=1e-4)
    assert hi == pytest.approx(0.8 + 1.96 * 0.04, abs=1e-4)
    lo, hi = ev.funnel_limits(0.8, 100, ev.Z998)
    assert pytest.approx(3.0902, abs=1e-4) == ev.Z998
    assert lo == pytest.approx(0.8 - 3.0902 * 0.04, abs=1e-4)


def test_funnel_calls_small_offices_noise_and_big_ones_out():
    offices = pd.DataFrame(
        {
            "key": [1, 2, 3, 4],
            "label": ["grande mala", "chica mala", "normal", "grande"],
            "responses": [2000, 20, 1000, 7000],
            "csat_satisfied": [1400, 12, 790, 5650],
        }
    )
    fun = ev.funnel(offices).set_index("key")
    assert fun.loc[1, "status"] == "bajo 99.8 %"  # 70 % of 2,000 is real
    assert fun.loc[2, "status"] == "bajo 95 %"  # 60 % of 20: a warning at most, not out
    assert fun.loc[3, "status"] == "dentro"


def test_p_chart_marks_points_outside_and_runs():
    months = pd.date_range("2024-01-01", periods=20, freq="MS").date
    sat = [800] * 10 + [700] * 10
    d = ev.p_chart(pd.DataFrame({"month": months, "responses": 1000, "csat_satisfied": sat}))
    assert d["centre"].iloc[0] == pytest.approx(0.75)
    assert d["in_run"].all()  # two runs of 10 on each side
    assert d["outside"].all()  # 0.80 and 0.70 are 3.65 sigma from 0.75 with n = 1000


def test_p_chart_limits_per_phase_after_a_shift():
    months = pd.date_range("2024-01-01", periods=20, freq="MS").date
    sat = [800] * 10 + [700] * 10
    d = ev.p_chart(
        pd.DataFrame({"month": months, "responses": 1000, "csat_satisfied": sat}), months[10]
    )
    assert list(d["phase"]) == [0] * 10 + [1] * 10
    assert list(d["centre"]) == pytest.approx([0.8] * 10 + [0.7] * 10)
    assert d.loc[10, "lcl"] == pytest.approx(0.7 - 3 * math.sqrt(0.7 * 0.3 / 1000))
    # each phase sits on its own centre line: nothing to signal
    assert not d["signal"].any()
    assert ev.p_chart_reading(d, "nov 2024").startswith(
        "Línea central y límites recalculados desde nov 2024"
    )
    assert "Ningún mes con señal" in ev.p_chart_reading(d, "nov 2024")
    # a run never spans the two phases: 5 high months before the shift and 5 after are not
    # a run of 10 (each phase's centre is its own mean, so both sides of each phase appear)
    sat = [800] * 5 + [780] * 5 + [720] * 5 + [700] * 5
    d = ev.p_chart(
        pd.DataFrame({"month": months, "responses": 1000, "csat_satisfied": sat}), months[10]
    )
    assert not d["in_run"].any()


def _red_markers(fig) -> int:
    from lib.charts.service import BAD

    points = next(t for t in fig.data if t.name == "Satisfechos (%)")
    return int(sum(c == BAD for c in points.marker.color))


def test_p_chart_caption_counts_what_is_drawn_red():
    from lib.charts.service import p_chart_figure

    months = pd.date_range("2024-01-01", periods=24, freq="MS").date
    rng = np.random.default_rng(5)
    sat = list(rng.binomial(1000, 0.75, 12)) + list(rng.binomial(1000, 0.6, 12))
    sat[3] = 600  # one month far below the first phase (and below the overall centre)
    series = pd.DataFrame({"month": months, "responses": 1000, "csat_satisfied": sat})
    for shift in (None, months[12]):
        d = ev.p_chart(series, shift)
        red = _red_markers(p_chart_figure(d, "t"))
        text = ev.p_chart_reading(d, "ene 2025" if shift else None)
        assert red == int(d["signal"].sum())
        if red:
            assert f"En rojo: {red} mes" in text
        else:
            assert "Ningún mes con señal" in text
    # one phase over a shift: every month is red (outside and/or in a run), and the caption
    # says so, with how many of them carry both signals
    d = ev.p_chart(series)
    assert d["signal"].all()
    text = ev.p_chart_reading(d)
    assert text.startswith(f"En rojo: 24 meses con señal de 24: {int(d['outside'].sum())} fuera")
    assert "con ambas señales" in text
    # per phase, only the planted bad month is out
    d = ev.p_chart(series, months[12])
    assert list(d.loc[d["outside"], "month"]) == [months[3]]


def test_p_chart_degenerate_series():
    months = pd.date_range("2024-01-01", periods=3, freq="MS").date
    empty = ev.p_chart(pd.DataFrame({"month": months, "responses": 0, "csat_satisfied": 0}))
    assert empty.empty and ev.p_chart_reading(empty) == "Sin respuestas en la serie elegida."
    one = ev.p_chart(pd.DataFrame({"month": months[:1], "responses": [50], "csat_satisfied": [40]}))
    assert len(one) == 1 and not one["signal"].any()
    assert "Ningún mes con señal" in ev.p_chart_reading(one)
    for value in (0, 100):  # all unsatisfied / all satisfied: zero-width limits, no signal
        d = ev.p_chart(pd.DataFrame({"month": months, "responses": 100, "csat_satisfied": value}))
        assert (d["lcl"] == d["ucl"]).all() and not d["signal"].any()
    # a shift outside the series leaves one phase; the caption does not claim a recomputation
    d = ev.p_chart(
        pd.DataFrame({"month": months, "responses": 100, "csat_satisfied": [70, 80, 75]}),
        dt.date(2030, 1, 1),
    )
    assert set(d["phase"]) == {0}
    assert "recalculados" not in ev.p_chart_reading(d, "ene 2030")


def test_detected_shift_only_when_significant():
    points = pd.DataFrame(
        {
            "channel_id": ["a", "b"],
            "month": [dt.date(2026, 4, 1), dt.date(2025, 1, 1)],
            "significant": [True, False],
        }
    )
    assert ev.detected_shift(points, "a") == dt.date(2026, 4, 1)
    assert ev.detected_shift(points, "b") is None
    assert ev.detected_shift(points, "zz") is None


def test_change_point_finds_the_shift():
    months = pd.date_range("2024-01-01", periods=24, freq="MS").date
    sat = [700] * 15 + [550] * 9
    cp = ev.change_point(pd.DataFrame({"month": months, "responses": 1000, "csat_satisfied": sat}))
    assert cp["month"] == months[15]
    assert cp["shift"] == pytest.approx(-0.15)
    assert cp["p_value"] < 1e-6
    flat = ev.change_point(
        pd.DataFrame({"month": months, "responses": 1000, "csat_satisfied": [700] * 24})
    )
    assert flat["p_value"] == 1.0


def test_drivers_recover_a_known_linear_model():
    rng = np.random.default_rng(3)
    n = 5000
    x = rng.normal(3.5, 0.8, size=(n, 4))
    x[:, 1] += 0.5 * x[:, 3]  # correlated dimensions
    y = 0.5 + x @ np.array([0.1, 0.2, 0.25, 0.45]) + rng.normal(0, 0.3, n)
    names = [*ev.DRIVERS, "csat"]
    data = np.column_stack([x, y])
    m = {"n": n}
    for i, a in enumerate(names):
        m[f"s_{a}"] = data[:, i].sum()
        for j in range(i, len(names)):
            m[f"p_{a}_{names[j]}"] = (data[:, i] * data[:, j]).sum()
    t, r2 = ev.drivers(pd.Series(m))
    ols = np.linalg.lstsq(np.column_stack([np.ones(n), x]), y, rcond=None)[0][1:]
    got = t.set_index("driver")["coefficient"]
    for name, b in zip(ev.DRIVERS, ols, strict=True):
        assert got[name] == pytest.approx(b, rel=1e-6)
    assert t["r2_share"].sum() == pytest.approx(r2)  # Shapley shares add up to R²
    assert (
        list(t["driver"]) == ["solution", "clarity", "timeliness", "courtesy"]
        or t.iloc[0]["driver"] == "solution"
    )
    with pytest.raises(ValueError, match="30 respuestas"):
        ev.drivers(pd.Series({"n": 10}))


def test_before_after_and_gap():
    rows = pd.DataFrame(
        [
            {
                "channel_id": "a",
                "after": False,
                "responses": 500,
                "csat_satisfied": 400,
                "csat_sum": 2000,
                "csat_sq_sum": 8400,
                "nps_promoters": 250,
                "nps_detractors": 50,
            },
            {
                "channel_id": "a",
                "after": True,
                "responses": 500,
                "csat_satisfied": 300,
                "csat_sum": 1800,
                "csat_sq_sum": 7000,
                "nps_promoters": 150,
                "nps_detractors": 150,
            },
        ]
    )
    r = ev.compare_before_after(rows).iloc[0]
    assert r["change"] == pytest.approx(-0.2)
    se = math.sqrt(0.8 * 0.2 / 500 + 0.6 * 0.4 / 500)
    assert r["change_low"] == pytest.approx(-0.2 - 1.959964 * se, abs=1e-5)
    assert r["nps_before"] == pytest.approx(40.0) and r["nps_after"] == pytest.approx(0.0)
    assert r["significant"]
    assert ev.gap_to_target(0.9, 0.85) == pytest.approx(0.05)
    assert ev.gap_to_target(2.4, 2.0, higher_is_better=False) == pytest.approx(-0.4)
    assert ev.gap_to_target(None, 1.0) is None


# ---------------------------------------------------------- queries, on both backends


def _raw(db, sql: str, **params) -> pd.DataFrame:
    with db.engine.connect() as conn:
        return pd.read_sql(text(sql), conn, params=params)


def test_scores_by_equal_raw_sums(db):
    for dim, col in (("channel", "channel_id"), ("subdelegacion", "subdelegacion_id")):
        got = q.scores_by(db.engine, YEAR, dim).set_index("key")
        raw = _raw(
            db,
            f"""
            SELECT {col} AS key, COUNT(*) AS n, SUM(effort * effort) AS e2,
                   SUM(CASE WHEN csat >= 4 THEN 1 ELSE 0 END) AS sat
            FROM survey_response WHERE month BETWEEN :a AND :b GROUP BY {col}""",
            a=YEAR.start,
            b=YEAR.end,
        ).set_index("key")
        for k, r in raw.iterrows():
            assert got.loc[k, "responses"] == r["n"]
            assert got.loc[k, "csat_satisfied"] == r["sat"]
            assert got.loc[k, "effort_sq_sum"] == r["e2"]
    by_month = q.scores_by(db.engine, YEAR, "month")
    assert len(by_month) == 12 and by_month["contacts"].sum() > by_month["responses"].sum()
    with pytest.raises(ValueError, match="Dimensión"):
        q.scores_by(db.engine, YEAR, "color")


def test_before_after_counts_raw_days(db):
    cut = dt.date(2026, 4, 1)
    got = q.before_after(db.engine, ALL, cut, 60)
    raw = _raw(
        db,
        """
        SELECT channel_id, CASE WHEN responded_on >= :c THEN 1 ELSE 0 END AS after, COUNT(*) AS n
        FROM survey_response WHERE responded_on >= :a AND responded_on < :b
        GROUP BY channel_id, CASE WHEN responded_on >= :c THEN 1 ELSE 0 END""",
        c=cut,
        a=cut - dt.timedelta(days=60),
        b=cut + dt.timedelta(days=60),
    )
    merged = got.merge(raw.assign(after=raw["after"].astype(bool)), on=["channel_id", "after"])
    assert len(merged) == len(raw) and (merged["responses"] == merged["n"]).all()


def test_driver_moments_and_comments(db):
    m = q.driver_moments(db.engine, Filters(YEAR.start, YEAR.end, ooad_id=14)).iloc[0]
    raw = _raw(
        db,
        """
        SELECT COUNT(*) AS n, SUM(solution * csat) AS sc FROM survey_response r
        JOIN subdelegacion s ON s.id = r.subdelegacion_id
        WHERE r.month BETWEEN :a AND :b AND s.ooad_id = 14""",
        a=YEAR.start,
        b=YEAR.end,
    ).iloc[0]
    assert m["n"] == raw["n"] and m["p_solution_csat"] == raw["sc"]
    sample = q.comment_sample(db.engine, YEAR)
    assert 0 < len(sample) <= 20
    assert set(sample.columns) == {"responded_on", "channel", "subdelegacion", "csat", "comment"}


# ------------------------------------------------------------- planted truth (demo data)


@pytest.fixture(scope="module")
def demo(sqlite_demo):
    engine = make_engine(sqlite_demo)
    yield engine
    engine.dispose()


def test_funnel_marks_the_planted_weak_offices_and_no_other(demo):
    fun = ev.funnel(q.scores_by(demo, YEAR, "subdelegacion"))
    out = set(fun.loc[fun["status"] == "bajo 99.8 %", "key"])
    assert out == {1554, 2033}
    assert set(fun.loc[fun["status"] == "sobre 99.8 %", "key"]) == set()


def test_planted_drop_found_at_the_planted_channel_and_date(demo):
    monthly = q.monthly_by_channel(demo, ALL)
    found = {}
    for ch, g in monthly.groupby("channel_id"):
        cp = ev.change_point(g)
        if cp["p_value"] < 0.05:
            found[ch] = cp
    assert set(found) == {"contact_center"}
    assert found["contact_center"]["month"] == dt.date(2026, 4, 1)
    assert found["contact_center"]["shift"] < -0.15
    ba = ev.compare_before_after(q.before_after(demo, ALL, dt.date(2026, 4, 1), 90))
    assert set(ba.loc[ba["significant"], "channel_id"]) == {"contact_center"}
    cc = monthly[monthly["channel_id"] == "contact_center"]
    pc = ev.p_chart(cc)  # one centre line over the shift: the first month below is April 2026
    flagged = set(pc.loc[pc["outside"] & (pc["p"] < pc["centre"]), "month"])
    assert flagged and min(flagged) == dt.date(2026, 4, 1)
    # limits per phase from the detected shift: each phase's centre is its own level, and far
    # fewer months signal than with one centre line over both levels
    shift = ev.detected_shift(ev.change_points(monthly), "contact_center")
    assert shift == dt.date(2026, 4, 1)
    phased = ev.p_chart(cc, shift)
    before, after = phased[phased["phase"] == 0], phased[phased["phase"] == 1]
    assert before["month"].max() < shift <= after["month"].min()
    assert after["centre"].iloc[0] < before["centre"].iloc[0] - 0.15
    assert phased["signal"].sum() < pc["signal"].sum() / 2


def test_drivers_recover_the_planted_weights(demo):
    t, _ = ev.drivers(q.driver_moments(demo, YEAR).iloc[0])
    got = t.set_index("driver")["coefficient"]
    planted = {"courtesy": 0.10, "clarity": 0.20, "timeliness": 0.25, "solution": 0.45}
    for k, v in planted.items():
        assert got[k] == pytest.approx(v, abs=0.03)
    assert list(t["driver"]) == ["solution", "timeliness", "clarity", "courtesy"]


def test_change_points_one_row_per_channel():
    months = pd.date_range("2024-01-01", periods=24, freq="MS").date
    monthly = pd.concat(
        [
            pd.DataFrame(
                {
                    "channel_id": "a",
                    "month": months,
                    "responses": 1000,
                    "csat_satisfied": [700] * 15 + [550] * 9,
                }
            ),
            pd.DataFrame(
                {
                    "channel_id": "b",
                    "month": months,
                    "responses": 1000,
                    "csat_satisfied": [700] * 24,
                }
            ),
        ]
    )
    cps = ev.change_points(monthly).set_index("channel_id")
    assert cps.loc["a", "significant"] and cps.loc["a", "month"] == months[15]
    assert not cps.loc["b", "significant"]
