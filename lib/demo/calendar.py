"""The institute's calendar: working days, holidays and the daily rhythm of demand.

Demand peaks in the days up to the 17th (the contribution deadline), dips on weekends, in Holy
Week and in the last week of December (DOMAIN.md, "Heavy periods").
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np
import pandas as pd
from dateutil.easter import easter


def _nth_monday(year: int, month: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    offset = (7 - first.weekday()) % 7
    return first + dt.timedelta(days=offset + 7 * (n - 1))


@cache
def holidays(year: int) -> tuple[dt.date, ...]:
    """Federal rest days (LFT art. 74) plus Holy Thursday and Friday, as IMSS offices close."""
    e = easter(year)
    return (
        dt.date(year, 1, 1),
        _nth_monday(year, 2, 1),
        _nth_monday(year, 3, 3),
        e - dt.timedelta(days=3),
        e - dt.timedelta(days=2),
        dt.date(year, 5, 1),
        dt.date(year, 9, 16),
        _nth_monday(year, 11, 3),
        dt.date(year, 12, 25),
    )


def holiday_array(years: range) -> np.ndarray:
    return np.array([d for y in years for d in holidays(y)], dtype="datetime64[D]")


def add_working_days(start: np.ndarray, days: np.ndarray, years: range) -> np.ndarray:
    """``start`` plus ``days`` working days (weekends and holidays skipped)."""
    start = start.astype("datetime64[D]")
    return np.busday_offset(start, days, roll="forward", holidays=holiday_array(years))


def day_weights(month_start: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """Days of the month and their relative demand."""
    days = pd.date_range(month_start, month_start + pd.offsets.MonthEnd(0), freq="D")
    dom = days.day.to_numpy()
    w = np.where(dom <= 17, 1.0 + 0.6 * dom / 17, 0.85)  # ramp up to the 17th
    w = w * np.where(days.day_of_week == 5, 0.3, np.where(days.day_of_week == 6, 0.12, 1.0))
    e = easter(month_start.year)
    holy_week = (days.date >= e - dt.timedelta(days=6)) & (days.date <= e)
    w = w * np.where(holy_week, 0.45, 1.0)
    hol = np.isin(days.date, np.array(holidays(month_start.year)))
    w = w * np.where(hol, 0.1, 1.0)
    year_end = (days.month == 12) & (dom >= 24)
    w = w * np.where(year_end, 0.35, 1.0)
    return days.to_numpy().astype("datetime64[D]"), w / w.sum()
