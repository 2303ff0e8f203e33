"""Rates over zero-filled grids (pure pandas, no database, no Streamlit).

A rate such as "complaints per 10,000 contacts" divides events by an exposure over the same
months and groups. When the events come from a GROUP BY, a month or group without events has
no row; joining the exposure onto those rows (or summing it over them) drops that month's
contacts from the denominator and inflates the rate. ``zero_filled`` therefore builds the
whole grid first (every month of the period × every group), puts the exposure on every cell
and 0 events where none happened; ``rate`` then divides. Every rate of the app goes through
these two functions (docs/analyses.md, "Rates").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import cast

import numpy as np
import pandas as pd

from lib.filters import add_months

PER_10K = 10_000


def month_range(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every first-of-month from ``start`` to ``end`` inclusive."""
    out, m = [], start.replace(day=1)
    while m <= end:
        out.append(m)
        m = add_months(m, 1)
    return out


def rate(events, exposure, per: float = PER_10K):
    """``per`` × events / exposure; None (scalars) or NaN (series) where exposure is not
    positive: a rate over no contacts is unknown, not zero and not infinite."""
    if np.isscalar(exposure) or exposure is None:
        # a scalar exposure is a count or a sum; np.isscalar's type also admits text and bytes
        den = cast(float | None, exposure)
        if den is None or not den > 0:
            return None
        return per * float(events) / float(den)
    den = pd.Series(exposure, dtype="float64")
    return per * pd.Series(events, dtype="float64") / den.where(den > 0)


def zero_filled(
    events: pd.DataFrame,
    exposure: pd.DataFrame,
    months: Sequence[dt.date],
    *,
    key: str | None = "key",
    counts: Sequence[str] = ("received",),
    exposure_col: str = "contacts",
    keys: Iterable | None = None,
    labels: dict | None = None,
) -> pd.DataFrame:
    """The grid month × ``key`` with event ``counts`` (0 where absent) and ``exposure_col``.

    - ``events``: rows of month, ``key`` (unless ``key`` is None), ``counts``; several rows
      per cell are summed.
    - ``exposure``: rows of month and ``exposure_col``, with ``key`` too when the exposure is
      split by the same key (office, channel); without it (kind, category) each month's
      exposure is the same for every group.
    - ``months``: the whole period; ``keys``: groups to show even without events (default:
      the groups found in either frame). ``labels`` maps key → label (a ``label`` column in
      ``events`` is used as well).
    """
    months = [pd.Timestamp(m).date() for m in months]
    ev = events.copy()
    ex = exposure.copy()
    for frame in (ev, ex):
        if not frame.empty:
            frame["month"] = pd.to_datetime(frame["month"]).dt.date
    if key is None:
        grid = pd.DataFrame({"month": months})
        cell = ["month"]
    else:
        found = list(ev[key]) if key in ev else []
        if key in ex:
            found += list(ex[key])
        wanted = list(keys) if keys is not None else []
        all_keys = list(dict.fromkeys([*wanted, *found]))
        grid = pd.MultiIndex.from_product([months, all_keys], names=["month", key]).to_frame(
            index=False
        )
        cell = ["month", key]
    if labels is None:
        labels = {}
    if key is not None and "label" in ev and not ev.empty:
        labels = {**dict(zip(ev[key], ev["label"], strict=True)), **labels}
    sums = (
        ev.groupby(cell, dropna=False)[list(counts)].sum().reset_index()
        if not ev.empty
        else pd.DataFrame(columns=[*cell, *counts])
    )
    out = grid.merge(sums, on=cell, how="left")
    ex_cell = [c for c in cell if c in ex]
    ex_sums = (
        ex.groupby(ex_cell, dropna=False)[exposure_col].sum().reset_index()
        if not ex.empty
        else pd.DataFrame(columns=[*ex_cell, exposure_col])
    )
    out = out.merge(ex_sums, on=ex_cell, how="left")
    for col in [*counts, exposure_col]:
        out[col] = pd.to_numeric(out[col]).fillna(0).astype("int64")
    if key is not None:
        out.insert(2, "label", [labels.get(k, k) for k in out[key]])
    return out.sort_values(cell).reset_index(drop=True)
