"""The global filter: period, OOAD, subdelegación, channel and patron segment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, FromClause

from lib.policy import NATIONAL, Scope


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(start: dt.date, end: dt.date) -> int:
    """Number of months from ``start`` to ``end`` inclusive."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


@dataclass(frozen=True)
class Filters:
    """What the user is looking at. Months are first days of months; ``end`` is inclusive."""

    start: dt.date
    end: dt.date
    ooad_id: int | None = None
    subdelegacion_id: int | None = None
    channel_id: str | None = None
    size_band_id: str | None = None
    # the user's place, set by lib.access.enforce_scope and applied by every query on top of
    # the chosen place: dropping ooad_id / subdelegacion_id never widens what is read
    scope: Scope = NATIONAL

    def __post_init__(self) -> None:
        if self.start.day != 1 or self.end.day != 1:
            raise ValueError("start y end deben ser el primer día de un mes")
        if self.start > self.end:
            raise ValueError("El periodo inicia después de terminar")

    @property
    def is_national(self) -> bool:
        """Whole institute: no place chosen and no scope (national rollups may be read)."""
        return self.ooad_id is None and self.subdelegacion_id is None and self.scope.is_national

    def place_conditions(self, ooad_col, sub_col) -> list[ColumnElement[bool]]:
        """The chosen place and the user's scope as WHERE conditions on a table's OOAD and
        subdelegación columns (the narrower of each pair; both hold, so neither widens). A
        national table (no such columns: None) cannot be cut, so asking it for a place fails
        instead of silently answering for the whole institute."""
        out: list[ColumnElement[bool]] = []
        for ooad, sub in (
            (self.ooad_id, self.subdelegacion_id),
            (self.scope.ooad_id, self.scope.subdelegacion_id),
        ):
            col, value = (sub_col, sub) if sub is not None else (ooad_col, ooad)
            if value is None:
                continue
            if col is None:
                raise ValueError("Esta tabla es nacional: no se puede cortar por oficina")
            out.append(col == value)
        return out

    @property
    def n_months(self) -> int:
        return months_between(self.start, self.end)

    def shifted(self, months: int) -> Filters:
        """The same view, moved ``months`` in time (negative = earlier)."""
        return replace(self, start=add_months(self.start, months), end=add_months(self.end, months))

    def conditions(
        self, table: FromClause, *, period: bool = True, channel: bool = True, segment: bool = True
    ) -> list[ColumnElement[bool]]:
        """WHERE conditions for a rollup, fact table or subquery that has the usual columns.

        ``channel`` and ``segment`` are skipped for tables without those dimensions (collection
        has no channel), so the same Filters can be applied everywhere.
        """
        c = table.c
        out: list[ColumnElement[bool]] = []
        if period:
            out += [c.month >= self.start, c.month <= self.end]
        out += self.place_conditions(c.get("ooad_id"), c.get("subdelegacion_id"))
        if channel and self.channel_id is not None and "channel_id" in c:
            out.append(c.channel_id == self.channel_id)
        if segment and self.size_band_id is not None and "size_band_id" in c:
            out.append(c.size_band_id == self.size_band_id)
        return out
