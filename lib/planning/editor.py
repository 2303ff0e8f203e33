"""Applying st.data_editor's edit record to a table, so the page can keep its own working
copy (which survives tab switches) instead of the widget's state (which does not)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from lib.planning.targets import is_blank as _blank
from lib.planning.targets import program_indicators, with_keys
from lib.planning.validation import PERCENT_UNITS, TARGET_COLUMNS

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
TEXT_COLUMNS = ("indicator", "key", "unit", "owner_unit", "notes")


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
    baselines: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """The page's editable state: targets, capacity inputs (minutes and hours per channel)
    and campaign picks, from a saved draft or, for a new one, from ``initial_targets``, the
    measured handling minutes and no campaign picked. Each target names an indicator of
    the program by key (lib.planning.targets; a draft saved before keys gets them from its
    labels); ``baselines`` (last 12 months by key) fill the baseline of an added indicator."""
    indicators = program_indicators(channel_names)
    keyed = {
        "indicators": indicators,
        "baselines": dict(baselines or {}),
        "options": {"targets": {"indicator": [p.label for p in indicators.values()]}},
    }
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
            "targets": typed_targets(with_keys(initial_targets, indicators, baselines)),
            "capacity": capacity,
            "picks": picks,
            "rev": 0,
            **keyed,
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
        "targets": typed_targets(with_keys(draft.targets, indicators, baselines)),
        "capacity": capacity,
        "picks": picks,
        "rev": 0,
        **keyed,
    }


# ------------------------------------------------------------------ safe editing


@dataclass(frozen=True)
class Col:
    """What a grid column accepts. ``locked`` columns are shown but never take an edit (the
    baseline comes from the data). Numbers are checked here, at edit time, against
    ``min``/``max`` (and 0–100 on rows whose unit is a percentage): Streamlit's number cell
    drops a typed minus sign when its own ``min_value`` is 0 and clamps to ``max_value``
    silently, so the grid gets no bounds and a value out of range is refused here, in Spanish,
    keeping the cell's previous value."""

    label: str
    kind: str  # number | text | date | bool | select (one of the options the page gives)
    locked: bool = False
    min: float | None = None
    max: float | None = None
    step: float | None = None
    max_chars: int | None = None
    required: bool = False
    percent_rows: bool = False  # bounded to 0–100 where the row's unit is a percentage


TARGET_SPEC: dict[str, Col] = {
    "indicator": Col("Indicador", "select", max_chars=120, required=True),
    "unit": Col("Unidad", "text", max_chars=20),
    "baseline": Col("Línea base", "number", locked=True),
    "target": Col("Meta", "number", min=0, max=1e12, percent_rows=True),
    "owner_unit": Col("Unidad responsable", "text", max_chars=120),
    "q1": Col("Hito T1", "number", min=0, max=1e12, percent_rows=True),
    "q2": Col("Hito T2", "number", min=0, max=1e12, percent_rows=True),
    "q3": Col("Hito T3", "number", min=0, max=1e12, percent_rows=True),
    "q4": Col("Hito T4", "number", min=0, max=1e12, percent_rows=True),
    "due_on": Col("Fecha compromiso", "date"),
    "notes": Col("Notas", "text", max_chars=500),
    "key": Col("Clave", "text", locked=True),
}
CAPACITY_SPEC: dict[str, Col] = {
    "channel_id": Col("Canal", "text", locked=True),
    "channel": Col("Canal", "text", locked=True),
    "handle_minutes": Col("Minutos por contacto", "number", min=0, max=600, step=0.1),
    "hours_available": Col("Horas disponibles", "number", min=0, max=10_000_000, step=1),
}
PICKS_SPEC: dict[str, Col] = {
    "code": Col("Código", "text", locked=True),
    "name": Col("Campaña", "text", locked=True),
    "include": Col("Incluir", "bool"),
    "planned_cost": Col("Costo previsto (MXN)", "number", min=0, max=1e11, step=1),
}
SPECS = {"targets": TARGET_SPEC, "capacity": CAPACITY_SPEC, "picks": PICKS_SPEC}


def _number(text: Any) -> float:
    if isinstance(text, bool):
        raise ValueError
    if isinstance(text, str):
        text = text.strip().replace(",", "").replace("$", "").replace(" ", "")
    out = float(text)
    if math.isnan(out) or math.isinf(out):
        raise ValueError
    return out


def check_cell(
    spec: Col, value: Any, unit: Any = None, options: Sequence[str] | None = None
) -> tuple[Any, str | None]:
    """(clean value, None) or (None, what is wrong in Spanish) for one typed cell;
    ``options``: what a select cell may hold."""
    if _blank(value):
        return (None, f"{spec.label} es obligatorio") if spec.required else (None, None)
    if spec.kind == "select" and options is not None and value not in options:
        return None, f"{spec.label}: «{value}» no es una de las opciones"
    if spec.kind == "number":
        try:
            x = _number(value)
        except (TypeError, ValueError):
            return None, f"{spec.label}: «{value}» no es un número"
        percent = spec.percent_rows and str(unit or "").strip().lower() in PERCENT_UNITS
        low, high = (0.0, 100.0) if percent else (spec.min, spec.max)
        if low is not None and x < low:
            what = "es negativo" if low == 0 else f"es menor que {low:,.10g}"
            return None, f"{spec.label}: {x:,.10g} {what}"
        if high is not None and x > high:
            return None, f"{spec.label}: {x:,.10g} es mayor que {high:,.10g}" + (
                " (porcentaje)" if percent else ""
            )
        return x, None
    if spec.kind in ("text", "select"):
        s = str(value).strip()
        if spec.max_chars is not None and len(s) > spec.max_chars:
            return None, f"{spec.label}: tiene {len(s)} caracteres (máximo {spec.max_chars})"
        return s, None
    if spec.kind == "date":
        try:
            return pd.Timestamp(value), None
        except (TypeError, ValueError):
            return None, f"{spec.label}: «{value}» no es una fecha"
    if spec.kind == "bool":
        return bool(value), None
    return value, None


def apply_edits(
    df: pd.DataFrame,
    delta: Mapping[str, Any] | None,
    spec: Mapping[str, Col],
    options: Mapping[str, Sequence[str]] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """``apply_delta`` with every edited or added cell checked against ``spec`` (and a select
    column against its ``options``): a locked column or a bad value is not applied (the cell
    keeps what it had; an added row gets nothing in it) and is reported as «Fila N
    (indicador), Columna: qué está mal»."""
    out = df.reset_index(drop=True).copy()
    problems: list[str] = []
    if not delta:
        return out, problems
    name_col = next(iter(spec))

    def where(pos: int, row: Mapping[str, Any]) -> str:
        name = row.get(name_col)
        return f"Fila {pos + 1}" + ("" if _blank(name) else f" ({str(name).strip()})")

    def clean(pos: int, row: Mapping[str, Any], changes: Mapping[str, Any]) -> dict:
        kept = {}
        unit = changes.get("unit", row.get("unit"))
        for col, value in changes.items():
            s = spec.get(col)
            if s is None or col not in out.columns:
                continue
            if s.locked:
                problems.append(f"{where(pos, row)}, {s.label}: no se edita (viene de los datos)")
                continue
            v, err = check_cell(s, value, unit, (options or {}).get(col))
            if err:
                problems.append(f"{where(pos, row)}, {err}; se dejó el valor anterior")
                continue
            kept[col] = v
        return kept

    edited = {}
    for pos, changes in (delta.get("edited_rows") or {}).items():
        p = int(pos)
        if p in out.index:
            edited[p] = clean(p, out.loc[p].to_dict(), changes)
    added = []
    for i, r in enumerate(delta.get("added_rows") or []):
        if r:
            added.append(clean(len(out) + i, r, r))
    safe = {
        "edited_rows": edited,
        "added_rows": added,
        "deleted_rows": delta.get("deleted_rows") or [],
    }
    return apply_delta(out, safe), problems


def fold_edits(work: dict[str, Any], part: str, delta: Mapping[str, Any] | None) -> None:
    """What the page's on_change does with a grid's edit record (st.data_editor's session
    state value): fold the valid edits into ``work[part]``, keep the problems to show under
    the grid until the next edit, and start a fresh widget (``rev``)."""
    options = work.get("options", {}).get(part)
    work[part], problems = apply_edits(work[part], delta, SPECS[part], options)
    if part == "targets" and "indicators" in work:
        work[part] = typed_targets(with_keys(work[part], work["indicators"], work["baselines"]))
    work.setdefault("edit_problems", {})[part] = problems
    work["rev"] += 1
