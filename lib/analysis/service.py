"""Service evaluation: scores with intervals, a fair comparison of offices (funnel plot),
change over time (p-chart, change point, before/after) and what drives satisfaction.

All inputs are sums (from the rollups or SQL aggregates), so the methods work at any scale.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math

import numpy as np
import pandas as pd
from scipy import stats as sps

from lib.analysis import stats
from lib.metrics import INDICATORS

CSAT = INDICATORS["csat"]  # % satisfied (4 or 5): the funnel's and the p-chart's rate

Z95 = sps.norm.ppf(0.975)  # 1.960
Z998 = sps.norm.ppf(0.999)  # 3.090
RUN_LENGTH = 8  # consecutive points on one side of the centre line: a shift (Western Electric)


def score_table(sums: pd.DataFrame) -> pd.DataFrame:
    """Per row of ``sums`` (one per channel, office, procedure or month): % satisfied, mean
    CSAT, NPS and effort with 95 % intervals, responses and the response rate."""
    rows = []
    for _, r in sums.iterrows():
        sat, mean, nps, effort = (
            INDICATORS[key].estimate(r) for key in ("csat", "csat_mean", "nps", "effort")
        )
        contacts = r.get("contacts", 0)
        rate = (
            stats.proportion(min(r["responses"], contacts), contacts)
            if contacts
            else stats.Estimate(None, None, None, 0)
        )
        rows.append(
            {
                "key": r["key"],
                "label": r["label"],
                "responses": int(r["responses"]),
                "contacts": int(contacts),
                "response_rate": rate.value,
                "satisfied": sat.value,
                "satisfied_low": sat.low,
                "satisfied_high": sat.high,
                "csat_mean": mean.value,
                "csat_mean_low": mean.low,
                "csat_mean_high": mean.high,
                "nps": nps.value,
                "nps_low": nps.low,
                "nps_high": nps.high,
                "effort": effort.value,
                "effort_low": effort.low,
                "effort_high": effort.high,
            }
        )
    return pd.DataFrame(rows)


def funnel_limits(p0: float, n: np.ndarray | float, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Control limits p0 ± z·sqrt(p0(1-p0)/n), clipped to [0, 1] (normal approximation)."""
    n = np.asarray(n, dtype=float)
    half = z * np.sqrt(p0 * (1 - p0) / n)
    return np.clip(p0 - half, 0, 1), np.clip(p0 + half, 0, 1)


def funnel(offices: pd.DataFrame, p0: float | None = None) -> pd.DataFrame:
    """Each office's % satisfied against the funnel around the overall value ``p0`` (default:
    all offices pooled). ``status``: 'bajo 99.8 %' / 'bajo 95 %' / 'dentro' / 'sobre 95 %' /
    'sobre 99.8 %'. Only the 99.8 % breaches are called out of control on the page."""
    d = offices[offices["responses"] > 0].copy()
    if p0 is None:
        pooled = CSAT.value(d[list(CSAT.measures)].sum())
        p0 = float("nan") if pooled is None else pooled  # no office with responses: empty
    d["p"] = CSAT.values(d)
    d["z"] = (d["p"] - p0) / np.sqrt(p0 * (1 - p0) / d["responses"])
    lo95, hi95 = funnel_limits(p0, d["responses"], Z95)
    lo998, hi998 = funnel_limits(p0, d["responses"], Z998)
    d["low95"], d["high95"], d["low998"], d["high998"] = lo95, hi95, lo998, hi998
    d["status"] = np.select(
        [d["p"] < lo998, d["p"] < lo95, d["p"] > hi998, d["p"] > hi95],
        ["bajo 99.8 %", "bajo 95 %", "sobre 99.8 %", "sobre 95 %"],
        default="dentro",
    )
    d["p0"] = p0
    return d.sort_values("z").reset_index(drop=True)


def p_chart(series: pd.DataFrame, shift: object | None = None) -> pd.DataFrame:
    """p-chart of monthly % satisfied (columns month, responses, csat_satisfied): centre line,
    3-sigma limits per point, and two signals — a point outside the limits, or a run of
    RUN_LENGTH points on one side of the centre line.

    ``shift``: the first month of a new level (a detected change point). The months before
    it and the months from it on are two phases, each with its own centre line and limits,
    and runs are counted within a phase; without it the whole series is one phase (a level
    shift then flags both sides). Columns added: phase (0, 1), p, centre, lcl, ucl, outside,
    in_run and signal (outside or in a run: what the chart draws red)."""
    d = series[series["responses"] > 0].sort_values("month").reset_index(drop=True).copy()
    if d.empty:
        return d
    d["phase"] = 0 if shift is None else (d["month"] >= shift).astype(int)
    d["p"] = CSAT.values(d)
    d["centre"] = CSAT.values(d.groupby("phase")[list(CSAT.measures)].transform("sum"))
    half = 3.0 * np.sqrt(d["centre"] * (1 - d["centre"]) / d["responses"])
    d["lcl"], d["ucl"] = (d["centre"] - half).clip(0, 1), (d["centre"] + half).clip(0, 1)
    d["outside"] = (d["p"] < d["lcl"]) | (d["p"] > d["ucl"])
    side = np.sign(d["p"] - d["centre"]).to_numpy()
    phase = d["phase"].to_numpy()
    run = np.zeros(len(d), dtype=bool)
    start = 0
    for i in range(1, len(d) + 1):
        if i == len(d) or side[i] != side[start] or side[i] == 0 or phase[i] != phase[start]:
            if i - start >= RUN_LENGTH and side[start] != 0:
                run[start:i] = True
            start = i
    d["in_run"] = run
    d["signal"] = d["outside"] | d["in_run"]
    return d


def p_chart_reading(d: pd.DataFrame, shift_label: str | None = None) -> str:
    """The caption under a p-chart, counting exactly what the chart draws red (``signal``):
    how many months, and of them how many are outside the limits and how many in runs."""
    if d.empty:
        return "Sin respuestas en la serie elegida."
    phases = (
        f"Línea central y límites recalculados desde {shift_label}, donde se detectó un "
        "cambio de nivel. "
        if shift_label and d["phase"].nunique() > 1
        else ""
    )
    red, out, run = int(d["signal"].sum()), int(d["outside"].sum()), int(d["in_run"].sum())
    if red == 0:
        return (
            f"{phases}Ningún mes con señal: todos dentro de los límites de 3σ y sin rachas "
            f"de {RUN_LENGTH} o más del mismo lado de la línea central."
        )
    both = out + run - red
    parts = [f"{out} fuera de los límites de 3σ"] if out else []
    if run:
        parts.append(f"{run} en rachas de {RUN_LENGTH} o más del mismo lado de la línea central")
    detail = " y ".join(parts) + (f" ({both} con ambas señales)" if both else "")
    months = "mes" if red == 1 else "meses"
    return f"{phases}En rojo: {red} {months} con señal de {len(d)}: {detail}."


def change_point(series: pd.DataFrame, min_segment: int = 3) -> dict | None:
    """The single month where % satisfied most plausibly shifted (maximum binomial likelihood
    over every split), with the shift and a Bonferroni-corrected likelihood-ratio p value."""
    d = series[series["responses"] > 0].sort_values("month").reset_index(drop=True)
    if len(d) < 2 * min_segment:
        return None
    x = d["csat_satisfied"].to_numpy(float)
    n = d["responses"].to_numpy(float)

    def loglik(xs: float, ns: float) -> float:
        p = xs / ns
        if p in (0.0, 1.0):
            return 0.0
        return xs * math.log(p) + (ns - xs) * math.log(1 - p)

    whole = loglik(x.sum(), n.sum())
    best: tuple[int, float] | None = None
    for k in range(min_segment, len(d) - min_segment + 1):
        ll = loglik(x[:k].sum(), n[:k].sum()) + loglik(x[k:].sum(), n[k:].sum())
        if best is None or ll > best[1]:
            best = (k, ll)
    assert best is not None  # len(d) >= 2 * min_segment: there is at least one split
    k, ll = best
    lr = 2 * (ll - whole)
    splits = len(d) - 2 * min_segment + 1
    p_value = min(1.0, splits * float(sps.chi2.sf(lr, 1)))
    before, after = x[:k].sum() / n[:k].sum(), x[k:].sum() / n[k:].sum()
    return {
        "month": d["month"].iloc[k],
        "before": before,
        "after": after,
        "shift": after - before,
        "p_value": p_value,
    }


def compare_before_after(rows: pd.DataFrame) -> pd.DataFrame:
    """Per channel, % satisfied, mean CSAT and NPS before and after a date, with the change,
    its 95 % interval (for % satisfied) and the p value of a two-proportion test."""
    out = []
    for ch, g in rows.groupby("channel_id"):
        b = g[~g["after"]].sum(numeric_only=True)
        a = g[g["after"]].sum(numeric_only=True)
        if b.get("responses", 0) == 0 or a.get("responses", 0) == 0:
            continue
        pb, pa = CSAT.value(b), CSAT.value(a)
        assert pb is not None and pa is not None  # both periods have responses
        se = math.sqrt(pb * (1 - pb) / b["responses"] + pa * (1 - pa) / a["responses"])
        p = stats.two_proportion_test(
            a["csat_satisfied"], a["responses"], b["csat_satisfied"], b["responses"]
        )
        out.append(
            {
                "channel_id": ch,
                "responses_before": int(b["responses"]),
                "responses_after": int(a["responses"]),
                "satisfied_before": pb,
                "satisfied_after": pa,
                "change": pa - pb,
                "change_low": pa - pb - Z95 * se,
                "change_high": pa - pb + Z95 * se,
                "p_value": p,
                "csat_before": INDICATORS["csat_mean"].value(b),
                "csat_after": INDICATORS["csat_mean"].value(a),
                "nps_before": INDICATORS["nps"].value(b),
                "nps_after": INDICATORS["nps"].value(a),
            }
        )
    res = pd.DataFrame(out)
    if not res.empty:
        res["p_adjusted"] = stats.adjust_pvalues(list(res["p_value"]))
        res["significant"] = res["p_adjusted"] < 0.05
    return res


DRIVERS = ("courtesy", "clarity", "timeliness", "solution")
DRIVER_LABELS = {
    "courtesy": "Amabilidad",
    "clarity": "Claridad",
    "timeliness": "Tiempo",
    "solution": "Solución",
}


def _moments(m: pd.Series) -> tuple[np.ndarray, np.ndarray, float]:
    """Mean vector and covariance matrix of (drivers..., csat) from SQL sums."""
    names = [*DRIVERS, "csat"]
    n = float(m["n"])
    mean = np.array([m[f"s_{a}"] / n for a in names])
    cov = np.zeros((len(names), len(names)))
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            key = f"p_{a}_{b}" if i <= j else f"p_{b}_{a}"
            cov[i, j] = (m[key] - n * mean[i] * mean[j]) / (n - 1)
    return mean, cov, n


def _r2(cov: np.ndarray, subset: tuple[int, ...]) -> float:
    if not subset:
        return 0.0
    idx = list(subset)
    sxx = cov[np.ix_(idx, idx)]
    sxy = cov[idx, -1]
    return float(sxy @ np.linalg.solve(sxx, sxy) / cov[-1, -1])


def drivers(moments: pd.Series) -> tuple[pd.DataFrame, float]:
    """OLS of overall CSAT on the four dimensions, from sufficient statistics, plus relative
    importance: each dimension's share of R² averaged over every order of entry (LMG /
    Shapley decomposition), which is robust to the dimensions being correlated.

    Returns (table with coefficient, standard error, standardized coefficient and share of
    R²; R²). Raises ValueError when there are too few responses or no variation."""
    if float(moments.get("n", 0) or 0) < 30:
        raise ValueError(
            "Se necesitan al menos 30 respuestas para estimar qué mueve la satisfacción"
        )
    mean, cov, n = _moments(moments)
    k = len(DRIVERS)
    sxx, sxy = cov[:k, :k], cov[:k, -1]
    if np.linalg.matrix_rank(sxx) < k or cov[-1, -1] <= 0:
        raise ValueError("Las dimensiones no varían lo suficiente en esta selección")
    beta = np.linalg.solve(sxx, sxy)
    r2 = float(sxy @ beta / cov[-1, -1])
    resid_var = (1 - r2) * cov[-1, -1] * (n - 1) / (n - k - 1)
    se = np.sqrt(np.diag(np.linalg.inv(sxx)) * resid_var / (n - 1))
    std_beta = beta * np.sqrt(np.diag(sxx)) / math.sqrt(cov[-1, -1])
    shares = np.zeros(k)
    for perm in itertools.permutations(range(k)):
        before: tuple[int, ...] = ()
        for j in perm:
            with_j = tuple(sorted((*before, j)))
            shares[j] += _r2(cov, with_j) - _r2(cov, before)
            before = with_j
    shares /= math.factorial(k)
    table = (
        pd.DataFrame(
            {
                "driver": list(DRIVERS),
                "label": [DRIVER_LABELS[d] for d in DRIVERS],
                "coefficient": beta,
                "std_error": se,
                "standardized": std_beta,
                "r2_share": shares,
                "importance": shares / r2 if r2 > 0 else np.nan,
                "mean": mean[:k],
            }
        )
        .sort_values("r2_share", ascending=False)
        .reset_index(drop=True)
    )
    return table, r2


def gap_to_target(value: float | None, target: float | None, higher_is_better: bool = True):
    """Signed gap (positive = target met or beaten); None when either side is missing."""
    if value is None or target is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value - target if higher_is_better else target - value


def change_points(monthly: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """``change_point`` for every channel of a month × channel table, one row each."""
    rows = []
    for ch, g in monthly.groupby("channel_id"):
        cp = change_point(g)
        if cp:
            rows.append({"channel_id": ch, **cp, "significant": cp["p_value"] < alpha})
    return pd.DataFrame(
        rows, columns=["channel_id", "month", "before", "after", "shift", "p_value", "significant"]
    )


def detected_shift(points: pd.DataFrame, channel_id: str) -> dt.date | None:
    """The month a channel's level significantly shifted (a row of ``change_points`` marked
    significant), else None: where its p-chart starts a new phase."""
    hit = points[(points["channel_id"] == channel_id) & points["significant"]]
    return None if hit.empty else hit["month"].iloc[0]
