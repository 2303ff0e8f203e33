"""How a campaign was assigned, and the method each design allows: one registry.

A campaign's ``assignment`` (data contract) is a ``Design``. Each design has one ``Method``:
the estimator of the effect on a patron panel (or, without a control group of patrons, the
office comparison), the words the page and the report use, and the strength of evidence it
gives. A new method is its estimator (a module in lib/analysis) and one entry in ``METHODS``:
the contract's choices, the refresh, the report, the page and the work program read it here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from lib.analysis.campaigns import EffectEstimate, diff_in_diff, difference_in_means
from lib.campaign_vocabulary import Design, Evidence
from lib.filters import add_months

PRE_MONTHS = 3  # months before the start the difference-in-differences compares with


Estimator = Callable[[pd.DataFrame, dt.date, dt.date, str], EffectEstimate]


def _window(panel: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
    first = add_months(start, -PRE_MONTHS)
    d = panel[(panel["month"] >= first) & (panel["month"] <= end)]
    return d.assign(post=(d["month"] >= start).astype(int))


def means_during(panel: pd.DataFrame, start: dt.date, end: dt.date, outcome: str):
    """A trial: each patron's mean outcome during the campaign, treated against control."""
    during = panel[(panel["month"] >= start) & (panel["month"] <= end)]
    per_unit = during.groupby("patron_id", as_index=False).agg(
        y=(outcome, "mean"), treated=("treated", "first")
    )
    return difference_in_means(per_unit, "y", "treated")


def patron_did(panel: pd.DataFrame, start: dt.date, end: dt.date, outcome: str):
    """Targeted patrons against the comparison group, before and during the campaign."""
    return diff_in_diff(
        _window(panel, start, end), outcome, "patron_id", "month", "treated", "post"
    )


def office_did(offices: pd.DataFrame, start: dt.date, end: dt.date, outcome: str):
    """Exposed offices against the others, month by month (an interrupted time series with a
    comparison group)."""
    return diff_in_diff(
        _window(offices, start, end), outcome, "subdelegacion_id", "month", "treated", "post"
    )


@dataclass(frozen=True)
class Method:
    design: Design
    label: str  # the design as the campaign catalog shows it
    description: str  # the method, as the result and the report name it
    evidence: Evidence
    panel: Literal["patron", "office"]  # what it is estimated on (lib/queries/campaigns.py)
    estimate: Estimator
    by_segment: bool  # effects by size band, division and OOAD (a patron panel is needed)
    pre_trends: bool  # whether the report reads the pre-trend test (not for a trial)


METHODS: dict[Design, Method] = {
    m.design: m
    for m in (
        Method(
            Design.ALEATORIA,
            "Aleatoria (ensayo)",
            "diferencia de medias (ensayo aleatorio)",
            Evidence.FUERTE,
            "patron",
            means_during,
            by_segment=True,
            pre_trends=False,
        ),
        Method(
            Design.DIRIGIDA,
            "Dirigida (con comparación)",
            "diferencia en diferencias con efectos fijos de patrón y mes, errores por patrón",
            Evidence.MODERADA,
            "patron",
            patron_did,
            by_segment=True,
            pre_trends=True,
        ),
        Method(
            Design.SIN_CONTROL,
            "Sin grupo de control",
            "serie de tiempo interrumpida contra subdelegaciones no expuestas "
            "(diferencia en diferencias por oficina y mes)",
            Evidence.DEBIL,
            "office",
            office_did,
            by_segment=False,
            pre_trends=True,
        ),
    )
}


def method_for(design: str) -> Method:
    """The method of a stored design (ValueError in Spanish for an unknown one)."""
    try:
        return METHODS[Design(design)]
    except ValueError as exc:
        raise ValueError(f"Diseño de campaña desconocido: «{design}»") from exc
