"""'What moved most': changes by office ranked by how unlikely they are to be noise.

A big office's small change can matter more than a small office's big one, so each change is
scored with a z statistic and only changes beyond ``min_z`` are listed: a two-proportion test
for rates, and for counts a test of whether the office moved out of line with all offices
together (so a nationwide rise in contacts does not flag every office).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from lib.metrics import INDICATORS, MOVERS


def _single(terms) -> str:
    (name,) = terms
    return name


# metric -> (phrase, numerator, denominator or None for counts, higher is better): the
# indicators of lib.metrics.MOVERS, each a ratio of two single measures or a count
METRICS: dict[str, tuple[str, str, str | None, bool | None]] = {
    key: (
        INDICATORS[key].phrase,
        _single(INDICATORS[key].numerator),
        None if INDICATORS[key].denominator is None else _single(INDICATORS[key].denominator),
        INDICATORS[key].higher_is_better,
    )
    for key in MOVERS
}
MIN_COUNT = 20  # counts below this, before and after together, are never listed


def _share(key: str, row: pd.Series, suffix: str = "") -> float:
    """The semantic layer's share ``key`` over a merged row's sums (``suffix`` "_prev": the
    previous period's); only called once its test ran, so its denominator is positive."""
    value = INDICATORS[key].value({m: row[f"{m}{suffix}"] for m in INDICATORS[key].measures})
    assert value is not None
    return value


def proportion_z(x1: float, n1: float, x0: float, n0: float) -> float | None:
    """Two-proportion z statistic with pooled variance; None when either side is empty."""
    if n1 <= 0 or n0 <= 0:
        return None
    p = (x1 + x0) / (n1 + n0)
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n0))
    if se == 0:
        return None
    return (x1 / n1 - x0 / n0) / se


def nps_z(
    promoters1: float,
    detractors1: float,
    n1: float,
    promoters0: float,
    detractors0: float,
    n0: float,
) -> float | None:
    """z statistic of a change in NPS, with each side's multinomial variance
    [p_p + p_d - (p_p - p_d)^2] / n (the variance behind lib.analysis.stats.nps); None when
    either side is empty or both variances are zero."""
    if n1 <= 0 or n0 <= 0:
        return None
    s1 = (promoters1 - detractors1) / n1
    s0 = (promoters0 - detractors0) / n0
    v1 = max((promoters1 + detractors1) / n1 - s1 * s1, 0.0) / n1
    v0 = max((promoters0 + detractors0) / n0 - s0 * s0, 0.0) / n0
    if v1 + v0 == 0:
        return None
    return (s1 - s0) / math.sqrt(v1 + v0)


def count_z(c1: float, c0: float, ratio: float = 1.0) -> float | None:
    """Is ``c1`` out of line with ``c0`` scaled by the overall ``ratio`` (current / previous)?

    Conditional on the total c1 + c0, c1 is binomial with p = ratio / (1 + ratio) when the unit
    moved like everyone else; the z statistic measures how far it strayed from that.
    """
    total = c1 + c0
    if total <= 0 or ratio <= 0:
        return None
    p = ratio / (1 + ratio)
    return (c1 - total * p) / math.sqrt(total * p * (1 - p))


def top_movers(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    names: Mapping[int, str],
    n: int = 5,
    min_z: float = 3.0,
) -> pd.DataFrame:
    """Rows (unit, metric, before, after, change, z, good, overall) for the biggest credible
    moves; ``overall`` is the change of all offices together (%) for counts, None for rates."""
    merged = current.merge(previous, on="unit_id", suffixes=("", "_prev"), how="inner")
    ratios = {
        key: (merged[num].sum() / merged[f"{num}_prev"].sum())
        if merged[f"{num}_prev"].sum()
        else 1.0
        for key, (_l, num, den, _b) in METRICS.items()
        if den is None
    }
    rows = []
    for _, r in merged.iterrows():
        for key, (label, num, den, better) in METRICS.items():
            if den is None:
                if r[num] + r[f"{num}_prev"] < MIN_COUNT:
                    continue
                z = count_z(r[num], r[f"{num}_prev"], ratios[key])
                before, after = r[f"{num}_prev"], r[num]
                delta = None if before == 0 else 100 * (after - before) / before
                unit, overall = "%", 100 * (ratios[key] - 1)
            else:
                z = proportion_z(r[num], r[den], r[f"{num}_prev"], r[f"{den}_prev"])
                if z is None:
                    continue
                before, after = _share(key, r, "_prev"), _share(key, r)
                delta, unit, overall = 100 * (after - before), "pp", None
            if z is None or abs(z) < min_z:
                continue
            good = None if better is None else bool((z > 0) == better)
            rows.append(
                {
                    "unit_id": int(r["unit_id"]),
                    "unit": names.get(int(r["unit_id"]), str(r["unit_id"])),
                    "metric": key,
                    "metric_label": label,
                    "before": before,
                    "after": after,
                    "change": delta,
                    "change_unit": unit,
                    "z": z,
                    "good": good,
                    "overall": overall,
                }
            )
    out = pd.DataFrame(
        rows,
        columns=[
            "unit_id",
            "unit",
            "metric",
            "metric_label",
            "before",
            "after",
            "change",
            "change_unit",
            "z",
            "good",
            "overall",
        ],
    )
    if out.empty:
        return out
    out = out.reindex(out["z"].abs().sort_values(ascending=False).index)
    return out.head(n).reset_index(drop=True)
