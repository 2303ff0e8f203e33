"""What a target of the Programa Anual de Trabajo can be about: the program's indicators, by key.

A target names an indicator by its key, so the pages that follow the program (plan against
actual, the overview) can compute the same number the target was set on. Most keys are those
of the semantic layer (:data:`lib.metrics.INDICATORS`); the program adds contacts per channel
(the ``contacts`` indicator with one channel) and three program measures that are not ratios of
rollups (campaigns started, their measured return, patrons oriented).

Drafts saved before targets had keys name them by their label only. :func:`key_for` maps such a
label back to its key (labels as shown today, and the earlier labels in ``aliases``); a label
that matches nothing keeps no key and is flagged, never guessed. Pure: no SQL.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from lib.metrics import INDICATORS, Kind

DIVISION = "División de Servicios Subdelegacionales"
COLLECTION = "Coordinación de Cobranza"
CHANNEL_PREFIX = "contacts_"


@dataclass(frozen=True)
class ProgramIndicator:
    """One indicator a target may be set on. ``metric``: its key in the semantic layer (None
    for the program's own measures); ``channel_id``: the one channel it is restricted to."""

    key: str
    label: str
    unit: str
    owner: str
    metric: str | None = None
    channel_id: str | None = None
    aliases: tuple[str, ...] = ()


def _from_layer(
    key: str, *, owner: str = DIVISION, label: str | None = None, aliases: tuple[str, ...] = ()
) -> ProgramIndicator:
    """A semantic-layer indicator, its label and unit as every page shows them (shares in %)."""
    ind = INDICATORS[key]
    unit = "%" if ind.kind is Kind.SHARE else ind.unit
    return ProgramIndicator(key, label or ind.label, unit, owner, metric=key, aliases=aliases)


def program_indicators(channel_names: Mapping[str, str]) -> dict[str, ProgramIndicator]:
    """Every indicator of the program, in the order the baseline and a new draft list them."""
    # "(todos los canales)": the total, told apart from the per-channel rows below
    items = [_from_layer("contacts", label=f"{INDICATORS['contacts'].label} (todos los canales)")]
    items += [
        ProgramIndicator(
            f"{CHANNEL_PREFIX}{channel_id}",
            f"Contactos: {name}",
            "contactos",
            DIVISION,
            metric="contacts",
            channel_id=channel_id,
        )
        for channel_id, name in channel_names.items()
    ]
    items += [
        _from_layer("digital_share"),
        _from_layer("fcr"),
        _from_layer("csat", aliases=("Satisfacción (CSAT 4-5)",)),
        _from_layer("complaints_on_time"),
        _from_layer(
            "collection_on_time", owner=COLLECTION, aliases=("Recaudación pagada a tiempo",)
        ),
        _from_layer("patrons_on_time", owner=COLLECTION),
        ProgramIndicator("campaigns", "Campañas iniciadas", "campañas", DIVISION),
        ProgramIndicator(
            "campaign_return", "Retorno medido de campañas", "pesos por peso", DIVISION
        ),
        ProgramIndicator("oriented", "Patrones orientados", "patrones", DIVISION),
    ]
    return {p.key: p for p in items}


def _folded(text: str) -> str:
    """Case, accents and spacing folded, so «participacion  DIGITAL» finds its indicator."""
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return " ".join(plain.casefold().split())


def key_for(label: object, catalog: Iterable[ProgramIndicator]) -> str | None:
    """The key of the indicator a label (or a key typed as such) names, or None."""
    if label is None or (isinstance(label, float) and pd.isna(label)):
        return None
    wanted = _folded(str(label))
    if not wanted:
        return None
    for p in catalog:
        if wanted in {_folded(p.key), _folded(p.label), *(_folded(a) for a in p.aliases)}:
            return p.key
    return None


def unmatched(targets: pd.DataFrame) -> list[str]:
    """Labels of the targets that name no indicator of the catalog (kept, flagged)."""
    if targets.empty or "key" not in targets:
        return []
    lost = targets[targets["key"].isna() & targets["indicator"].notna()]
    return [str(s) for s in lost["indicator"]]


def is_blank(value: object) -> bool:
    """Whether a grid cell holds nothing: None, NaN/NaT or only spaces."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def with_keys(
    targets: pd.DataFrame,
    indicators: Mapping[str, ProgramIndicator],
    baselines: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """The targets with each row's key read from its label (the grid's «Indicador» is a
    choice among ``indicators``' labels). A row that names a new indicator (added, changed,
    or a saved label now recognised) takes that indicator's label, unit and — where blank or
    when it named another indicator before — owner and baseline (``baselines``: last 12 months
    by key). A label that names nothing keeps its row, without a key: :func:`unmatched`."""
    out = targets.copy()
    if "key" not in out:
        out["key"] = None
    out["key"] = out["key"].astype(object)
    for i, row in out.iterrows():
        before = None if is_blank(row["key"]) else str(row["key"])
        key = key_for(row["indicator"], indicators.values())
        if key is None or key == before:
            out.at[i, "key"] = before if key == before else None
            continue
        p = indicators[key]
        out.at[i, "key"] = key
        out.at[i, "indicator"] = p.label
        out.at[i, "unit"] = p.unit
        if is_blank(row.get("owner_unit")):
            out.at[i, "owner_unit"] = p.owner
        if baselines is not None and (before is not None or is_blank(row.get("baseline"))):
            out.at[i, "baseline"] = baselines.get(key, float("nan"))
    return out
