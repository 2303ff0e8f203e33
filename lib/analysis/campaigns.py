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

from lib.threads import one_thread


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


def _prepare_panel(
    panel: pd.DataFrame, outcome: str, unit: str, period: str, treated: str, *extra: str
):
    _require(panel, [outcome, unit, period, treated, *extra])
    d, dropped = _drop_missing(panel, outcome)
    # only the columns the estimators read: the panel's other columns are not copied
    d = pd.DataFrame(
        {
            outcome: d[outcome].to_numpy(dtype=float),
            unit: d[unit].to_numpy(),
            period: d[period].to_numpy(),
            **{c: d[c].to_numpy() for c in extra},
            "_t": _flag(d[treated], treated).to_numpy(),
        },
        index=d.index,
    )
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


def _fe_ols(d: pd.DataFrame, y: str, regressors: dict[str, np.ndarray], unit: str):
    """OLS with unit fixed effects (within transformation), period dummies and
    clustered-by-unit errors.

    The design is built once, column by column, in a Fortran-ordered float array and demeaned
    in place with group sums (``np.bincount``): at national scale (780,000 patron-months) the
    pandas version made several copies of it and spent seconds in ``groupby.transform``.
    statsmodels is told there is no constant (``hasconst=False``: every column is demeaned, so
    none is constant), which skips its constant detection (a rank computation of the whole
    design that cost as much as the fit). The fit stays statsmodels' default pseudoinverse:
    in statsmodels 0.15 ``method="qr"`` computes the same pseudoinverse on top of the QR
    factorisation (for its covariance estimators), so it is slower, not faster."""
    codes, uniques = pd.factorize(d[unit])
    n_units = len(uniques)
    sizes = np.bincount(codes, minlength=n_units).astype(float)

    def demean(col: np.ndarray) -> None:
        col -= (np.bincount(codes, weights=col, minlength=n_units) / sizes)[codes]

    p = d["_p"].to_numpy()
    n_periods = int(p.max()) + 1
    names = list(regressors) + [f"p_{k}" for k in range(1, n_periods)]
    x = np.empty((len(d), len(names)), order="F")
    for j, values in enumerate(regressors.values()):
        x[:, j] = values
    for k in range(1, n_periods):  # period dummies, the first period is the reference
        x[:, len(regressors) + k - 1] = p == k
    for j in range(x.shape[1]):
        demean(x[:, j])
    y_dm = d[y].to_numpy(dtype=float, copy=True)
    demean(y_dm)
    keep = np.flatnonzero(np.abs(x).sum(axis=0) > 1e-12)
    if len(keep) < x.shape[1]:
        x = x[:, keep]
    with one_thread("blas"):
        model = sm.OLS(y_dm, x, hasconst=False)
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": codes})
    return fit, [names[j] for j in keep]


def diff_in_diff(
    panel: pd.DataFrame, outcome: str, unit: str, period: str, treated: str, post: str
) -> EffectEstimate:
    """Two-way fixed effects difference-in-differences: y ~ treated·post + unit FE + period
    FE, errors clustered by unit. ``treated`` is fixed per unit; ``post`` marks the periods
    after the start (it must vary across periods)."""
    _require(panel, [outcome, unit, period, treated, post])
    d, dropped, _ = _prepare_panel(panel, outcome, unit, period, treated, post)
    d["_post"] = _flag(d[post], post)
    if d["_post"].nunique() < 2:
        raise ValueError("La columna «post» no distingue periodos antes y después")
    reg = {"did": (d["_t"] * d["_post"]).to_numpy()}
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
) -> pd.DataFrame:
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
    rel = d["_p"].to_numpy() - e
    treated = d["_t"].to_numpy()
    rels = [k for k in range(-e, len(periods) - e) if k != -1]
    reg = {f"r{k}": treated * (rel == k) for k in rels}
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
