"""Each indicator of lib/metrics computed another way: pandas over the raw fact rows.

The oracle shares nothing with the layer but the written definition (docs and the rollup's
docstrings): no rollup, no measure, no SQL of the product. Adding an indicator to
lib/metrics/registry.py means adding its oracle here; tests/test_metrics_common.py fails for an
indicator without one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

ABANDONED = "abandonado"
ANSWERED = ("atendido", "transferido")
SERVICE_SECONDS = 20  # the default threshold, as the indicator's label says
ON_TIME_TOLERANCE = 0.005  # a patron who paid within half a centavo of the issued amount


@dataclass(frozen=True)
class Facts:
    """Raw rows of one database: ``contacts`` holds every month (the 30-day recontact looks
    past the period), the others only the period and place being measured."""

    contacts: pd.DataFrame  # interaction, all months, all places
    surveys: pd.DataFrame
    complaints: pd.DataFrame
    collection: pd.DataFrame
    digital: set[str]  # channel ids that are digital
    as_of: pd.Timestamp  # data_as_of: an open complaint due after it is still in time
    months: int  # months in the period with collection rows (the balance is a stock)
    in_scope: Callable[[pd.DataFrame], pd.Series]  # period and place, for contacts


def _ratio(num: float, den: float) -> float | None:
    return None if den <= 0 else float(num) / float(den)


def _pct(num: float, den: float) -> float | None:
    r = _ratio(num, den)
    return None if r is None else 100 * r


def _handled(f: Facts) -> pd.DataFrame:
    c = f.contacts[f.in_scope(f.contacts)]
    return c[c["outcome"] != ABANDONED]


def _queued(f: Facts) -> pd.DataFrame:
    c = f.contacts[f.in_scope(f.contacts)]
    return c[c["wait_seconds"].notna()]


def _answered_waits(f: Facts) -> np.ndarray:
    """Waits of the answered as stored: to the second below 20 minutes (rounded half up),
    by the minute from there to two hours, everything longer at two hours."""
    q = _queued(f)
    s = np.floor(q.loc[q["outcome"].isin(ANSWERED), "wait_seconds"].to_numpy(float) + 0.5)
    s = np.where(s < 1200, s, np.where(s >= 7200, 7200, np.floor(s / 60) * 60))
    return np.sort(s)


def _nearest_rank(values: np.ndarray, q: float) -> float | None:
    if len(values) == 0:
        return None
    return float(values[max(math.ceil(q * len(values)), 1) - 1])


def _recontact(f: Facts) -> tuple[int, int]:
    """(repeated, followable) handled contacts in scope: a contact of a known patron is
    repeated when the same patron's next handled contact for the same procedure (any channel,
    any month, ordered by start time then id) comes within 30 days."""
    c = f.contacts[(f.contacts["outcome"] != ABANDONED) & f.contacts["patron_id"].notna()]
    c = c.sort_values(["patron_id", "procedure_id", "started_at", "id"])
    nxt = c.groupby(["patron_id", "procedure_id"])["day"].shift(-1)
    repeated = (nxt - c["day"]).dt.days <= 30
    scope = f.in_scope(c)
    return int(repeated[scope].sum()), int(scope.sum())


def _complaints_closed(c: pd.DataFrame) -> pd.Series:
    return c["closed_on"].notna() | (c["status"] == "cerrada")


ORACLES: dict[str, Callable[[Facts], float | None]] = {
    "contacts": lambda f: float(len(_handled(f))),
    "digital_share": lambda f: _ratio(
        _handled(f)["channel_id"].isin(f.digital).sum(), len(_handled(f))
    ),
    "fcr": lambda f: _ratio(
        _handled(f)["resolved_first_contact"].eq(1).sum(),  # True or 1, never NULL
        _handled(f)["resolved_first_contact"].notna().sum(),
    ),
    "repeat_30d": lambda f: _ratio(*_recontact(f)),
    "wait_mean": lambda f: _ratio(_handled(f)["wait_minutes"].sum(), len(_handled(f))),
    "handle_mean": lambda f: _ratio(_handled(f)["handle_minutes"].sum(), len(_handled(f))),
    "cost_per_contact": lambda f: _ratio(
        _handled(f)["cost"].sum(), _handled(f)["cost"].notna().sum()
    ),
    "queued": lambda f: float(len(_queued(f))),
    "abandonment": lambda f: _ratio((_queued(f)["outcome"] == ABANDONED).sum(), len(_queued(f))),
    "service_level": lambda f: _ratio(
        (
            _queued(f)["outcome"].isin(ANSWERED)
            & (np.floor(_queued(f)["wait_seconds"] + 0.5) <= SERVICE_SECONDS)
        ).sum(),
        len(_queued(f)),
    ),
    "speed_of_answer": lambda f: _ratio(
        _queued(f).loc[_queued(f)["outcome"].isin(ANSWERED), "wait_seconds"].sum(),
        _queued(f)["outcome"].isin(ANSWERED).sum(),
    ),
    "wait_median_s": lambda f: _nearest_rank(_answered_waits(f), 0.5),
    "wait_p90_s": lambda f: _nearest_rank(_answered_waits(f), 0.9),
    "responses": lambda f: float(len(f.surveys)),
    "csat_mean": lambda f: _ratio(f.surveys["csat"].sum(), len(f.surveys)),
    "csat": lambda f: _ratio((f.surveys["csat"] >= 4).sum(), len(f.surveys)),
    "nps": lambda f: _pct(
        (f.surveys["nps"] >= 9).sum() - (f.surveys["nps"] <= 6).sum(), len(f.surveys)
    ),
    "effort": lambda f: _ratio(f.surveys["effort"].sum(), len(f.surveys)),
    "complaints": lambda f: float(len(f.complaints)),
    "complaints_on_time": lambda f: _ratio(
        (f.complaints["closed_on"] <= f.complaints["due_on"]).sum(),
        len(f.complaints)
        - (~_complaints_closed(f.complaints) & (f.complaints["due_on"] > f.as_of)).sum()
        - (_complaints_closed(f.complaints) & f.complaints["closed_on"].isna()).sum(),
    ),
    "days_to_close": lambda f: _ratio(
        f.complaints["days_to_close"].sum(), _complaints_closed(f.complaints).sum()
    ),
    "issued": lambda f: float(f.collection["issued"].sum()),
    "collection_on_time": lambda f: float(f.collection["paid_on_time"].sum()),
    "collection_on_time_share": lambda f: _ratio(
        f.collection["paid_on_time"].sum(), f.collection["issued"].sum()
    ),
    "patrons_on_time": lambda f: _ratio(
        (f.collection["paid_on_time"] >= f.collection["issued"] - ON_TIME_TOLERANCE).sum(),
        len(f.collection),
    ),
    "overdue_balance": lambda f: _ratio(f.collection["overdue_balance"].sum(), f.months),
}
