"""Statistics against hand computations and scipy on expanded data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from lib.analysis import stats


def test_wilson_interval_by_hand():
    est = stats.proportion(8, 10)
    z = 1.959963984540054
    centre = (0.8 + z * z / 20) / (1 + z * z / 10)
    half = z * math.sqrt(0.8 * 0.2 / 10 + z * z / 400) / (1 + z * z / 10)
    assert est.value == 0.8
    assert est.low == pytest.approx(centre - half) and est.high == pytest.approx(centre + half)
    assert stats.proportion(0, 0).value is None
    with pytest.raises(ValueError, match="imposibles"):
        stats.proportion(11, 10)


def test_nps_interval_by_hand():
    # 50 promoters, 20 detractors, 30 passives out of 100: NPS 30
    est = stats.nps(50, 20, 100)
    var = (0.5 + 0.2 - 0.3**2) / 100
    assert est.value == pytest.approx(30.0)
    assert est.low == pytest.approx(100 * (0.3 - 1.959963984540054 * math.sqrt(var)))
    assert est.high == pytest.approx(100 * (0.3 + 1.959963984540054 * math.sqrt(var)))


def test_mean_from_sums_matches_scipy():
    x = np.array([1, 2, 2, 3, 5, 5, 4, 1], dtype=float)
    est = stats.mean_from_sums(x.sum(), (x**2).sum(), len(x))
    low, high = sps.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
    assert est.value == pytest.approx(x.mean())
    assert est.low == pytest.approx(low) and est.high == pytest.approx(high)


def test_two_proportion_test_matches_hand_z():
    p = stats.two_proportion_test(60, 100, 40, 100)
    assert p == pytest.approx(2 * sps.norm.sf(0.2 / math.sqrt(0.005)))
    assert stats.two_proportion_test(0, 10, 0, 10) == 1.0


def test_binned_quantile():
    edges = np.array([0, 10, 20, 30])
    counts = np.array([10, 10, 0])
    assert stats.binned_quantile(edges, counts, 0.5) == pytest.approx(10.0)
    assert stats.binned_quantile(edges, counts, 0.75) == pytest.approx(15.0)
    assert stats.binned_quantile(edges, np.zeros(3), 0.5) is None


def test_binned_rank_test_equals_scipy_on_expanded_data():
    rng = np.random.default_rng(0)
    bins = np.arange(12)
    c1 = rng.integers(0, 30, 12)
    c2 = rng.integers(0, 30, 12)
    c2[:4] += 15  # sample 2 shifted low
    x1, x2 = np.repeat(bins, c1), np.repeat(bins, c2)
    res = sps.mannwhitneyu(x1, x2, alternative="two-sided", method="asymptotic")
    prob, p = stats.binned_rank_test(c1, c2)
    assert prob == pytest.approx(res.statistic / (len(x1) * len(x2)))
    assert p == pytest.approx(res.pvalue, rel=1e-9)


def test_holm_adjustment_keeps_gaps():
    adjusted = stats.adjust_pvalues([0.01, None, 0.04, 0.03])
    assert adjusted[1] is None
    assert adjusted[0] == pytest.approx(0.03)  # 3 x 0.01
    assert adjusted[3] == pytest.approx(0.06) and adjusted[2] == pytest.approx(0.06)


@pytest.mark.parametrize("n", [1, 2, 7, 50, 600])
def test_holm_equals_statsmodels_with_ties_and_ones(n):
    """The oracle is statsmodels' own Holm (which the app no longer calls: it forces a full
    garbage collection per call). Planted: ties, p = 0, p = 1, values whose product exceeds 1."""
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(n)
    p = rng.uniform(0, 1, n) ** 3
    if n >= 7:
        p[:3] = p[3]  # ties
        p[4], p[5] = 0.0, 1.0
    expected = multipletests(p, method="holm")[1]
    assert stats.holm(list(p)) == pytest.approx(expected, abs=1e-15)
    assert stats.adjust_pvalues(list(p)) == pytest.approx(list(expected), abs=1e-15)
