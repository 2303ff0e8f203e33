"""Does proactive orientation change payment? A stacked difference-in-differences.

Orientations are not randomised: offices orient the riskiest patrons, so "oriented patrons
pay worse afterwards" is selection, not effect. The comparison here is, for each cohort
month m, the patrons first oriented in m against patrons of the same size band not yet
oriented by the end of m's follow-up, each followed from six months before m to three
after, with patron fixed effects absorbing each patron's own level of risk. Offices pick
patrons who have just paid late, and lateness persists, so the month before m (and m itself)
is left out: comparing it would credit or blame the orientation for the very payment that
triggered it. The cohorts are stacked with relative-month period effects and cohort·patron
unit effects (treated and controls of a cohort share its calendar months; cohort ×
relative-month effects would be collinear with the cohort-nested unit effects in the
campaign API's within estimator), and the effect is read with
:func:`lib.analysis.campaigns.diff_in_diff`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.analysis.campaigns import EffectEstimate, diff_in_diff
from lib.filters import add_months

PRE = 6  # months of history before the orientation month
POST = 3  # months followed after it
CONTROLS_PER_TREATED = 3
EXCLUDED = (-1, 0)  # the month offices select on, and the orientation month itself
MIN_TREATED = 30


@dataclass(frozen=True)
class OrientationEffect:
    estimate: EffectEstimate  # change in the probability of paying late (share, not pp)
    naive: float  # oriented minus comparison late rate after the orientation month (share)
    cohorts: list[dt.date]
    treated: int
    controls: int


def eligible_cohorts(first_months: pd.Series, last_month: dt.date, n: int = 6) -> list[dt.date]:
    """The latest ``n`` orientation months whose three follow-up months are in the data."""
    months = sorted({pd.Timestamp(m).date() for m in first_months.dropna()})
    return [m for m in months if add_months(m, POST) <= last_month][-n:]


def candidate_units(
    first: pd.DataFrame, cohorts: list[dt.date], seed: int = 0, oversample: int = 3
) -> pd.DataFrame:
    """Which patrons to read the payment history of: every patron first oriented in a cohort
    month, plus a random sample (``oversample`` × the stratum's need) of the not-yet-oriented
    of the same size band, so the history read stays proportional to the treated.

    ``first`` has one row per patron in scope: patron_id, size_band_id, first_month (NaT when
    never oriented). Returns cohort, patron_id, treated.
    """
    rng = np.random.default_rng(seed)
    f = first.assign(first_month=pd.to_datetime(first["first_month"]))
    out = []
    for m in cohorts:
        ts = pd.Timestamp(m)
        horizon = pd.Timestamp(add_months(m, POST))
        treated = f[f["first_month"] == ts]
        pool = f[f["first_month"].isna() | (f["first_month"] > horizon)]
        out.append(treated.assign(cohort=ts, treated=1)[["cohort", "patron_id", "treated"]])
        for band, group in treated.groupby("size_band_id"):
            candidates = pool[pool["size_band_id"] == band]["patron_id"].to_numpy()
            need = min(len(candidates), oversample * CONTROLS_PER_TREATED * len(group))
            picked = rng.choice(candidates, need, replace=False) if need else candidates[:0]
            out.append(pd.DataFrame({"cohort": ts, "patron_id": picked, "treated": 0}))
    if not out:
        return pd.DataFrame(columns=["cohort", "patron_id", "treated"])
    return pd.concat(out, ignore_index=True)


def stacked_panel(
    units: pd.DataFrame, late: pd.DataFrame, seed: int = 0
) -> tuple[pd.DataFrame, int, int]:
    """Draw CONTROLS_PER_TREATED controls per treated patron within (cohort, size band) and lay
    the stacked panel out: unit = cohort·patron, period = month relative to the cohort.

    Only patrons with a contribution every month of the window are kept (a balanced panel).
    The month before the orientation (selection happens on it) and the orientation month are
    left out of the comparison. Controls are not matched on past lateness: with patron fixed
    effects, matching on pre-period outcomes makes the controls regress to their own, lower
    mean afterwards and shows an effect where there is none (Daw & Hatfield 2018).

    ``units``: cohort, patron_id, treated, size_band_id. ``late``: patron_id, month, late
    (1 when that month's contribution was paid late or not at all).
    """
    rng = np.random.default_rng(seed)
    late = late.reset_index(drop=True).assign(month=pd.to_datetime(late["month"].to_numpy()))
    frames, n_t, n_c = [], 0, 0
    for cohort, group in units.groupby("cohort"):
        rel = (late["month"].dt.year - cohort.year) * 12 + late["month"].dt.month - cohort.month
        window = late[(rel >= -PRE) & (rel <= POST)].assign(rel=rel)
        window = window[window["patron_id"].isin(group["patron_id"])]
        months_seen = window.groupby("patron_id")["rel"].nunique()
        complete = months_seen.index[months_seen == PRE + POST + 1]
        group = group[group["patron_id"].isin(complete)]
        keep = []
        for _, stratum in group.groupby("size_band_id"):
            t = stratum[stratum["treated"] == 1]
            c = stratum[stratum["treated"] == 0]
            if t.empty or c.empty:
                continue
            take = min(len(c), CONTROLS_PER_TREATED * len(t))
            keep += [t, c.iloc[rng.choice(len(c), take, replace=False)]]
        if not keep:
            continue
        matched = pd.concat(keep)
        n_t += int(matched["treated"].sum())
        n_c += int((matched["treated"] == 0).sum())
        panel = window.merge(matched[["patron_id", "treated"]], on="patron_id")
        panel = panel[~panel["rel"].isin(EXCLUDED)]
        frames.append(
            panel.assign(
                unit=f"{cohort:%Y-%m}·" + panel["patron_id"].astype(str),
                period=panel["rel"],
                post=(panel["rel"] > 0).astype(int),
            )
        )
    if not frames:
        return pd.DataFrame(columns=["unit", "period", "treated", "post", "late", "rel"]), 0, 0
    return pd.concat(frames, ignore_index=True), n_t, n_c


def orientation_effect(units: pd.DataFrame, late: pd.DataFrame, seed: int = 0) -> OrientationEffect:
    """The effect of being oriented on the monthly probability of paying late."""
    panel, n_t, n_c = stacked_panel(units, late, seed)
    if n_t < MIN_TREATED or n_c == 0:
        raise ValueError(
            f"Muy pocos patrones orientados con controles comparables ({n_t}); se necesitan al "
            f"menos {MIN_TREATED} para medir el efecto"
        )
    estimate = diff_in_diff(panel, "late", "unit", "period", "treated", "post")
    after = panel[panel["post"] == 1].groupby("treated")["late"].mean()
    naive_pool = late.merge(
        units[units["treated"] == 0][["patron_id"]].drop_duplicates(), on="patron_id"
    )
    naive = float(after.get(1, np.nan) - naive_pool["late"].mean())
    return OrientationEffect(
        estimate,
        naive,
        sorted(pd.Timestamp(c).date() for c in units["cohort"].unique()),
        n_t,
        n_c,
    )
