"""The model's feedback loop: what the offices' orientations did to payment, measured from the
database with the stacked difference-in-differences of :mod:`lib.analysis.orientation_effect`.
One call for the page (cached there by filter)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from lib.analysis.orientation_effect import (
    POST,
    PRE,
    OrientationEffect,
    candidate_units,
    eligible_cohorts,
    orientation_effect,
)
from lib.filters import Filters, add_months
from lib.queries import orientation as q


def orientation_feedback(engine: Engine, f: Filters, last_month: dt.date) -> OrientationEffect:
    """Effect of orientation on the monthly probability of paying late, over the latest six
    orientation cohorts in the data whose follow-up is complete (the period filter does not
    apply: the effect needs months before and after each cohort; the place and size do)."""
    first = q.first_orientations(engine, f)
    cohorts = eligible_cohorts(first["first_month"], last_month)
    if not cohorts:
        raise ValueError("No hay orientaciones registradas con tres meses de seguimiento")
    units = candidate_units(first, cohorts)
    units = units.merge(first[["patron_id", "size_band_id"]], on="patron_id")
    late = q.late_months(
        engine,
        units["patron_id"].tolist(),
        add_months(cohorts[0], -PRE),
        add_months(cohorts[-1], POST),
    )
    return orientation_effect(units, late)
