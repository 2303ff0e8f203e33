"""Offices at a glance: every office × the nine KPIs of the overview cards, this period against
the comparison period, with two marks: a change beyond noise, and a level beyond noise.

**Change** (``marked``): the statistics of "lo que más cambió" (lib/analysis/movers.py): a
two-proportion z for shares, the conditional binomial z against all offices for counts (never
for fewer than ``MIN_COUNT`` events), and for NPS the z of a difference of two NPS.

**Level** (``level_marked``): this period's value against the reference, the pooled value of
all the offices in the table (the national value in a national table, the OOAD's own value
for its subdelegaciones): for the indicators declared with ``level_test`` (lib/metrics) the one-sample z of the funnel
plot, (p − p₀) / √(p₀(1 − p₀)/n), and for NPS (s − s₀) / √(v₀/n) with v₀ the reference's
multinomial variance. An office that is constantly worse than the rest has no change to mark
but is marked here. Patrons on time sums patron-months (the same patron every month), so its
n is patron-months ÷ ``months``. The digital share (set by the patron mix), counts and pesos
(their level is the office's size) have no level test.

Both marks need |z| ≥ ``MIN_Z`` (the movers' bar) **and** a p value below ``ALPHA`` after one
Benjamini–Hochberg adjustment over every test in the table, changes and levels together.
Pesos (recaudación a tiempo) are never tested.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd
from scipy.stats import norm

from lib.analysis.kpis import KPIS, change
from lib.analysis.movers import MIN_COUNT, count_z, nps_z, proportion_z
from lib.analysis.stats import adjust_pvalues
from lib.metrics import ChangeTest, Indicator
from lib.metrics.measures import terms_value

ALPHA = 0.05
MIN_Z = 3.0
METHOD = "fdr_bh"  # Benjamini–Hochberg (statsmodels.stats.multitest.multipletests)

# the sums every card needs, by measure name (lib/metrics/measures.py)
SUMS = list(dict.fromkeys(m for kpi in KPIS for m in kpi.measures))
COLUMNS = [
    "unit_id",
    "unit",
    "kpi",
    "label",
    "kind",
    "value",
    "previous",
    "change",
    "change_unit",
    "z",
    "p",
    "p_adjusted",
    "marked",
    "good",
    "reference",
    "level_z",
    "level_p",
    "level_p_adjusted",
    "level_marked",
    "level_good",
]


def _sums(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("unit_id").reindex(columns=SUMS).fillna(0).astype(float)


def _count(kpi: Indicator) -> str:
    """The measure a count indicator sums (its one numerator term)."""
    (name,) = kpi.numerator
    return name


def _level_z(kpi: Indicator, c: pd.Series, ref: pd.Series, months: int = 1) -> float | None:
    """One-sample z of the office's level against the reference sums (all offices pooled).
    Patrons on time counts patron-months: the same patron ``months`` times is one patron,
    not ``months`` independent trials, so n is taken as patron-months ÷ months."""
    assert kpi.denominator is not None
    den_c = terms_value(kpi.denominator, c)
    den_ref = terms_value(kpi.denominator, ref)
    if den_c <= 0 or den_ref <= 0:
        return None
    n = den_c / (max(months, 1) if kpi.per_patron else 1)  # independent trials
    # the levels are the semantic layer's ratios (NPS as a proportion, -1 to 1); only the
    # variance is written here
    p0, p1 = kpi.ratio(ref), kpi.ratio(c)
    assert p0 is not None and p1 is not None  # both denominators are positive
    if kpi.test is ChangeTest.NPS:
        v0 = (ref["nps_promoters"] + ref["nps_detractors"]) / den_ref - p0 * p0
        if v0 <= 0:
            return None
        return (p1 - p0) / math.sqrt(v0 / n)
    if p0 <= 0 or p0 >= 1:
        return None
    return (p1 - p0) / math.sqrt(p0 * (1 - p0) / n)


def _z(kpi: Indicator, cur: pd.Series, prev: pd.Series, ratio: float) -> float | None:
    if kpi.test is ChangeTest.PROPORTION:
        assert kpi.denominator is not None
        return proportion_z(
            terms_value(kpi.numerator, cur),
            terms_value(kpi.denominator, cur),
            terms_value(kpi.numerator, prev),
            terms_value(kpi.denominator, prev),
        )
    if kpi.test is ChangeTest.NPS:
        return nps_z(
            cur["nps_promoters"],
            cur["nps_detractors"],
            cur["responses"],
            prev["nps_promoters"],
            prev["nps_detractors"],
            prev["responses"],
        )
    if kpi.test is ChangeTest.COUNT:
        name = _count(kpi)
        if cur[name] + prev[name] < MIN_COUNT:
            return None
        return count_z(cur[name], prev[name], ratio)
    return None


def office_changes(
    current: pd.DataFrame,
    previous: pd.DataFrame | None,
    names: Mapping[int, str],
    *,
    alpha: float = ALPHA,
    min_z: float = MIN_Z,
    method: str = METHOD,
    months: int = 1,
) -> pd.DataFrame:
    """One row per office × KPI (``COLUMNS``), from the per-office sums of
    lib.queries.overview.unit_indicators for the period (of ``months`` months) and its
    comparison.

    Every office of ``current`` is listed; one absent from ``previous`` (or no comparison at
    all) has no previous value and no change test, but its level is still tested. ``change``
    is in pp for shares, points for NPS and relative % for counts and pesos
    (lib.analysis.kpis.change: None when the comparison is 0). ``good`` says whether the
    change is good news (None for contacts, for no change, or no comparison): by the sign of
    z when it is not zero (so for counts, against all offices), else by the raw change.
    Counts are tested against the ratio of all offices in both periods, so a rise everywhere
    marks no office. ``reference`` is the KPI's value over all offices of ``current`` pooled;
    ``level_good`` says whether the office is better than it (None when equal or untested)."""
    cur = _sums(current)
    prev = _sums(previous) if previous is not None else _sums(current.iloc[0:0])
    ref = cur.sum()
    both = cur.index.intersection(prev.index)
    ratios = {
        kpi.key: (
            cur.loc[both, _count(kpi)].sum() / prev.loc[both, _count(kpi)].sum()
            if prev.loc[both, _count(kpi)].sum() > 0
            else 1.0
        )
        for kpi in KPIS
        if kpi.test is ChangeTest.COUNT
    }
    references = {kpi.key: kpi.value(ref) for kpi in KPIS}
    rows = []
    for unit_id, c in cur.iterrows():
        p = prev.loc[unit_id] if unit_id in prev.index else None
        for kpi in KPIS:
            value = kpi.value(c)
            before = kpi.value(p) if p is not None else None
            delta = change(kpi, value, before)
            z = None
            if p is not None:
                z = _z(kpi, c, p, ratios.get(kpi.key, 1.0))
            # as in top_movers, the direction is z's when there is one (for counts: up or down
            # against all offices), else the raw change's
            if z:
                moved = z > 0
            elif value is not None and before is not None and value != before:
                moved = value > before
            else:
                moved = None
            lz = _level_z(kpi, c, ref, months) if kpi.level_test else None
            rows.append(
                {
                    "unit_id": int(unit_id),
                    "unit": names.get(int(unit_id), str(unit_id)),
                    "kpi": kpi.key,
                    "label": kpi.label,
                    "kind": kpi.kind.value,
                    "value": value,
                    "previous": before,
                    "change": delta,
                    "change_unit": {"share": "pp", "nps": "pts"}.get(kpi.kind.value, "%"),
                    "z": z,
                    "p": None if z is None else float(2 * norm.sf(abs(z))),
                    "good": (
                        None
                        if moved is None or kpi.higher_is_better is None
                        else moved == kpi.higher_is_better
                    ),
                    "reference": references[kpi.key],
                    "level_z": lz,
                    "level_p": None if lz is None else float(2 * norm.sf(abs(lz))),
                    "level_good": (
                        None
                        if not lz or kpi.higher_is_better is None
                        else (lz > 0) == kpi.higher_is_better
                    ),
                }
            )
    out = pd.DataFrame(
        rows,
        columns=[
            c
            for c in COLUMNS
            if c not in ("p_adjusted", "marked", "level_p_adjusted", "level_marked")
        ],
    )
    # one Benjamini-Hochberg adjustment over every test of the table, changes and levels
    pvalues = [None if pd.isna(p) else float(p) for p in [*out["p"], *out["level_p"]]]
    adjusted = adjust_pvalues(pvalues, method=method)
    out["p_adjusted"] = adjusted[: len(out)]
    out["level_p_adjusted"] = adjusted[len(out) :]
    for mark, zc, pc in (
        ("marked", "z", "p_adjusted"),
        ("level_marked", "level_z", "level_p_adjusted"),
    ):
        out[mark] = [
            z is not None and not pd.isna(z) and p is not None and abs(z) >= min_z and p < alpha
            for z, p in zip(out[zc], out[pc], strict=True)
        ]
    for col in (
        "value",
        "previous",
        "change",
        "z",
        "p",
        "p_adjusted",
        "reference",
        "level_z",
        "level_p",
        "level_p_adjusted",
    ):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    return out[COLUMNS]


def office_ranking(changes: pd.DataFrame) -> pd.DataFrame:
    """One row per office: how many KPIs got marked worse and better (change), how many are
    marked below and above the reference (level), which ones, and the smallest adjusted p of
    its marks; ordered with marked offices first: most bad marks (worse plus below), then
    most marks, then the smallest adjusted p, then the name."""
    cols = [
        "unit_id",
        "unit",
        "worse",
        "better",
        "below",
        "above",
        "marked_worse",
        "marked_better",
        "marked_below",
        "marked_above",
        "min_p",
    ]
    if changes.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for (unit_id, unit), g in changes.groupby(["unit_id", "unit"], sort=False):
        m = g[g["marked"]]
        lv = g[g["level_marked"]]
        worse, better = m[m["good"].eq(False)], m[m["good"].eq(True)]
        below, above = lv[lv["level_good"].eq(False)], lv[lv["level_good"].eq(True)]
        rows.append(
            {
                "unit_id": unit_id,
                "unit": unit,
                "worse": len(worse),
                "better": len(better),
                "below": len(below),
                "above": len(above),
                "marked_worse": ", ".join(worse["label"]),
                "marked_better": ", ".join(better["label"]),
                "marked_below": ", ".join(below["label"]),
                "marked_above": ", ".join(above["label"]),
                "min_p": pd.concat([m["p_adjusted"], lv["level_p_adjusted"]]).min()
                if len(m) + len(lv)
                else float("nan"),
                "_bad": len(worse) + len(below),
                "_marked": len(m) + len(lv),
            }
        )
    out = pd.DataFrame(rows).sort_values(
        ["_bad", "_marked", "min_p", "unit"],
        ascending=[False, False, True, True],
        na_position="last",
        kind="stable",
    )
    return out[cols].reset_index(drop=True)
