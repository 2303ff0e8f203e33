"""Monthly demand forecast: an exponential-smoothing state-space model (statsmodels ETS) on the
logarithm of monthly contacts, with prediction intervals and a one-year backtest.

Why the logarithm: demand grows by a percentage and its seasonality is a percentage of the
level, so on the log scale both are additive and the model ETS(A, Ad, A) has exact
(analytical) prediction intervals; back on the original scale the forecast is the median and
the interval is asymmetric, as demand intervals should be. The annual total's interval comes
from simulated paths of the same model (monthly bounds do not add up), with a fixed seed.

Model by history length: two seasonal cycles or more (24 months) → damped additive trend and
additive seasonality (on the log scale); 8–23 months → damped trend, no seasonality; fewer →
the mean of the last months with the spread of those months. Pure: no SQL, no Streamlit.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

SEASON = 12
MIN_SEASONAL = 2 * SEASON
MIN_TREND = 8
LEVEL = 0.90  # prediction intervals cover 90 % of outcomes
SIMULATIONS = 1000
SEED = 20270101


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def plan_months(last_month: dt.date, year: int) -> tuple[int, list[dt.date]]:
    """Months ahead needed to reach December of ``year`` and the twelve months of ``year``."""
    horizon = (year - last_month.year) * 12 + 12 - last_month.month
    if horizon < 12:
        raise ValueError(
            f"El año del programa ({year}) debe ser posterior al último mes con datos "
            f"({last_month:%m/%Y})"
        )
    return horizon, [dt.date(year, m, 1) for m in range(1, 13)]


@dataclass(frozen=True)
class SeriesForecast:
    """Monthly forecast (columns month, forecast, lower, upper) and the annual total of the
    months asked for, with its interval."""

    monthly: pd.DataFrame
    total: float
    total_lower: float
    total_upper: float
    method: str
    horizon: pd.DataFrame  # every forecast month, also those before ``keep``


def _as_series(history: pd.Series) -> pd.Series:
    s = pd.Series(history, dtype=float).sort_index()
    if s.isna().any():
        s = s.fillna(0.0)
    if (s < 0).any():
        raise ValueError("La serie tiene valores negativos; se esperaban conteos de contactos")
    idx = [pd.Timestamp(m).date().replace(day=1) for m in s.index]
    expected = [add_months(idx[0], i) for i in range(len(idx))]
    if idx != expected:
        raise ValueError("La serie debe tener un valor por mes, sin huecos")
    s.index = pd.DatetimeIndex(idx, freq="MS")
    return s


def _fit(log_y: pd.Series):
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    n = len(log_y)
    seasonal = n >= MIN_SEASONAL

    def model(init: str) -> ETSModel:
        return ETSModel(
            log_y,
            error="add",
            trend="add",
            damped_trend=True,
            seasonal="add" if seasonal else None,
            seasonal_periods=SEASON if seasonal else None,
            initialization_method=init,
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short or flat series
        try:  # initial states from the first cycles: 4-10 times faster than estimating them
            fit = model("heuristic").fit(disp=False, maxiter=2000)
        except ValueError:  # too short for the heuristic
            fit = model("estimated").fit(disp=False, maxiter=2000)
    method = (
        "ETS(A,Ad,A) sobre el logaritmo: tendencia amortiguada y estacionalidad de 12 meses"
        if seasonal
        else "ETS(A,Ad,N) sobre el logaritmo: tendencia amortiguada, sin estacionalidad "
        "(menos de 24 meses de historia)"
    )
    return fit, method


def forecast_series(
    history: pd.Series, horizon: int, keep: list[dt.date] | None = None, level: float = LEVEL
) -> SeriesForecast:
    """Forecast ``horizon`` months after the last month of ``history`` (index: months, values:
    contacts). ``keep``: the months to report and total (default: all ``horizon``)."""
    if horizon < 1:
        raise ValueError("El horizonte debe ser de al menos un mes")
    s = _as_series(history)
    if len(s) == 0:
        raise ValueError("No hay historia para pronosticar")
    last = s.index[-1].date()
    months = [add_months(last, i) for i in range(1, horizon + 1)]
    keep = months if keep is None else list(keep)
    if not set(keep) <= set(months):
        raise ValueError("Los meses pedidos están fuera del horizonte del pronóstico")
    z = sps.norm.ppf(0.5 + level / 2)
    if len(s) < MIN_TREND:
        recent = np.log1p(s.tail(SEASON).to_numpy())
        mu, sd = float(recent.mean()), float(recent.std(ddof=1)) if len(recent) > 1 else 0.0
        mean = np.full(horizon, mu)
        lower, upper = mean - z * sd, mean + z * sd
        sims = mu + sd * np.random.default_rng(SEED).standard_normal((horizon, SIMULATIONS))
        method = "promedio de los últimos meses (menos de 8 meses de historia)"
    else:
        fit, method = _fit(np.log1p(s))
        pred = fit.get_prediction(start=len(s), end=len(s) + horizon - 1)
        frame = pred.summary_frame(alpha=1 - level)
        mean = frame["mean"].to_numpy()
        lower, upper = frame["pi_lower"].to_numpy(), frame["pi_upper"].to_numpy()
        sims = np.asarray(
            fit.simulate(
                nsimulations=horizon,
                repetitions=SIMULATIONS,
                anchor="end",
                rng=np.random.default_rng(SEED),
            )
        ).reshape(horizon, -1)
    monthly = pd.DataFrame(
        {
            "month": months,
            "forecast": np.expm1(mean),
            "lower": np.clip(np.expm1(lower), 0, None),
            "upper": np.expm1(upper),
        }
    )
    rows = [months.index(m) for m in keep]
    totals = np.clip(np.expm1(sims[rows]), 0, None).sum(axis=0)
    q = (1 - level) / 2
    return SeriesForecast(
        monthly[monthly["month"].isin(keep)].reset_index(drop=True),
        float(monthly["forecast"].iloc[rows].sum()),
        float(np.quantile(totals, q)),
        float(np.quantile(totals, 1 - q)),
        method,
        monthly,
    )


def mape(actual: pd.Series | np.ndarray, forecast: pd.Series | np.ndarray) -> float:
    """Mean absolute percentage error, in percent, over the months with actual demand."""
    a, f = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    ok = a > 0
    if not ok.any():
        raise ValueError("No hay meses con demanda real para medir el error")
    return float(100 * np.mean(np.abs(a[ok] - f[ok]) / a[ok]))


@dataclass(frozen=True)
class Backtest:
    """The model fitted on the history before the last ``test_months`` and compared with them."""

    frame: pd.DataFrame  # month, actual, forecast, lower, upper
    mape: float
    coverage: float  # share of actual months inside the interval
    train_months: int
    method: str


def backtest(history: pd.Series, test_months: int = SEASON, level: float = LEVEL) -> Backtest:
    """Forecast the last ``test_months`` from everything before them (year Y-1 from up to Y-2)."""
    s = _as_series(history)
    if len(s) <= test_months:
        raise ValueError(
            f"Se necesitan más de {test_months} meses de historia para el contraste (hay {len(s)})"
        )
    train, test = s.iloc[:-test_months], s.iloc[-test_months:]
    fc = forecast_series(train, test_months, level=level)
    frame = fc.monthly.assign(actual=test.to_numpy())[
        ["month", "actual", "forecast", "lower", "upper"]
    ]
    inside = (frame["actual"] >= frame["lower"]) & (frame["actual"] <= frame["upper"])
    return Backtest(
        frame, mape(frame["actual"], frame["forecast"]), float(inside.mean()), len(train), fc.method
    )


def forecast_by(
    history: pd.DataFrame,
    key: str,
    last_month: dt.date,
    year: int,
    value: str = "contacts",
    level: float = LEVEL,
    all_months: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One forecast per value of ``key`` (channel, OOAD...) from a long frame (month, key,
    value). Months without rows count as zero. Returns the monthly frame (key, month,
    forecast, lower, upper) for ``year`` (from the month after the data with ``all_months``)
    and the annual totals (key, forecast, lower, upper,
    last12, method, backtest_mape)."""
    horizon, keep = plan_months(last_month, year)
    first = min(history["month"]) if len(history) else last_month
    n = (last_month.year - first.year) * 12 + last_month.month - first.month + 1
    months = [add_months(first, i) for i in range(n)]
    wide = (
        history.pivot_table(index="month", columns=key, values=value, aggfunc="sum")
        .reindex(months)
        .fillna(0.0)
    )
    monthly, totals = [], []
    for k in wide.columns:
        s = wide[k]
        fc = forecast_series(s, horizon, keep, level)
        monthly.append((fc.horizon if all_months else fc.monthly).assign(**{key: k}))
        try:
            err = backtest(s, level=level).mape
        except ValueError:
            err = float("nan")
        totals.append(
            {
                key: k,
                "forecast": fc.total,
                "lower": fc.total_lower,
                "upper": fc.total_upper,
                "last12": float(s.tail(SEASON).sum()),
                "method": fc.method,
                "backtest_mape": err,
            }
        )
    cols = [key, "month", "forecast", "lower", "upper"]
    m = pd.concat(monthly, ignore_index=True)[cols] if monthly else pd.DataFrame(columns=cols)
    return m, pd.DataFrame(totals)
