"""Applying st.data_editor's edit record to a table, so the page can keep its own working
copy (which survives tab switches) instead of the widget's state (which does not)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from lib.planning.validation import TARGET_COLUMNS

if TYPE_CHECKING:
    from lib.planning.drafts import Draft


def apply_delta(df: pd.DataFrame, delta: Mapping[str, Any] | None) -> pd.DataFrame:
    """``delta``: {"edited_rows": {position: {column: value}}, "added_rows": [{column:
    value}], "deleted_rows": [position]} as st.data_editor keeps it in session state.
    Positions refer to ``df`` as given; the result has a fresh 0..n-1 index."""
    out = df.reset_index(drop=True).copy()
    if not delta:
        return out
    for pos, changes in (delta.get("edited_rows") or {}).items():
        for col, value in changes.items():
            if col in out.columns:
                if out[col].dtype.kind == "M":
                    value = pd.to_datetime(value) if value is not None else pd.NaT
                elif out[col].dtype.kind in "iub" and value is not None:
                    out[col] = out[col].astype(object)
                out.at[int(pos), col] = value
    deleted = {int(p) for p in (delta.get("deleted_rows") or [])}
    if deleted:
        out = out.drop(index=[p for p in deleted if p in out.index])
    added = [{c: r.get(c) for c in out.columns} for r in (delta.get("added_rows") or []) if r]
    if added:
        new = pd.DataFrame(added, columns=out.columns)
        for col in out.columns:
            if out[col].dtype.kind == "M":
                new[col] = pd.to_datetime(new[col])
        out = pd.concat([out, new.astype(out.dtypes.to_dict(), errors="ignore")], ignore_index=True)
    return out.reset_index(drop=True)


NUMBER_COLUMNS = ("baseline", "target", "q1", "q2", "q3", "q4")
TEXT_COLUMNS = ("indicator", "unit", "owner_unit", "notes")


def typed_targets(df: pd.DataFrame) -> pd.DataFrame:
    """The targets table with the dtypes st.data_editor's columns need: numbers as float,
    the milestone date as datetime, text as text (blank cells stay empty)."""
    out = df.reindex(columns=list(TARGET_COLUMNS)).copy()
    for col in NUMBER_COLUMNS:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    out["due_on"] = pd.to_datetime(out["due_on"], errors="coerce")
    for col in TEXT_COLUMNS:
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def working_copy(
    year: int,
    channel_names: Mapping[str, str],
    handle_minutes: Mapping[str, float],
    measured: pd.DataFrame,
    initial_targets: pd.DataFrame | None,
    draft: Draft | None,
) -> dict[str, Any]:
    """The page's editable state: targets, capacity inputs (minutes and hours per channel)
    and campaign picks, from a saved draft or, for a new one, from ``initial_targets``, the
    measured handling minutes and no campaign picked."""
    capacity = pd.DataFrame(
        {
            "channel_id": list(channel_names),
            "channel": list(channel_names.values()),
            "handle_minutes": [float(handle_minutes.get(c, 0.0)) for c in channel_names],
            "hours_available": [float("nan")] * len(channel_names),
        }
    )
    picks = pd.DataFrame(
        {
            "code": measured["code"],
            "name": measured["name"],
            "include": False,
            "planned_cost": measured["cost"].astype(float),
        }
    )
    if draft is None:
        return {
            "draft_id": None,
            "version": None,
            "author": None,
            "title": f"Programa Anual de Trabajo {year}",
            "status": "borrador",
            "notes": "",
            "targets": typed_targets(initial_targets),
            "capacity": capacity,
            "picks": picks,
            "rev": 0,
        }
    saved = draft.capacity
    if not saved.empty:
        keep = saved.set_index("channel_id")
        for col in ("handle_minutes", "hours_available"):
            if col in keep:
                capacity[col] = [
                    float(keep[col].get(c, capacity.loc[i, col]))
                    if pd.notna(keep[col].get(c))
                    else capacity.loc[i, col]
                    for i, c in enumerate(capacity["channel_id"])
                ]
    chosen = draft.campaigns
    if not chosen.empty:
        cost = chosen.set_index("code")["planned_cost"]
        picks["include"] = picks["code"].isin(cost.index)
        picks["planned_cost"] = [
            float(cost.get(c, p)) for c, p in zip(picks["code"], picks["planned_cost"], strict=True)
        ]
    return {
        "draft_id": draft.id,
        "version": draft.version,
        "author": draft.author,
        "title": draft.title,
        "status": draft.status,
        "notes": draft.notes or "",
        "targets": typed_targets(draft.targets),
        "capacity": capacity,
        "picks": picks,
        "rev": 0,
    }
