"""Complaint trends: rates per 10,000 contacts, medians, and "what is unusual now".

Anomalies: each office-month is compared with what its own history predicts. The expected
count is the month's contacts times the office's complaint rate over the previous
``BASELINE_MONTHS`` months (shrunk towards the national rate, so an office with little history
is not flagged for one complaint); contacts carry the seasonality. A month is unusual when the
Poisson probability of seeing at least that many complaints is below ``ALPHA`` and the excess
is at least ``MIN_EXCESS`` complaints.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy import stats as sps

from lib.filters import add_months
from lib.format import fmt_int, fmt_pct
from lib.rates import rate

BASELINE_MONTHS = 12
ALPHA = 0.001
MIN_EXCESS = 5
PRIOR_CONTACTS = 20_000  # weight of the national rate in each office's baseline


def rate_per_10k(received: float, contacts: float) -> float | None:
    return rate(received, contacts)


def overall(volumes: pd.DataFrame) -> tuple[int, int]:
    """Complaints and contacts of the whole selection from a ``volumes`` frame by kind or
    category (zero-filled: every month once per value, each carrying the month's contacts)."""
    received = int(volumes["received"].sum())
    contacts = int(volumes.drop_duplicates("month")["contacts"].sum())
    return received, contacts


def median_from_counts(values: pd.Series, counts: pd.Series) -> float | None:
    if counts.sum() <= 0:
        return None
    order = np.argsort(values.to_numpy())
    v, c = values.to_numpy()[order], counts.to_numpy()[order]
    return float(v[np.searchsorted(np.cumsum(c), c.sum() / 2)])


def expected_counts(series: pd.DataFrame) -> pd.DataFrame:
    """Add ``expected``, ``upper`` (99.9 % Poisson limit), ``p_value`` and ``excess`` to an
    office-month series (columns subdelegacion_id, month, contacts, received)."""
    d = series.sort_values(["subdelegacion_id", "month"]).copy()
    months = sorted(d["month"].unique())
    national = d.groupby("month")[["received", "contacts"]].sum()
    out = []
    for m in months:
        base_months = [x for x in months if add_months(m, -BASELINE_MONTHS) <= x < m]
        if len(base_months) < 3:
            continue
        hist = (
            d[d["month"].isin(base_months)]
            .groupby("subdelegacion_id")[["received", "contacts"]]
            .sum()
        )
        nat = national.loc[base_months]
        nat_rate = nat["received"].sum() / max(nat["contacts"].sum(), 1)
        rate = (hist["received"] + PRIOR_CONTACTS * nat_rate) / (hist["contacts"] + PRIOR_CONTACTS)
        cur = d[d["month"] == m].set_index("subdelegacion_id")
        exp = cur["contacts"] * rate.reindex(cur.index).fillna(nat_rate)
        block = cur.assign(expected=exp).reset_index()
        out.append(block)
    if not out:
        return d.iloc[0:0].assign(expected=[], upper=[], p_value=[], excess=[])
    res = pd.concat(out, ignore_index=True)
    res["upper"] = sps.poisson.ppf(1 - ALPHA, res["expected"].clip(lower=1e-9))
    res["p_value"] = sps.poisson.sf(res["received"] - 1, res["expected"].clip(lower=1e-9))
    res["excess"] = res["received"] - res["expected"]
    return res


def unusual(series: pd.DataFrame, month: dt.date | None = None) -> pd.DataFrame:
    """Office-months beyond the expected band, biggest first (all months, or one)."""
    e = expected_counts(series)
    if month is not None:
        e = e[e["month"] == month]
    flagged = e[(e["p_value"] < ALPHA) & (e["excess"] >= MIN_EXCESS)]
    return flagged.sort_values(["p_value", "excess"], ascending=[True, False]).reset_index(
        drop=True
    )


def volume_series(volumes: pd.DataFrame) -> pd.DataFrame:
    """Per month and breakdown value: complaints, contacts and the rate per 10,000 contacts.

    ``volumes`` is the zero-filled grid of ``lib.queries.complaints.volumes`` (every month,
    0 complaints where none), so a line does not skip its quiet months. Grouped by key, not
    by name: subdelegación names repeat across OOAD (Juárez, Hidalgo).
    """
    d = volumes.groupby(["month", "key"], as_index=False).agg(
        label=("label", "first"), received=("received", "sum"), contacts=("contacts", "max")
    )
    d["rate"] = rate(d["received"], d["contacts"]).to_numpy()
    return d


def volume_totals(series: pd.DataFrame) -> pd.DataFrame:
    """The same over the whole period, biggest first: the contacts of every month of the
    period (the series is zero-filled), so every kind or category carries the same total."""
    t = series.groupby("key", as_index=False).agg(
        label=("label", "first"), received=("received", "sum"), contacts=("contacts", "sum")
    )
    t["rate"] = rate(t["received"], t["contacts"]).to_numpy()
    return t.sort_values("received", ascending=False).reset_index(drop=True)


def backlog_reading(backlog: pd.DataFrame) -> str:
    """One line under the backlog chart: how many are open and how many are old (over 30
    days: past every control tier but the longest)."""
    total = int(backlog["open"].sum())
    if total == 0:
        return "No hay quejas abiertas en esta selección."
    old = int(backlog.loc[backlog["band"].isin(["31-60 días", "más de 60 días"]), "open"].sum())
    return (
        f"{fmt_int(total)} quejas abiertas; {fmt_int(old)} ({fmt_pct(old / total)}) llevan más "
        "de 30 días desde que se recibieron."
    )
