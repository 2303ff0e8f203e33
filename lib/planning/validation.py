"""Validation of the edited targets table (pydantic), with messages in Spanish that say what is
wrong and where: «Fila 3 (Participación digital), Meta: 120 está fuera de 0–100 para un
porcentaje». A draft with any problem is not saved at all.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator
from pydantic_core import ErrorDetails

PERCENT_UNITS = {"%", "porcentaje", "pp"}
TARGET_COLUMNS = [
    "indicator",
    "unit",
    "baseline",
    "target",
    "owner_unit",
    "q1",
    "q2",
    "q3",
    "q4",
    "due_on",
    "notes",
    "key",
]
LABELS = {
    "indicator": "Indicador",
    "unit": "Unidad",
    "baseline": "Línea base",
    "target": "Meta",
    "owner_unit": "Unidad responsable",
    "q1": "Hito T1",
    "q2": "Hito T2",
    "q3": "Hito T3",
    "q4": "Hito T4",
    "due_on": "Fecha compromiso",
    "notes": "Notas",
    "key": "Clave",
}
NUMBER_FIELDS = ("target", "q1", "q2", "q3", "q4")


class DraftInvalid(ValueError):
    """The edited draft breaks a rule; ``problems`` lists every one, in Spanish."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "El borrador no se guardó: "
            + ("; ".join(problems) if len(problems) <= 3 else f"{len(problems)} problemas")
        )


def _blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    try:
        if pd.isna(v):
            return True
    except (TypeError, ValueError):
        pass
    return isinstance(v, str) and not v.strip()


class TargetRow(BaseModel):
    """One indicator of the program. ``year`` comes from the draft (context)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    indicator: str
    key: str | None = None
    unit: str = ""
    baseline: float | None = None
    target: float | None = None
    owner_unit: str | None = None
    q1: float | None = None
    q2: float | None = None
    q3: float | None = None
    q4: float | None = None
    due_on: dt.date | None = None
    notes: str | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _nulls(cls, v: Any) -> Any:
        if _blank(v):
            return None
        if isinstance(v, pd.Timestamp):
            return v.date()
        return v

    @field_validator("indicator", mode="before")
    @classmethod
    def _named(cls, v: Any) -> Any:
        if _blank(v):
            raise ValueError("falta el nombre del indicador")
        return v

    @field_validator("owner_unit")
    @classmethod
    def _owner(cls, v: str | None) -> str:
        if v is None or not v.strip():
            raise ValueError("falta la unidad responsable")
        return v

    @field_validator(*NUMBER_FIELDS)
    @classmethod
    def _range(cls, v: float | None, info: ValidationInfo) -> float | None:
        if v is None:
            return v
        percent = (info.data.get("unit") or "").strip().lower() in PERCENT_UNITS
        if percent and not 0 <= v <= 100:
            raise ValueError(f"{v:g} está fuera de 0–100 para un porcentaje")
        if not percent and v < 0:
            raise ValueError(f"{v:g} es negativo")
        return v

    @field_validator("due_on")
    @classmethod
    def _in_year(cls, v: dt.date | None, info: ValidationInfo) -> dt.date | None:
        year = (info.context or {}).get("year")
        if v is None or year is None:
            return v
        if v > dt.date(year, 12, 31):
            raise ValueError(f"{v:%d/%m/%Y} es posterior al cierre del año {year}")
        if v < dt.date(year, 1, 1):
            raise ValueError(f"{v:%d/%m/%Y} es anterior al inicio del año {year}")
        return v


_TYPE_MESSAGES = {
    "float_parsing": "no es un número",
    "float_type": "no es un número",
    "date_from_datetime_parsing": "no es una fecha",
    "date_parsing": "no es una fecha",
    "date_type": "no es una fecha",
    "string_type": "no es texto",
}


def _message(err: ErrorDetails) -> tuple[str | None, str]:
    field = err["loc"][0] if err.get("loc") else None
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] in _TYPE_MESSAGES:
        msg = _TYPE_MESSAGES[err["type"]]
    return (str(field) if field is not None else None), msg


def validate_targets(
    rows: pd.DataFrame | list[dict], year: int, keys: Collection[str] | None = None
) -> list[dict]:
    """The rows as clean dicts (dates as ISO strings, blanks as None), or DraftInvalid with
    one message per problem: «Fila N (indicador), Columna: qué está mal». ``keys``: the
    indicator keys a target may name (lib.planning.targets); a row without a key (a draft
    saved before targets had keys, whose label matched nothing) is kept, and two rows may
    not name the same indicator, by key or, without one, by label."""
    records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else list(rows)
    clean, problems = [], []
    seen: dict[str, int] = {}  # key, or lowercase label without one -> its first row
    for i, rec in enumerate(records, start=1):
        name = rec.get("indicator")
        where = f"Fila {i}" + ("" if _blank(name) else f" ({str(name).strip()})")
        try:
            row = TargetRow.model_validate(
                {k: rec.get(k) for k in TARGET_COLUMNS}, context={"year": year}
            )
        except ValidationError as exc:
            for err in exc.errors():
                field, msg = _message(err)
                prefix = f"{LABELS[field]}: " if field in LABELS else ""
                problems.append(f"{where}, {prefix}{msg}")
            continue
        if row.key is not None and keys is not None and row.key not in keys:
            problems.append(f"{where}, Clave: «{row.key}» no es un indicador del programa")
            continue
        ident = row.key or row.indicator.lower()
        if ident in seen:
            problems.append(f"{where}: el indicador ya está en la fila {seen[ident]}")
            continue
        seen[ident] = i
        d = row.model_dump()
        d["due_on"] = row.due_on.isoformat() if row.due_on else None
        clean.append(d)
    if not records:
        problems.append("El programa no tiene ningún indicador")
    if problems:
        raise DraftInvalid(problems)
    return clean
