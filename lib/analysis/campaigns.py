"""Campaign effects: difference in means, difference-in-differences with unit and period fixed
effects, and the event study. Public API (README, "Campaign analysis API"):

    r = difference_in_means(df, outcome="y", treated="t")            # one row per unit
    r = diff_in_diff(panel, outcome="y", unit="id", period="month", treated="t", post="post")
    es = event_study(panel, outcome="y", unit="id", period="month", treated="t", event_period=p0)

Fixed effects are absorbed by demeaning within units (Frisch-Waugh-Lovell), period effects are
dummies, and standard errors are clustered by unit with statsmodels, so the panel may be
unbalanced and of any size that fits in memory. Rows with a missing outcome are dropped and
counted. Bad input raises ValueError with a message in Spanish (the page shows it as is).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats as sps


@dataclass(frozen=True)
class EffectEstimate:
    effect: float
    std_error: float
    ci_low: float
    ci_high: float
    p_value: float
    n_units: int
    n_obs: int
    n_dropped: int = 0
    method: str = ""

    def __getitem__(self, key: str) -> float:  # r["effect"] as well as r.effect
        return getattr(self, key)

    def scaled(self, factor: float) -> EffectEstimate:
        """The same estimate in other units (e.g. per patron-month → total pesos)."""
        lo, hi = sorted((self.ci_low * factor, self.ci_high * factor))
        return EffectEstimate(
            self.effect * factor,
            abs(self.std_error * factor),
            lo,
            hi,
            self.p_value,
            self.n_units,
            self.n_obs,
            self.n_dropped,
            self.method,
        )


def _require(df: pd.DataFrame, columns: list[str]) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ValueError("Se esperaba una tabla (DataFrame)")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"Faltan columnas: {', '.join(missing)}")


def _flag(series: pd.Series, name: str) -> pd.Series:
    values = set(pd.unique(series.dropna()))
    if not values <= {0, 1}:
        raise ValueError(f"La columna «{name}» debe ser 0/1 o booleana; tiene {sorted(values)[:5]}")
    return series.astype(float)


def _drop_missing(df: pd.DataFrame, outcome: str) -> tuple[pd.DataFrame, int]:
    keep = df[outcome].notna()
    return df[keep], int((~keep).sum())


def difference_in_means(df: pd.DataFrame, outcome: str, treated: str) -> EffectEstimate:
    """Treated minus control mean, Welch standard error (unequal variances): for randomised
    campaigns, with one row per unit."""
    _require(df, [outcome, treated])
    d, dropped = _drop_missing(df, outcome)
    t = _flag(d[treated], treated)
    y1, y0 = d.loc[t == 1, outcome].astype(float), d.loc[t == 0, outcome].astype(float)
    if len(y1) < 2 or len(y0) < 2:
        raise ValueError("Se necesitan al menos dos unidades tratadas y dos de control")
    v1, v0 = y1.var(ddof=1) / len(y1), y0.var(ddof=1) / len(y0)
    se = math.sqrt(v1 + v0)
    effect = y1.mean() - y0.mean()
    dof = (v1 + v0) ** 2 / (v1**2 / (len(y1) - 1) + v0**2 / (len(y0) - 1)) if se > 0 else 1
    q = sps.t.ppf(0.975, dof)
    p = 2 * sps.t.sf(abs(effect / se), dof) if se > 0 else (0.0 if effect else 1.0)
    return EffectEstimate(
        float(effect),
        se,
        effect - q * se,
        effect + q * se,
        float(p),
        len(d),
        len(d),
        dropped,
        "diferencia de medias (Welch)",
    )


def _prepare_panel(panel: pd.DataFrame, outcome: str, unit: str, period: str, treated: str):
    _require(panel, [outcome, unit, period, treated])
    d, dropped = _drop_missing(panel, outcome)
    d = d.copy()
    d["_t"] = _flag(d[treated], treated)
    periods = np.sort(pd.unique(d[period]))
    if len(periods) < 2:
        raise ValueError("Se necesitan al menos dos periodos")
    if d["_t"].nunique() < 2:
        raise ValueError(
            "Se necesitan unidades tratadas y de control (no hay grupo de control)"
            if (d["_t"] == 1).all()
            else "No hay unidades tratadas"
        )
    d["_p"] = np.searchsorted(periods, d[period].to_numpy())
    return d, dropped, periods


def _fe_ols(d: pd.DataFrame, y: str, regressors: pd.DataFrame, unit: str):
    """OLS with unit fixed effects (within transformation) and clustered-by-unit errors."""
    period_dummies = pd.get_dummies(d["_p"], prefix="p", drop_first=True, dtype=float)
    x = pd.concat([regressors, period_dummies], axis=1)
    groups = d[unit].to_numpy()
    y_dm = d[y].astype(float) - d.groupby(unit)[y].transform("mean")
    x_dm = x - x.groupby(groups).transform("mean")
    keep = x_dm.columns[(x_dm.abs().sum() > 1e-12)]
    codes = pd.factorize(groups)[0]
    model = sm.OLS(y_dm.to_numpy(), x_dm[keep].to_numpy())
    fit = model.fit(cov_type="cluster", cov_kwds={"groups": codes})
    return fit, list(keep)


def diff_in_diff(
    panel: pd.DataFrame, outcome: str, unit: str, period: str, treated: str, post: str
) -> EffectEstimate:
    """Two-way fixed effects difference-in-differences: y ~ treated·post + unit FE + period
    FE, errors clustered by unit. ``treated`` is fixed per unit; ``post`` marks the periods
    after the start (it must vary across periods)."""
    _require(panel, [outcome, unit, period, treated, post])
    d, dropped, _ = _prepare_panel(panel, outcome, unit, period, treated)
    d["_post"] = _flag(d[post], post)
    if d["_post"].nunique() < 2:
        raise ValueError("La columna «post» no distingue periodos antes y después")
    reg = pd.DataFrame({"did": d["_t"] * d["_post"]}, index=d.index)
    fit, cols = _fe_ols(d, outcome, reg, unit)
    if "did" not in cols:
        raise ValueError(
            "No hay variación para estimar el efecto (¿tratados sólo antes o después?)"
        )
    i = cols.index("did")
    effect, se = float(fit.params[i]), float(fit.bse[i])
    lo, hi = fit.conf_int(0.05)[i]
    return EffectEstimate(
        effect,
        se,
        float(lo),
        float(hi),
        float(fit.pvalues[i]),
        int(d[unit].nunique()),
        len(d),
        dropped,
        "diferencia en diferencias con efectos fijos de unidad y periodo",
    )


def event_study(
    panel: pd.DataFrame, outcome: str, unit: str, period: str, treated: str, event_period
) -> pd.DataFrame:  # noqa: ANN001
    """Effect of being treated at each period relative to ``event_period`` (relative period
    -1 is the reference, effect 0 by construction), with 95 % intervals clustered by unit.

    Columns: relative_period, period, effect, std_error, ci_low, ci_high. Its attribute
    ``pretrend_p_value`` is the Wald test that all pre-period effects are zero."""
    d, _, periods = _prepare_panel(panel, outcome, unit, period, treated)
    matches = np.flatnonzero(periods == event_period)
    if len(matches) == 0:
        raise ValueError("El periodo del evento no está en el panel")
    e = int(matches[0])
    if e == 0:
        raise ValueError("Se necesita al menos un periodo antes del evento")
    rel = d["_p"] - e
    rels = [k for k in range(-e, len(periods) - e) if k != -1]
    reg = pd.DataFrame({f"r{k}": (d["_t"] * (rel == k)).astype(float) for k in rels}, index=d.index)
    fit, cols = _fe_ols(d, outcome, reg, unit)
    ci = fit.conf_int(0.05)
    rows = [
        {
            "relative_period": -1,
            "period": periods[e - 1],
            "effect": 0.0,
            "std_error": 0.0,
            "ci_low": 0.0,
            "ci_high": 0.0,
        }
    ]
    for k in rels:
        name = f"r{k}"
        if name not in cols:
            continue
        i = cols.index(name)
        rows.append(
            {
                "relative_period": k,
                "period": periods[e + k],
                "effect": float(fit.params[i]),
                "std_error": float(fit.bse[i]),
                "ci_low": float(ci[i][0]),
                "ci_high": float(ci[i][1]),
            }
        )
    out = pd.DataFrame(rows).sort_values("relative_period").reset_index(drop=True)
    pre = [cols.index(f"r{k}") for k in rels if k < -1 and f"r{k}" in cols]
    if pre:
        r = np.zeros((len(pre), len(cols)))
        for j, i in enumerate(pre):
            r[j, i] = 1.0
        out.attrs["pretrend_p_value"] = float(fit.wald_test(r, scalar=True).pvalue)
    else:
        out.attrs["pretrend_p_value"] = None
    return out
