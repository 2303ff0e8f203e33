"""Campaign effects: the public API on simulated panels with known effects (coverage and
bias), its errors, the panel queries on both backends, and the planted campaigns on the demo."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from lib.analysis import campaign_report as R
from lib.analysis.campaigns import diff_in_diff, difference_in_means, event_study
from lib.db.engine import make_engine
from lib.queries import campaigns as q
from tests.close import assert_close

TRUE = 0.3


def _panel(rng, n=300, periods=8, start=5, effect=TRUE, drop=0.1):
    unit = np.repeat(np.arange(n), periods)
    t = np.tile(np.arange(periods), n)
    treated = (unit < n // 2).astype(int)
    y = (
        rng.normal(0, 1, n)[unit]
        + 0.5 * treated
        + 0.1 * t
        + effect * treated * (t >= start)
        + rng.normal(0, 1, n * periods)
    )
    df = pd.DataFrame(
        {"id": unit, "month": t, "t": treated, "post": (t >= start).astype(int), "y": y}
    )
    df = df.sample(frac=1 - drop, random_state=int(rng.integers(1 << 30)))  # unbalanced
    df.loc[df.sample(frac=0.02, random_state=1).index, "y"] = np.nan  # missing outcomes
    return df


def test_did_interval_covers_the_truth_about_95_percent_and_is_unbiased():
    rng = np.random.default_rng(2026)
    est, covered = [], 0
    for _ in range(200):
        r = diff_in_diff(_panel(rng), "y", "id", "month", "t", "post")
        est.append(r.effect)
        covered += r.ci_low <= TRUE <= r.ci_high
    assert 0.91 <= covered / 200 <= 0.99
    assert abs(np.mean(est) - TRUE) < 3 * np.std(est) / np.sqrt(200)


def test_did_reports_units_observations_and_dropped_rows():
    rng = np.random.default_rng(1)
    df = _panel(rng)
    r = diff_in_diff(df, "y", "id", "month", "t", "post")
    assert r.n_dropped == int(df["y"].isna().sum()) > 0
    assert r.n_obs == int(df["y"].notna().sum())
    assert r.n_units == df.loc[df["y"].notna(), "id"].nunique()
    assert r["effect"] == r.effect and r.p_value < 0.05


def test_dates_work_as_periods_and_event_study_shape():
    rng = np.random.default_rng(5)
    df = _panel(rng, drop=0)
    df["month"] = pd.to_datetime("2025-01-01") + pd.to_timedelta(df["month"] * 31, unit="D")
    df["month"] = df["month"].dt.to_period("M").dt.to_timestamp().dt.date
    event = sorted(df["month"].unique())[5]
    es = event_study(df, "y", "id", "month", "t", event)
    assert list(es["relative_period"]) == list(range(-5, 3))
    assert es.loc[es["relative_period"] == -1, "effect"].item() == 0
    post = es[es["relative_period"] >= 0]
    assert (post["ci_low"] < TRUE).all() and (post["ci_high"] > TRUE).all()
    assert es.attrs["pretrend_p_value"] > 0.01


def test_difference_in_means_by_hand():
    df = pd.DataFrame(
        {"y": [1.0, 2.0, 3.0, 4.0, 2.0, 2.0, 3.0, 1.0], "t": [1, 1, 1, 1, 0, 0, 0, 0]}
    )
    r = difference_in_means(df, "y", "t")
    assert r.effect == pytest.approx(0.5)
    se = np.sqrt(np.var([1, 2, 3, 4], ddof=1) / 4 + np.var([2, 2, 3, 1], ddof=1) / 4)
    assert r.std_error == pytest.approx(se)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.drop(columns="post"), "Faltan columnas: post"),
        (lambda d: d.assign(t=1), "no hay grupo de control"),
        (lambda d: d[d["month"] == 0], "al menos dos periodos"),
        (lambda d: d.assign(t=d["t"] * 2), "0/1"),
        (lambda d: d.assign(post=0), "no distingue"),
    ],
)
def test_bad_input_is_explained(mutate, message):
    df = _panel(np.random.default_rng(0), n=40, drop=0)
    with pytest.raises(ValueError, match=message):
        diff_in_diff(mutate(df), "y", "id", "month", "t", "post")


def test_panel_queries_match_raw_rows(db):
    cat = q.campaign_catalog(db.engine)
    assert list(cat["code"]) == ["DIF-2025-03", "DIF-2025-09", "REG-2026-03"]
    c = cat.iloc[1]
    first, last = q.campaign_window(c["start_month"], c["end_month"], 6, 3)
    panel = q.patron_panel(db.engine, c["id"], first, last)
    with db.engine.connect() as conn:
        n = conn.execute(
            text(
                "SELECT COUNT(*) FROM campaign_assignment a JOIN collection_monthly m "
                "ON m.patron_id = a.patron_id WHERE a.campaign_id = :c AND m.month BETWEEN :a AND :b"
            ),
            {"c": int(c["id"]), "a": first, "b": last},
        ).scalar_one()
    assert len(panel) == n and set(panel["treated"]) == {0, 1}
    assert panel["patron_id"].nunique() == c["treated"] + c["control"]
    offices = q.office_panel(db.engine, cat.iloc[0]["id"], first, last)
    assert set(offices.loc[offices["treated"] == 1, "subdelegacion_id"] // 100) == {14, 20}


@pytest.fixture(scope="module")
def demo(sqlite_demo):
    engine = make_engine(sqlite_demo)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("code", ["DIF-2025-09", "REG-2026-03", "DIF-2025-03"])
def test_demo_recovers_each_planted_effect(demo, code):
    cat = q.campaign_catalog(demo).set_index("code")
    c = cat.loc[code].copy()
    c["id"] = int(c["id"])
    truth = (
        pd.read_sql(
            text("SELECT value FROM ground_truth WHERE key = :k"),
            demo.connect(),
            params={"k": f"campaign.{code}.effect_on_time_pp"},
        ).iloc[0, 0]
        / 100
    )
    first, last = q.campaign_window(c["start_month"], c["end_month"], R.EVENT_MONTHS_BEFORE, 3)
    if c["assignment"] == "sin_control":
        res = R.analyse_without_control(c, q.office_panel(demo, c["id"], first, last))
    else:
        res = R.analyse(c, q.patron_panel(demo, c["id"], first, last))
    e = res.effects["on_time"]
    assert e.ci_low <= truth <= e.ci_high, (code, e, truth)
    text_ = R.narrative(c, res)
    assert "puntos porcentuales" in text_ and ("débil" in text_) == (code == "DIF-2025-03")


# ------------------------------------------------------------ stored results (issue 10)


def _catalog_rows(engine):
    for _, c in q.campaign_catalog(engine).iterrows():
        c = c.copy()
        c["id"] = int(c["id"])
        yield c


def test_stored_results_equal_the_live_analysis(db):
    """The seed's refresh stored every campaign; recomputing now gives the same JSON, number
    for number, and the stored form reads back into the same result."""
    from lib.refresh import analyse_campaign

    stored = q.stored_results(db.engine)
    catalog = list(_catalog_rows(db.engine))
    assert sorted(stored) == sorted(c["id"] for c in catalog)
    for c in catalog:
        res, panel = analyse_campaign(db.engine, c)
        R.add_heterogeneity(res, panel, c)
        row = stored[c["id"]]
        assert row["error"] is None and row["computed_at"] is not None
        assert_close(row["result"], R.to_json(res), c["code"])
        back = R.from_stored(row)
        assert_close(asdict(back.effects["on_time"]), asdict(res.effects["on_time"]))
        pd.testing.assert_frame_equal(back.event, res.event)
        assert_close(back.event.attrs, res.event.attrs)
        assert (back.panel_rows, back.panel_units) == (len(panel), res.panel_units) != (0, 0)
        if c["assignment"] == "sin_control":
            assert back.heterogeneity == {} and back.additional is None
        else:
            assert set(back.heterogeneity) == set(R.SEGMENTS)
            sizes = back.heterogeneity["size_band_id"]
            assert not sizes.empty
            pd.testing.assert_frame_equal(sizes, res.heterogeneity["size_band_id"])
            # the additional collection's p-value is NaN: null in JSON, NaN again on reading
            assert row["result"]["additional"]["p_value"] is None
            assert np.isnan(back.additional.p_value)
            assert back.additional.effect == pytest.approx(res.additional.effect, rel=1e-9)
            assert back.return_per_peso == pytest.approx(res.return_per_peso, rel=1e-9)


def test_result_json_round_trip_keeps_every_field():
    rng = np.random.default_rng(4)
    panel = _panel(rng, n=400, periods=10, start=6, drop=0)
    panel = panel.rename(columns={"id": "patron_id", "t": "treated", "y": "on_time"})
    panel["month"] = [dt.date(2026, 1 + int(k), 1) for k in panel["month"]]
    panel["paid_on_time"] = panel["on_time"] * 500
    panel["overdue_balance"] = -panel["on_time"] * 1000
    panel["size_band_id"] = np.where(panel["patron_id"] % 2, "S1", "S2")
    panel["economic_division_id"] = panel["patron_id"] % 3
    panel["ooad_id"] = 14
    months = sorted(panel["month"].unique())
    campaign = pd.Series(
        {
            "assignment": "dirigida",
            "start_month": months[6],
            "end_month": months[8],
            "cost": 1000.0,
            "name": "Prueba",
        }
    )
    res = R.analyse(campaign, panel)
    R.add_heterogeneity(res, panel, campaign)
    stored = R.to_json(res)
    json.dumps(stored, allow_nan=False)  # valid JSON for PostgreSQL: no NaN tokens
    back = R.from_json(json.loads(json.dumps(stored)))
    assert R.to_json(back) == stored
    for name in (
        "design",
        "method",
        "evidence",
        "treated_patron_months",
        "cost",
        "sampled",
        "units_total",
        "panel_rows",
        "panel_units",
        "return_per_peso",
    ):
        assert getattr(back, name) == getattr(res, name), name
    assert back.effects == res.effects
    assert R.narrative(campaign, back) == R.narrative(campaign, res)
    with pytest.raises(ValueError, match="Formato"):
        R.from_json({**stored, "format": 0})
    assert R.from_stored({"result": {**stored, "format": 0}, "error": None}) is None
    assert R.from_stored({"result": None, "error": "No hay unidades tratadas"}) == (
        "No hay unidades tratadas"
    )


def test_refresh_stores_why_a_campaign_cannot_be_estimated(sqlite_tiny, tmp_path):
    """A campaign without patrons yet: its row holds the Spanish message, the others their
    results, and the refresh of the rollups is not stopped by it."""
    from lib.refresh import refresh_all

    path = tmp_path / "copy.db"
    shutil.copy(sqlite_tiny.removeprefix("sqlite:///"), path)
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO campaign (id, code, name, kind, channel_id, assignment, start_month, "
                "end_month, cost, description) VALUES (99, 'NUEVA', 'Nueva', 'difusion', "
                "'buzon', 'dirigida', '2026-09-01', '2026-10-01', 10, '')"
            )
        )
        seconds: dict[str, float] = {}
        counts = refresh_all(conn, seconds=seconds)
    assert counts["campaign_result"] == 4 and counts["agg_interaction_month"] > 0
    assert set(seconds) == {"rollups", "campaign_results"}
    stored = q.stored_results(engine)
    assert stored[99]["result"] is None and "periodos" in stored[99]["error"]
    assert all(stored[c]["result"] is not None for c in stored if c != 99)
    assert set(q.stored_results(engine, 99)) == {99}
    engine.dispose()
