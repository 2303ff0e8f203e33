"""Intervals and tests the pages use to say which differences are real.

Small, pure functions on counts and sums (what the rollups hold), so they work at any scale.
Where statsmodels or scipy has the method, it is used; the binned rank test is written here
because the rollups keep time histograms, not individual times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Estimate:
    value: float | None
    low: float | None
    high: float | None
    n: float

    @property
    def half_width(self) -> float | None:
        if self.low is None or self.high is None:
            return None
        return (self.high - self.low) / 2


def _check_counts(successes: float, n: float) -> None:
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"Conteos imposibles: {successes} éxitos de {n}")


def proportion(successes: float, n: float, alpha: float = 0.05) -> Estimate:
    """Share with a Wilson interval (good near 0 and 1 and for small n)."""
    _check_counts(successes, n)
    if n == 0:
        return Estimate(None, None, None, 0)
    low, high = proportion_confint(successes, n, alpha=alpha, method="wilson")
    return Estimate(successes / n, float(low), float(high), n)


def mean_from_sums(total: float, total_sq: float, n: float, alpha: float = 0.05) -> Estimate:
    """Mean with a t interval, from the sum and the sum of squares."""
    if n <= 0:
        return Estimate(None, None, None, 0)
    mean = total / n
    if n < 2:
        return Estimate(mean, None, None, n)
    var = max((total_sq - n * mean * mean) / (n - 1), 0.0)
    half = sps.t.ppf(1 - alpha / 2, n - 1) * math.sqrt(var / n)
    return Estimate(mean, mean - half, mean + half, n)


def nps(promoters: float, detractors: float, n: float, alpha: float = 0.05) -> Estimate:
    """Net promoter score (-100..100) with the multinomial variance of p_promoter - p_detractor.

    Var(NPS/100) = [p_p + p_d - (p_p - p_d)^2] / n.
    """
    _check_counts(promoters + detractors, n)
    if n == 0:
        return Estimate(None, None, None, 0)
    pp, pd_ = promoters / n, detractors / n
    score = pp - pd_
    se = math.sqrt(max(pp + pd_ - score * score, 0.0) / n)
    z = sps.norm.ppf(1 - alpha / 2)
    return Estimate(100 * score, 100 * max(score - z * se, -1), 100 * min(score + z * se, 1), n)


def nps_test(
    promoters1: float,
    detractors1: float,
    n1: float,
    promoters2: float,
    detractors2: float,
    n2: float,
) -> float:
    """Two-sided p value of H0: NPS1 = NPS2, a z test with each side's multinomial variance
    (as :func:`nps`); 1 when neither varies."""

    def parts(promoters: float, detractors: float, n: float) -> tuple[float, float]:
        pp, pd_ = promoters / n, detractors / n
        return pp - pd_, (pp + pd_ - (pp - pd_) ** 2) / n

    (sa, va), (sb, vb) = parts(promoters1, detractors1, n1), parts(promoters2, detractors2, n2)
    if va + vb <= 0:
        return 1.0
    z = (sa - sb) / math.sqrt(va + vb)
    return float(2 * sps.norm.sf(abs(z)))


def two_proportion_test(x1: float, n1: float, x2: float, n2: float) -> float | None:
    """Two-sided p value of H0: p1 = p2 (pooled z test)."""
    if n1 <= 0 or n2 <= 0:
        return None
    if x1 + x2 in (0, n1 + n2):
        return 1.0
    _, p = proportions_ztest([x1, x2], [n1, n2])
    return float(p)


def binned_quantile(edges: np.ndarray, counts: np.ndarray, q: float) -> float | None:
    """Quantile of a variable known only as counts per bin [edges[i], edges[i+1]),
    interpolating linearly inside the bin that holds it."""
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    if total <= 0:
        return None
    target = q * total
    cum = np.cumsum(counts)
    i = int(np.searchsorted(cum, target, side="left"))
    i = min(i, len(counts) - 1)
    if i == len(counts) - 1 and len(counts) > 1:
        return float(edges[i])  # the last bin is open-ended: report its lower edge ("or more")
    below = cum[i] - counts[i]
    frac = 0.0 if counts[i] == 0 else (target - below) / counts[i]
    return float(edges[i] + frac * (edges[i + 1] - edges[i]))


def binned_rank_test(counts1: np.ndarray, counts2: np.ndarray) -> tuple[float | None, float | None]:
    """Mann-Whitney U test on two samples given as counts over the same ordered bins.

    Values in one bin are ties. Returns (probability that a value of sample 1 exceeds one of
    sample 2, counting ties as half; two-sided p value with the tie-corrected normal
    approximation) — the same as scipy.stats.mannwhitneyu on the expanded data.
    """
    c1 = np.asarray(counts1, dtype=float)
    c2 = np.asarray(counts2, dtype=float)
    n1, n2 = c1.sum(), c2.sum()
    if n1 == 0 or n2 == 0:
        return None, None
    below2 = np.cumsum(c2) - c2
    u1 = float(np.sum(c1 * (below2 + 0.5 * c2)))
    n = n1 + n2
    t = c1 + c2
    tie_term = float(np.sum(t**3 - t)) / (n * (n - 1))
    var = n1 * n2 / 12 * ((n + 1) - tie_term)
    if var <= 0:
        return u1 / (n1 * n2), 1.0
    mu = n1 * n2 / 2
    z = (abs(u1 - mu) - 0.5) / math.sqrt(var)  # continuity correction, as scipy's default
    p = float(2 * sps.norm.sf(max(z, 0.0)))
    return u1 / (n1 * n2), min(p, 1.0)


def holm(pvalues: list[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values: the k-th smallest times (n − k + 1), made
    non-decreasing, capped at 1 — what statsmodels' ``multipletests(method="holm")`` returns
    (tests/test_stats.py compares them). Computed here because that function forces a full
    ``gc.collect()`` on every call: 0.14 s in a server process holding cached frames, six times
    per view of the channel study (issue 20)."""
    p = np.asarray(pvalues, dtype=float)
    n = len(p)
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate(p[order] * (n - np.arange(n)))
    out = np.empty(n)
    out[order] = np.minimum(stepped, 1.0)
    return out


def adjust_pvalues(pvalues: list[float | None], method: str = "holm") -> list[float | None]:
    """Family-wise correction for the many comparisons a page shows at once."""
    idx = [i for i, p in enumerate(pvalues) if p is not None]
    out: list[float | None] = [None] * len(pvalues)
    if not idx:
        return out
    given = [float(pvalues[i]) for i in idx]  # type: ignore[arg-type]
    if method == "holm":
        adjusted = holm(given)
    else:
        _, adjusted, _, _ = multipletests(given, method=method)
    for i, p in zip(idx, adjusted, strict=True):
        out[i] = float(p)
    return out
