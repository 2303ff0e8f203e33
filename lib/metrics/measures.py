"""The named sums every indicator is a ratio of, and which rollup column each one reads.

A measure is a sum over a rollup family (lib/metrics/vocabulary.py ``Family``): the explorer
reads it from the fine rollup, the overview and the offices table from the coarse one (same
columns, fewer dimensions). An indicator's numerator and denominator are linear combinations
of measures by name (``Terms``), so the same declaration is evaluated in SQL over a rollup
and in pandas over sums already fetched — never two formulas for one number.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Table, case, select

from lib.contact import DEFAULT_SERVICE_SECONDS
from lib.db.schema import (
    AggCollectionMonth,
    AggCollectionUnitMonth,
    AggComplaintMonth,
    AggInteractionMonth,
    AggInteractionUnitMonth,
    AggQueueWaitMonth,
    AggSurveyMonth,
    AggSurveyUnitMonth,
    Channel,
)
from lib.metrics.vocabulary import Family

# measure name -> coefficient: ``{"complaints": 1, "complaints_pending": -1}``
Terms = Mapping[str, float]

# family -> (fine rollup: every dimension, for the explorer; coarse rollup: office × channel ×
# size band × month, for the overview and the offices table)
ROLLUPS: dict[Family, tuple[Table, Table]] = {
    Family.INTERACTION: (AggInteractionMonth.__table__, AggInteractionUnitMonth.__table__),
    Family.QUEUE: (AggQueueWaitMonth.__table__, AggQueueWaitMonth.__table__),
    Family.SURVEY: (AggSurveyMonth.__table__, AggSurveyUnitMonth.__table__),
    Family.COMPLAINT: (AggComplaintMonth.__table__, AggComplaintMonth.__table__),
    Family.COLLECTION: (AggCollectionMonth.__table__, AggCollectionUnitMonth.__table__),
}
_DIGITAL = select(Channel.__table__.c.id).where(Channel.__table__.c.is_digital)


@dataclass(frozen=True)
class Measure:
    family: Family
    expression: Callable[[Table], Any]  # the per-row value summed (a SQL expression)


def _column(family: Family, column: str) -> Measure:
    return Measure(family, lambda t: t.c[column])


MEASURES: dict[str, Measure] = {
    # contacts (interaction rollups)
    "contacts": _column(Family.INTERACTION, "contacts"),
    "digital_contacts": Measure(
        Family.INTERACTION,
        lambda t: case((t.c.channel_id.in_(_DIGITAL), t.c.contacts), else_=0),
    ),
    "resolved_first": _column(Family.INTERACTION, "resolved_first"),
    "resolution_known": _column(Family.INTERACTION, "resolution_known"),
    "repeat_30d": _column(Family.INTERACTION, "repeat_30d"),
    "followable": _column(Family.INTERACTION, "followable"),
    "wait_minutes_sum": _column(Family.INTERACTION, "wait_minutes_sum"),
    "handle_minutes_sum": _column(Family.INTERACTION, "handle_minutes_sum"),
    "cost_sum": _column(Family.INTERACTION, "cost_sum"),
    "cost_known": _column(Family.INTERACTION, "cost_known"),
    # the queue (contacts with a wait recorded)
    "queued": _column(Family.QUEUE, "queued"),
    "answered": _column(Family.QUEUE, "answered"),
    "abandoned": _column(Family.QUEUE, "abandoned"),
    "answered_wait_sum": _column(Family.QUEUE, "answered_wait_sum"),
    # answered within the service threshold: the rollups' SQL counts it at the default;
    # the channel page counts it at the user's threshold with answered_within() below
    "answered_within": Measure(
        Family.QUEUE,
        lambda t: case((t.c.wait_s <= DEFAULT_SERVICE_SECONDS, t.c.answered), else_=0),
    ),
    # surveys
    "responses": _column(Family.SURVEY, "responses"),
    "csat_sum": _column(Family.SURVEY, "csat_sum"),
    "csat_satisfied": _column(Family.SURVEY, "csat_satisfied"),
    "nps_promoters": _column(Family.SURVEY, "nps_promoters"),
    "nps_detractors": _column(Family.SURVEY, "nps_detractors"),
    "effort_sum": _column(Family.SURVEY, "effort_sum"),
    # sums of squares: the spread of a mean score, for its t interval
    "csat_sq_sum": _column(Family.SURVEY, "csat_sq_sum"),
    "effort_sq_sum": _column(Family.SURVEY, "effort_sq_sum"),
    # complaints
    "complaints": _column(Family.COMPLAINT, "received"),
    "complaints_closed": _column(Family.COMPLAINT, "closed"),
    "complaints_on_time": _column(Family.COMPLAINT, "closed_on_time"),
    "complaints_pending": _column(Family.COMPLAINT, "pending_not_due"),
    "complaints_no_date": _column(Family.COMPLAINT, "closed_no_date"),
    "days_to_close_sum": _column(Family.COMPLAINT, "days_to_close_sum"),
    # collection
    "patrons": _column(Family.COLLECTION, "patrons"),
    "patrons_on_time": _column(Family.COLLECTION, "patrons_on_time"),
    "issued": _column(Family.COLLECTION, "issued"),
    "paid_on_time": _column(Family.COLLECTION, "paid_on_time"),
    "overdue_balance": _column(Family.COLLECTION, "overdue_balance"),
}


def answered_within(waits: pd.DataFrame, threshold_s: float) -> float:
    """The measure ``answered_within`` at ``threshold_s`` seconds over rows of the queue
    rollup (``wait_s``, ``answered``; waits are stored by the second below
    lib.contact.EXACT_WAIT_S): the answered who waited ``threshold_s`` s or less."""
    return float(waits.loc[waits["wait_s"] <= threshold_s, "answered"].sum())


def digital_sums(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``contacts`` and the measure ``digital_contacts`` summed by ``keys`` over rows of
    contacts by channel that carry the channel's ``is_digital`` flag (the SQL measure's test)."""
    rows = frame.assign(digital_contacts=frame["contacts"].where(frame["is_digital"], 0))
    return rows.groupby(keys, as_index=False)[["contacts", "digital_contacts"]].sum()


def of_family(family: Family) -> list[str]:
    """Measure names read from ``family``'s rollups, in declaration order."""
    return [name for name, m in MEASURES.items() if m.family is family]


def terms_sql(terms: Terms, table: Table) -> Any:
    """``Σ coefficient × measure`` as one SQL expression over ``table``'s rows (summed by the
    caller): ``a - b`` rather than ``1 * a + -1 * b``, so integer columns stay integers."""
    expr: Any = None
    for name, coef in terms.items():
        col = MEASURES[name].expression(table)
        if expr is None:
            expr = col if coef == 1 else (-col if coef == -1 else coef * col)
        elif coef == 1:
            expr = expr + col
        elif coef == -1:
            expr = expr - col
        else:
            expr = expr + coef * col
    return expr


def terms_frame(terms: Terms, frame: pd.DataFrame) -> pd.Series:
    """``Σ coefficient × frame[measure]`` row by row (a measure missing counts 0)."""
    out = pd.Series(0.0, index=frame.index)
    for name, coef in terms.items():
        col = frame[name].astype(float) if name in frame else 0.0
        out = out + (col if coef == 1 else -col if coef == -1 else coef * col)
    return out


def terms_value(terms: Terms, sums: Mapping[str, float]) -> float:
    """``Σ coefficient × sums[measure]`` (a measure missing from ``sums`` counts 0)."""
    return float(sum(coef * float(sums.get(name, 0) or 0) for name, coef in terms.items()))
