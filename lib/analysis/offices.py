"""Offices at a glance: every office × the nine KPIs of the overview cards, this period against
the comparison period, with a mark where the change is beyond noise.

The statistics are those of "lo que más cambió" (lib/analysis/movers.py): a two-proportion z for
shares, the conditional binomial z against all offices for counts (never for fewer than
``MIN_COUNT`` events), and for NPS the z of a difference of two NPS. A change is marked when
|z| ≥ ``MIN_Z`` (the movers' bar) **and** its p value, adjusted with Holm's method across every
office × KPI tested in the table, is below ``ALPHA``. Pesos (recaudación a tiempo) have no count
model and are never marked.
"""

from __future__ import annotations

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
    "fcr": ("share", "resolved_first", "contacts"),
    "csat": ("share", "csat_satisfied", "responses"),
    "nps": ("nps", "", "responses"),
    "complaints": ("count", "complaints", ""),
    "complaints_on_time": ("share", "complaints_on_time", "complaints_closed"),
    "collection_on_time": None,
    "patrons_on_time": ("share", "patrons_on_time", "patrons"),
}
SUMS = [
    "contacts",
    "digital_contacts",
    "resolved_first",
    "responses",
    "csat_satisfied",
    "nps_promoters",
    "nps_detractors",
    "complaints",
    "complaints_on_time",
    "complaints_pending",
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
]


def _sums(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.set_index("unit_id").reindex(columns=SUMS).fillna(0).astype(float)
    out["complaints_closed"] = out["complaints"] - out["complaints_pending"]
    return out


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
) -> pd.DataFrame:
    """One row per office × KPI (``COLUMNS``), from the per-office sums of
    lib.queries.overview.unit_indicators for the period and its comparison.

    Every office of ``current`` is listed; one absent from ``previous`` (or no comparison at
    all) has no previous value and is not tested. ``change`` is in pp for shares, points for
    NPS and relative % for counts and pesos (lib.analysis.kpis.change: None when the
    comparison is 0). ``good`` says whether the change is good news (None for contacts, for
    no change, or no comparison): by the sign of z when it is not zero (so for counts,
    against all offices), else by the raw change. Counts are tested against the ratio of all offices in both
    periods, so a rise everywhere marks no office."""
    cur = _sums(current)
    prev = _sums(previous) if previous is not None else _sums(current.iloc[0:0])
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
                }
            )
    out = pd.DataFrame(rows, columns=[c for c in COLUMNS if c not in ("p_adjusted", "marked")])
    pvalues = [None if pd.isna(p) else float(p) for p in out["p"]]
    out["p_adjusted"] = adjust_pvalues(pvalues, method=method)
    out["marked"] = [
        z is not None and p is not None and abs(z) >= min_z and p < alpha
        for z, p in zip(out["z"], out["p_adjusted"], strict=True)
    ]
    for col in ("value", "previous", "change", "z", "p", "p_adjusted"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    return out[COLUMNS]


def office_ranking(changes: pd.DataFrame) -> pd.DataFrame:
    """One row per office: how many KPIs got marked worse and better, which ones, and the
    smallest adjusted p value; ordered worst first (most marked worse, then most marked,
    then smallest p)."""
    cols = ["unit_id", "unit", "worse", "better", "marked_worse", "marked_better", "min_p"]
    if changes.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for (unit_id, unit), g in changes.groupby(["unit_id", "unit"], sort=False):
        m = g[g["marked"]]
        worse = m[m["good"].eq(False)]
        better = m[m["good"].eq(True)]
        rows.append(
            {
                "unit_id": unit_id,
                "unit": unit,
                "worse": len(worse),
                "better": len(better),
                "marked_worse": ", ".join(worse["label"]),
                "marked_better": ", ".join(better["label"]),
                "min_p": m["p_adjusted"].min() if len(m) else float("nan"),
                "_marked": len(m),
            }
        )
    out = pd.DataFrame(rows).sort_values(
        ["worse", "_marked", "min_p", "unit"],
        ascending=[False, False, True, True],
        na_position="last",
        kind="stable",
    )
    return out[cols].reset_index(drop=True)
