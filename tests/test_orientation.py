"""Issue 7, second part: the model card's curves, segment table and drift index, the reasons
a field officer reads, and the orientation feedback measured against planted answers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from lib.analysis.orientation_effect import (
    candidate_units,
    eligible_cohorts,
    orientation_effect,
)
from lib.model.features import CATEGORICAL, NUMERIC
from lib.model.registry import reasons
from lib.model.train import curves, population_stability, score_reference, segment_metrics


def test_gain_curve_and_calibration_known_answers() -> None:
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0] * 10)
    perfect = np.where(y == 1, 0.9, 0.1) + np.linspace(0, 0.01, len(y))
    c = curves(y, perfect)
    gain = dict(zip(c["fraction"], c["gain"], strict=True))
    assert gain[0.2] == pytest.approx(1.0)  # the top 20 % holds every late payer
    assert gain[0.1] == pytest.approx(0.5)  # and the top 10 % half of them
    assert gain[1.0] == pytest.approx(1.0)
    random_gain = dict(zip(c["fraction"], curves(y, np.zeros(len(y)))["gain"], strict=True))
    assert random_gain[0.5] == pytest.approx(
        0.5
    )  # ties keep data order: 10 of 20 in the first half
    assert len(c["calibration_predicted"]) == len(c["calibration_observed"]) >= 2


def test_population_stability_is_zero_for_the_same_scores_and_large_for_a_shift() -> None:
    rng = np.random.default_rng(3)
    scores = rng.beta(2, 8, 20_000)
    ref = score_reference(scores)
    assert sum(ref["shares"]) == pytest.approx(1.0)
    assert population_stability(ref, scores) == pytest.approx(0.0, abs=1e-9)
    assert population_stability(ref, rng.beta(2, 8, 20_000)) < 0.01
    assert population_stability(ref, np.clip(scores + 0.15, 0, 1)) > 0.25
    with pytest.raises(ValueError, match="No hay calificaciones"):
        population_stability(ref, np.array([]))


def test_segment_metrics_cover_every_patron_once_per_dimension() -> None:
    rng = np.random.default_rng(1)
    n = 600
    frame = pd.DataFrame(
        {
            "size_band_id": rng.choice(["S1", "S2", "S3"], n),
            "economic_division_id": rng.choice([1, 2], n),
            "ooad_id": rng.choice([9, 14, 20], n),
            "label": rng.integers(0, 2, n),
        }
    )
    score = frame["label"] * 0.5 + rng.random(n) * 0.5
    rows = pd.DataFrame(segment_metrics(frame, score.to_numpy()))
    assert rows.groupby("segment")["n"].sum().eq(n).all()
    assert set(rows["segment"]) == {"Tamaño", "División económica", "OOAD"}
    assert (rows["roc_auc"] > 0.8).all()  # the score separates in every segment


def _patrons(**overrides) -> pd.DataFrame:
    base = {c: 0.0 for c in NUMERIC} | {c: "" for c in CATEGORICAL}
    base |= {"size_band_id": "S3", "economic_division_id": 3, "risk_class": 1, "age_years": 10}
    rows = [base | o for o in overrides.get("rows", [])]
    return pd.DataFrame(rows)


def test_reasons_speak_of_what_pushes_each_patron_up_in_spanish() -> None:
    frame = _patrons(
        rows=[
            {"late_6m": 3, "late_12m": 5, "late_1m": 1},
            {"late_6m": 1, "late_12m": 1},
            {},  # a clean, old, low-risk patron: nothing worth telling
            {"age_years": 0.5, "risk_class": 5},
        ]
    )
    coefs = pd.Series(
        {
            "num__late_6m": 1.0,
            "num__late_12m": 0.5,
            "num__late_1m": 0.8,
            "num__age_years": -0.6,
            "num__risk_class": 0.4,
        }
    )
    center = pd.Series(0.0, index=NUMERIC) + pd.Series({"age_years": 10.0, "risk_class": 2.0})
    center = center.fillna(0.0)
    said = reasons(frame, coefs, center=center, spread=pd.Series(1.0, index=NUMERIC))
    assert said[0][0] == "3 pagos tardíos en 6 meses"
    assert "pagó tarde el mes pasado" in said[0] and len(said[0]) == 3
    assert said[1][0] == "1 pago tardío en 6 meses"  # singular
    assert said[2] == []
    assert "registro reciente (hace 0.5 años)" in said[3] and "clase de riesgo V" in said[3]


def _planted_orientations(effect: float, seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Patrons with a persistent risk; riskier ones are oriented more often (selection), and
    orientation changes P(late) by ``effect`` from the month after."""
    rng = np.random.default_rng(seed)
    n = 6_000
    months = pd.date_range("2025-01-01", "2026-06-01", freq="MS")
    risk = 0.2 + 0.5 * rng.beta(2, 3, n)  # in [0.2, 0.7]: the planted cut never hits 0
    band = rng.choice(["S1", "S2"], n)
    oriented = rng.random(n) < 0.5 * (risk - 0.15)
    first = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    first[oriented] = rng.choice(months[7:15], oriented.sum())
    rows = []
    for t, m in enumerate(months):
        p = risk + 0.02 * np.sin(t)  # a common seasonal swing
        p = p + np.where(first.notna() & (first < m), effect, 0.0)
        rows.append(pd.DataFrame({"patron_id": range(n), "month": m, "late": rng.random(n) < p}))
    late = pd.concat(rows).assign(late=lambda d: d["late"].astype(int))
    first_df = pd.DataFrame({"patron_id": range(n), "size_band_id": band, "first_month": first})
    return first_df, late


@pytest.mark.parametrize("planted", [0.0, -0.12])
def test_orientation_effect_recovers_the_planted_effect_despite_selection(planted: float) -> None:
    first, late = _planted_orientations(planted)
    cohorts = eligible_cohorts(first["first_month"], dt.date(2026, 6, 1))
    assert len(cohorts) == 6 and cohorts[-1] <= dt.date(2026, 3, 1)
    units = candidate_units(first, cohorts).merge(first[["patron_id", "size_band_id"]])
    result = orientation_effect(units, late)
    est = result.estimate
    assert est.ci_low <= planted <= est.ci_high, (est.effect, est.ci_low, est.ci_high)
    assert abs(est.effect - planted) < 0.05
    if planted == 0.0:
        assert result.naive > 0.03  # oriented patrons do pay worse: that is selection
    assert result.treated > 100 and result.controls >= 2 * result.treated


def test_orientation_effect_refuses_too_few_treated() -> None:
    first, late = _planted_orientations(0.0)
    units = candidate_units(first.head(300), [dt.date(2025, 9, 1)]).merge(
        first[["patron_id", "size_band_id"]]
    )
    with pytest.raises(ValueError, match="Muy pocos patrones orientados"):
        orientation_effect(units, late)


def test_orientation_feedback_from_the_database(db) -> None:
    """On each backend the page's one call reads orientations and payments and answers."""
    from lib.filters import Filters
    from lib.model.feedback import orientation_feedback
    from lib.queries import orientation as q

    f = Filters(dt.date(2025, 11, 1), dt.date(2026, 10, 1))
    monthly = q.orientations_by_month(db.engine, f)
    assert set(monthly["outcome"]) <= {
        "regularizado",
        "compromiso de pago",
        "orientado",
        "sin contacto",
    }
    assert monthly["orientations"].sum() > 0
    result = orientation_feedback(db.engine, f, dt.date(2026, 10, 1))
    assert result.treated >= 30 and len(result.cohorts) == 6
    assert result.estimate.ci_low < result.estimate.ci_high


def test_demo_orientations_show_no_effect_though_the_naive_comparison_does(sqlite_demo) -> None:
    """The demo plants no orientation effect and orients the riskiest: the stacked DiD's
    interval covers zero while oriented patrons plainly pay worse afterwards."""
    from lib.db.engine import make_engine
    from lib.filters import Filters
    from lib.model.feedback import orientation_feedback

    engine = make_engine(sqlite_demo)
    f = Filters(dt.date(2025, 11, 1), dt.date(2026, 10, 1))
    result = orientation_feedback(engine, f, dt.date(2026, 10, 1))
    engine.dispose()
    assert result.estimate.ci_low <= 0 <= result.estimate.ci_high, result.estimate
    assert result.naive > 0.03 and result.treated > 1000
