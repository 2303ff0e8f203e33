"""Campaign effects: the public API on simulated panels with known effects (coverage and
bias), its errors, the panel queries on both backends, and the planted campaigns on the demo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from lib.analysis import campaign_report as R
from lib.analysis.campaigns import diff_in_diff, difference_in_means, event_study
from lib.db.engine import make_engine
from lib.queries import campaigns as q

TRUE = 0.3


def _panel(rng, n=300, periods=8, start=5, effect=TRUE, drop=0.1):  # noqa: ANN001, ANN202
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
def test_bad_input_is_explained(mutate, message):  # noqa: ANN001
    df = _panel(np.random.default_rng(0), n=40, drop=0)
    with pytest.raises(ValueError, match=message):
        diff_in_diff(mutate(df), "y", "id", "month", "t", "post")


def test_panel_queries_match_raw_rows(db):  # noqa: ANN001
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
def demo(sqlite_demo):  # noqa: ANN001
    engine = make_engine(sqlite_demo)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("code", ["DIF-2025-09", "REG-2026-03", "DIF-2025-03"])
def test_demo_recovers_each_planted_effect(demo, code):  # noqa: ANN001
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
