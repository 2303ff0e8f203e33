"""What an indicator is: one declaration that every page, export and test reads by key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Table

from lib.analysis import stats
from lib.metrics.measures import MEASURES, ROLLUPS, Terms, terms_frame, terms_sql, terms_value
from lib.metrics.vocabulary import ChangeTest, Direction, Family, Interval, Kind

# dimension key → (Spanish label, rollup column)
DIMENSIONS: dict[str, tuple[str, str]] = {
    "month": ("Mes", "month"),
    "ooad": ("OOAD", "ooad_id"),
    "subdelegacion": ("Subdelegación", "subdelegacion_id"),
    "channel": ("Canal", "channel_id"),
    "procedure": ("Trámite", "procedure_id"),
    "size_band": ("Tamaño de patrón", "size_band_id"),
    "economic_division": ("División económica", "economic_division_id"),
    "kind": ("Tipo de queja", "kind_id"),
    "category": ("Categoría de queja", "category_id"),
}


@dataclass(frozen=True)
class Indicator:
    """One indicator. Its value is ``Σ numerator / Σ denominator`` over any grouping of its
    family's rollup (averages are never averaged), or the plain sum when it has no
    denominator; a share is held as a proportion and shown as a percentage.

    - ``label``: the Spanish name on cards, tables and exports; ``phrase``: the same inside
      a sentence ("bajó la resolución al primer contacto"); ``help``: one line for the card;
      ``formula``: how the dictionary writes it; ``caveats``: what a reader must know.
    - ``unit``: the Spanish unit of the value as the explorer and exports write it.
    - ``test``: how a change is judged beyond noise; ``level_test``: whether an office's level
      is also compared with all offices (service indicators, not sizes or the patron mix);
      ``per_patron``: its denominator counts patron-months (the same patron every month).
    - ``stock``: a balance divided by the number of months rather than summed;
      ``quantile``/``value_column``: a weighted quantile of a stored value (weights =
      numerator), not a ratio.
    """

    key: str
    label: str
    phrase: str
    help: str
    formula: str
    kind: Kind
    unit: str
    direction: Direction
    family: Family
    numerator: Terms
    denominator: Terms | None = None
    test: ChangeTest = ChangeTest.NONE
    level_test: bool = False
    per_patron: bool = False
    facts: tuple[str, ...] = ()
    caveats: str = ""
    decimals: int = 1
    stock: bool = False
    quantile: float | None = None
    value_column: str | None = None
    interval: Interval = Interval.NONE
    squares: str | None = None  # for a t interval: the measure holding Σ value²

    # where its sums come from -------------------------------------------------------------
    @property
    def table(self) -> Table:
        """The fine rollup the explorer groups it over."""
        return ROLLUPS[self.family][0]

    @property
    def source(self) -> str:
        """The fact table behind it (a count of an absent table is no zero)."""
        return self.family.fact_table

    @property
    def sources(self) -> tuple[str, ...]:
        """Every fact and catalog table the dictionary lists for it."""
        return self.facts or (self.source,)

    @property
    def follows_channel(self) -> bool:
        return self.family.has_channel

    @property
    def dimensions(self) -> list[str]:
        return [k for k, (_l, col) in DIMENSIONS.items() if col in self.table.c]

    @property
    def measures(self) -> list[str]:
        return [*self.numerator, *(self.denominator or {})]

    # its value --------------------------------------------------------------------------
    @property
    def higher_is_better(self) -> bool | None:
        return self.direction.higher_is_better

    @property
    def scale(self) -> float:
        """Multiplier from the ratio to the number the explorer and exports write: shares
        and NPS in percentage points, the rest as they are."""
        return 100.0 if self.kind in (Kind.SHARE, Kind.NPS) else 1.0

    def terms(self, sums: Mapping[str, float]) -> tuple[float, float]:
        """(Σ numerator, Σ denominator) from sums keyed by measure: a share's successes and
        trials for a test (lib/analysis/stats.py); the denominator is 0 when it has none."""
        den = 0.0 if self.denominator is None else terms_value(self.denominator, sums)
        return terms_value(self.numerator, sums), den

    def ratio(self, sums: Mapping[str, float]) -> float | None:
        """Σ numerator / Σ denominator from sums keyed by measure; None without denominator
        (0 or less), the plain numerator sum when the indicator has none."""
        num = terms_value(self.numerator, sums)
        if self.denominator is None:
            return num
        den = terms_value(self.denominator, sums)
        return num / den if den > 0 else None

    def value(self, sums: Mapping[str, float]) -> float | None:
        """The indicator as the overview cards hold it: a share as a proportion (0.387),
        NPS in points, counts, pesos and means as they are. A ``stock`` (a balance) comes
        back summed over the rows given: dividing by the months is the caller's, as the
        explorer's SQL does; a quantile is not a ratio of sums (lib/queries/explorer.py)."""
        r = self.ratio(sums)
        if r is None:
            return None
        return 100 * r if self.kind is Kind.NPS else r

    def values(self, frame: pd.DataFrame) -> pd.Series:
        """:meth:`value` row by row over a frame of sums (one row per office, channel or
        month): NaN where the denominator is 0 or less."""
        num = terms_frame(self.numerator, frame)
        if self.denominator is None:
            return num
        den = terms_frame(self.denominator, frame)
        ratio = num / den.where(den > 0)
        return 100 * ratio if self.kind is Kind.NPS else ratio

    def estimate(self, sums: Mapping[str, float]) -> stats.Estimate:
        """The value with its 95 % interval by the declared method (lib/analysis/stats.py);
        a share as a proportion, NPS in points, a mean in its unit. Without a method, the
        value alone."""
        den = 0.0 if self.denominator is None else terms_value(self.denominator, sums)
        if self.interval is Interval.WILSON:
            return stats.proportion(terms_value(self.numerator, sums), den)
        if self.interval is Interval.NPS:
            promoters = terms_value({k: 1 for k, c in self.numerator.items() if c > 0}, sums)
            detractors = terms_value({k: 1 for k, c in self.numerator.items() if c < 0}, sums)
            return stats.nps(promoters, detractors, den)
        if self.interval is Interval.T_MEAN:
            assert self.squares is not None
            total = terms_value(self.numerator, sums)
            return stats.mean_from_sums(total, float(sums.get(self.squares, 0) or 0), den)
        return stats.Estimate(self.value(sums), None, None, den)

    def numerator_sql(self, table: Table):
        return terms_sql(self.numerator, table)

    def denominator_sql(self, table: Table):
        return None if self.denominator is None else terms_sql(self.denominator, table)

    def __post_init__(self) -> None:
        if self.interval is Interval.T_MEAN and self.squares not in MEASURES:
            raise ValueError(f"{self.key}: un intervalo t necesita la medida de Σ valor²")
        for name in self.measures:
            if name not in MEASURES:
                raise ValueError(f"{self.key}: medida desconocida «{name}»")
            if MEASURES[name].family is not self.family:
                raise ValueError(f"{self.key}: «{name}» no es de la familia {self.family}")
