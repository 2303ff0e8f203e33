"""Campaign plan: next year's campaigns picked from the measured ones, with the return their
measurement implies. Assumption (stated on the page and in docs/planning.md): a repeated
campaign returns the same pesos per peso as when it was measured, so its expected additional
collection is the measured return per peso × the planned cost, interval included. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

MEASURED_COLUMNS = [
    "code",
    "name",
    "kind",
    "channel_id",
    "assignment",
    "evidence",
    "start_month",
    "end_month",
    "cost",
    "on_time_pp",
    "on_time_low_pp",
    "on_time_high_pp",
    "additional",
    "additional_low",
    "additional_high",
    "return_per_peso",
    "return_low",
    "return_high",
]


def measured_campaigns(catalog: pd.DataFrame, results: Mapping[str, Any]) -> pd.DataFrame:
    """One row per campaign with its measured effect (``results``: code → CampaignResult of
    lib.analysis.campaign_report, or None when it could not be measured)."""
    rows = []
    for c in catalog.itertuples(index=False):
        r = results.get(c.code)
        e = r.effects.get("on_time") if r is not None else None
        a = r.additional if r is not None else None
        rp = r.return_per_peso if r is not None else None
        rows.append(
            {
                "code": c.code,
                "name": c.name,
                "kind": c.kind,
                "channel_id": c.channel_id,
                "assignment": c.assignment,
                "evidence": r.evidence if r is not None else None,
                "start_month": c.start_month,
                "end_month": c.end_month,
                "cost": float(c.cost),
                "on_time_pp": 100 * e.effect if e else None,
                "on_time_low_pp": 100 * e.ci_low if e else None,
                "on_time_high_pp": 100 * e.ci_high if e else None,
                "additional": a.effect if a else None,
                "additional_low": a.ci_low if a else None,
                "additional_high": a.ci_high if a else None,
                "return_per_peso": rp[0] if rp else None,
                "return_low": rp[1] if rp else None,
                "return_high": rp[2] if rp else None,
            }
        )
    return pd.DataFrame(rows, columns=MEASURED_COLUMNS)


def campaign_plan(measured: pd.DataFrame, picks: pd.DataFrame) -> pd.DataFrame:
    """``picks``: code, include (bool), planned_cost. The included campaigns with expected
    additional collection and its interval; NaN where the campaign has no measured return."""
    p = picks[picks["include"].fillna(False).astype(bool)][["code", "planned_cost"]]
    out = p.merge(measured, on="code", how="left")
    cost = pd.to_numeric(out["planned_cost"], errors="coerce")
    out["planned_cost"] = cost
    for col, src in (
        ("expected_return", "return_per_peso"),
        ("expected_low", "return_low"),
        ("expected_high", "return_high"),
    ):
        out[col] = cost * pd.to_numeric(out[src], errors="coerce")
    return out[
        [
            "code",
            "name",
            "channel_id",
            "evidence",
            "planned_cost",
            "return_per_peso",
            "expected_return",
            "expected_low",
            "expected_high",
        ]
    ].reset_index(drop=True)
