"""Staff hours implied by the forecast: contacts × handling minutes per channel, against the
hours the planner says will be available. Pure arithmetic, so it is tested with exact answers.

Self-service channels (servicios en línea, Buzón IMSS) have no staff handling time in the
plan by default: their measured "handling minutes" are the patron's session time. The
planner can set any minutes per channel; the page starts from the measured means.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

HOURS_PER_FTE = 1_600.0  # productive hours a year of one full-time person (planning figure)

COLUMNS = [
    "channel_id",
    "contacts",
    "contacts_lower",
    "contacts_upper",
    "handle_minutes",
    "hours_needed",
    "hours_lower",
    "hours_upper",
    "hours_available",
    "gap_hours",
    "coverage",
    "fte_needed",
]


def staff_hours(contacts: float, handle_minutes: float) -> float:
    """Hours of staff time for ``contacts`` contacts of ``handle_minutes`` minutes each."""
    if contacts < 0 or handle_minutes < 0:
        raise ValueError("Los contactos y los minutos de atención no pueden ser negativos")
    return contacts * handle_minutes / 60.0


def capacity_table(
    volume: pd.DataFrame,
    handle_minutes: Mapping[str, float],
    hours_available: Mapping[str, float | None],
    hours_per_fte: float = HOURS_PER_FTE,
) -> pd.DataFrame:
    """``volume``: channel_id, forecast, lower, upper (annual contacts). One row per channel
    and a final "total" row: hours needed (and for the interval's ends), hours available,
    gap (available − needed; negative = short), coverage (available / needed) and the
    full-time staff the hours need."""
    if hours_per_fte <= 0:
        raise ValueError("Las horas por persona al año deben ser positivas")
    rows = []
    for r in volume.itertuples(index=False):
        minutes = float(handle_minutes.get(r.channel_id, 0.0) or 0.0)
        available = hours_available.get(r.channel_id)
        available = None if available is None or pd.isna(available) else float(available)
        needed = staff_hours(float(r.forecast), minutes)
        rows.append(
            {
                "channel_id": r.channel_id,
                "contacts": float(r.forecast),
                "contacts_lower": float(r.lower),
                "contacts_upper": float(r.upper),
                "handle_minutes": minutes,
                "hours_needed": needed,
                "hours_lower": staff_hours(float(r.lower), minutes),
                "hours_upper": staff_hours(float(r.upper), minutes),
                "hours_available": available,
            }
        )
    out = pd.DataFrame(rows, columns=COLUMNS[:9])
    total = {
        "channel_id": "total",
        **{
            c: float(out[c].sum())
            for c in (
                "contacts",
                "contacts_lower",
                "contacts_upper",
                "hours_needed",
                "hours_lower",
                "hours_upper",
            )
        },
        "handle_minutes": (
            60 * out["hours_needed"].sum() / out["contacts"].sum()
            if out["contacts"].sum() > 0
            else 0.0
        ),
        "hours_available": (
            float(out["hours_available"].sum()) if out["hours_available"].notna().any() else None
        ),
    }
    out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
    avail = pd.to_numeric(out["hours_available"], errors="coerce")
    out["gap_hours"] = avail - out["hours_needed"]
    out["coverage"] = np.where(out["hours_needed"] > 0, avail / out["hours_needed"], np.nan)
    out["fte_needed"] = out["hours_needed"] / hours_per_fte
    return out[COLUMNS]


def shortfalls(table: pd.DataFrame) -> pd.DataFrame:
    """Channels (not the total) that need staff hours and do not have them: hours available
    below the hours needed, or no figure at all (missing or 0). ``missing_hours`` marks the
    second case; ``short_hours`` is what is missing (all of it when nothing was entered)."""
    rows = table[(table["channel_id"] != "total") & (table["hours_needed"] > 0)].copy()
    avail = pd.to_numeric(rows["hours_available"], errors="coerce")
    rows["missing_hours"] = avail.isna() | (avail <= 0)
    rows["short_hours"] = rows["hours_needed"] - avail.fillna(0).clip(lower=0)
    return rows[rows["missing_hours"] | (rows["short_hours"] > 0)].reset_index(drop=True)


def capacity_reading(table: pd.DataFrame, names: Mapping[str, str]) -> str:
    """One sentence under the capacity chart that is true whatever was entered."""
    short = shortfalls(table)
    if short.empty:
        if not (table.loc[table["channel_id"] != "total", "hours_needed"] > 0).any():
            return "Ningún canal necesita horas de personal con los minutos capturados."
        return "Con las horas capturadas, ningún canal queda corto frente al pronóstico central."

    def item(r) -> str:
        name = names.get(r.channel_id, r.channel_id)
        need = f"{r.hours_needed:,.0f} h necesarias"
        if r.missing_hours:
            return f"{name} ({need}, sin horas disponibles capturadas)"
        return f"{name} (faltan {r.short_hours:,.0f} h de {need.removesuffix(' necesarias')})"

    lead = (
        "Aún no se capturan horas disponibles: ningún canal que las necesita está cubierto. "
        if short["missing_hours"].all()
        and len(short) == int((table.loc[table["channel_id"] != "total", "hours_needed"] > 0).sum())
        else ""
    )
    return lead + "Faltan horas en: " + ", ".join(item(r) for r in short.itertuples()) + "."
