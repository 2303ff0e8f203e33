"""The global filter: period, OOAD, subdelegación, channel and patron segment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, Table


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

    def __post_init__(self) -> None:
        if self.start.day != 1 or self.end.day != 1:
            raise ValueError("start y end deben ser el primer día de un mes")
        if self.start > self.end:
            raise ValueError("El periodo inicia después de terminar")

    @property
    def n_months(self) -> int:
        return months_between(self.start, self.end)

    def shifted(self, months: int) -> Filters:
        """The same view, moved ``months`` in time (negative = earlier)."""
        return replace(self, start=add_months(self.start, months), end=add_months(self.end, months))

    def conditions(
        self, table: Table, *, period: bool = True, channel: bool = True, segment: bool = True
    ) -> list[ColumnElement[bool]]:
        """WHERE conditions for a rollup or fact table that has the usual columns.

        ``channel`` and ``segment`` are skipped for tables without those dimensions (collection
        has no channel), so the same Filters can be applied everywhere.
        """
        c = table.c
        out: list[ColumnElement[bool]] = []
        if period:
            out += [c.month >= self.start, c.month <= self.end]
        if self.subdelegacion_id is not None:
            out.append(c.subdelegacion_id == self.subdelegacion_id)
        elif self.ooad_id is not None:
            out.append(c.ooad_id == self.ooad_id)
        if channel and self.channel_id is not None and "channel_id" in c:
            out.append(c.channel_id == self.channel_id)
        if segment and self.size_band_id is not None and "size_band_id" in c:
            out.append(c.size_band_id == self.size_band_id)
        return out
