"""Offices at a glance: every office × the nine KPIs of the overview cards, this period against
the comparison period, with two marks: a change beyond noise, and a level beyond noise.

**Change** (``marked``): the statistics of "lo que más cambió" (lib/analysis/movers.py): a
two-proportion z for shares, the conditional binomial z against all offices for counts (never
for fewer than ``MIN_COUNT`` events), and for NPS the z of a difference of two NPS.

**Level** (``level_marked``): this period's value against the reference, the pooled value of
all the offices in the table (the national value in a national table, the OOAD's own value
for its subdelegaciones): for the shares of ``LEVEL_TESTS`` the one-sample z of the funnel
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

ALPHA = 0.05
MIN_Z = 3.0
METHOD = "fdr_bh"  # Benjamini–Hochberg (statsmodels.stats.multitest.multipletests)

# KPI key -> (test, numerator, denominator): how its change is tested; None = not tested
TESTS: dict[str, tuple[str, str, str] | None] = {
    "contacts": ("count", "contacts", ""),
    "digital_share": ("share", "digital_contacts", "contacts"),
    "fcr": ("share", "resolved_first", "resolution_known"),
    "csat": ("share", "csat_satisfied", "responses"),
    "nps": ("nps", "", "responses"),
    "complaints": ("count", "complaints", ""),
    "complaints_on_time": ("share", "complaints_on_time", "complaints_closed"),
    "collection_on_time": None,
    "patrons_on_time": ("share", "patrons_on_time", "patrons"),
}
# KPI key -> (numerator, denominator) of the level test against the table's pooled value;
# "nps" for NPS. Service KPIs only: the digital share is what the patron mix makes it (an
# office with more small employers is not serving worse), counts and pesos are sizes.
LEVEL_TESTS: dict[str, tuple[str, str]] = {
    "fcr": ("resolved_first", "resolution_known"),
    "csat": ("csat_satisfied", "responses"),
    "nps": ("nps", "responses"),
    "complaints_on_time": ("complaints_on_time", "complaints_closed"),
    "patrons_on_time": ("patrons_on_time", "patrons"),
}
PER_PATRON = {"patrons_on_time"}  # sums of patron-months (the same patron every month)
SUMS = [
    "contacts",
    "digital_contacts",
    "resolved_first",
    "resolution_known",
    "responses",
    "csat_satisfied",
    "nps_promoters",
    "nps_detractors",
    "complaints",
    "complaints_on_time",
    "complaints_pending",
    "complaints_no_date",
    "patrons",
    "patrons_on_time",
    "paid_on_time",
]
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
    out = frame.set_index("unit_id").reindex(columns=SUMS).fillna(0).astype(float)
    # as the card's denominator: closed or overdue, less those closed without a closing date
    out["complaints_closed"] = (
        out["complaints"] - out["complaints_pending"] - out["complaints_no_date"]
    )
    return out


def _level_z(kpi: str, c: pd.Series, ref: pd.Series, months: int = 1) -> float | None:
    """One-sample z of the office's level against the reference sums (all offices pooled).
    Patrons on time counts patron-months: the same patron ``months`` times is one patron,
    not ``months`` independent trials, so n is taken as patron-months ÷ months."""
    num, den = LEVEL_TESTS[kpi]
    if c[den] <= 0 or ref[den] <= 0:
        return None
    n = float(c[den]) / (max(months, 1) if kpi in PER_PATRON else 1)  # independent trials
    if num == "nps":
        s0 = (ref["nps_promoters"] - ref["nps_detractors"]) / ref[den]
        v0 = (ref["nps_promoters"] + ref["nps_detractors"]) / ref[den] - s0 * s0
        if v0 <= 0:
            return None
        s1 = (c["nps_promoters"] - c["nps_detractors"]) / c[den]
        return (s1 - s0) / math.sqrt(v0 / n)
    p0 = ref[num] / ref[den]
    if p0 <= 0 or p0 >= 1:
        return None
    return (c[num] / c[den] - p0) / math.sqrt(p0 * (1 - p0) / n)


def _z(test: tuple[str, str, str], cur: pd.Series, prev: pd.Series, ratio: float) -> float | None:
    kind, num, den = test
    if kind == "share":
        return proportion_z(cur[num], cur[den], prev[num], prev[den])
    if kind == "nps":
        return nps_z(
            cur["nps_promoters"],
            cur["nps_detractors"],
            cur["responses"],
            prev["nps_promoters"],
            prev["nps_detractors"],
            prev["responses"],
        )
    if cur[num] + prev[num] < MIN_COUNT:
        return None
    return count_z(cur[num], prev[num], ratio)


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
        key: (
            cur.loc[both, t[1]].sum() / prev.loc[both, t[1]].sum()
            if prev.loc[both, t[1]].sum() > 0
            else 1.0
        )
        for key, t in TESTS.items()
        if t is not None and t[0] == "count"
    }
    references = {kpi.key: kpi.value(ref) for kpi in KPIS}
    rows = []
    for unit_id, c in cur.iterrows():
        p = prev.loc[unit_id] if unit_id in prev.index else None
        for kpi in KPIS:
            value = kpi.value(c)
            before = kpi.value(p) if p is not None else None
            delta = change(kpi, value, before)
            test = TESTS[kpi.key]
            z = None
            if p is not None and test is not None:
                z = _z(test, c, p, ratios.get(kpi.key, 1.0))
            # as in top_movers, the direction is z's when there is one (for counts: up or down
            # against all offices), else the raw change's
            if z:
                moved = z > 0
            elif value is not None and before is not None and value != before:
                moved = value > before
            else:
                moved = None
            lz = _level_z(kpi.key, c, ref, months) if kpi.key in LEVEL_TESTS else None
            rows.append(
                {
                    "unit_id": int(unit_id),
                    "unit": names.get(int(unit_id), str(unit_id)),
                    "kpi": kpi.key,
                    "label": kpi.label,
                    "kind": kpi.kind,
                    "value": value,
                    "previous": before,
                    "change": delta,
                    "change_unit": {"share": "pp", "nps": "pts"}.get(kpi.kind, "%"),
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
