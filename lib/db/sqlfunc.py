"""Small SQL constructs that SQLite and PostgreSQL spell differently."""

from __future__ import annotations

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class date_plus_days(FunctionElement):
    """``date + n days`` for a DATE column and a constant ``n``."""

    type = Date()
    inherit_cache = True

    def __init__(self, date_expr, days: int) -> None:
        self.days = int(days)
        super().__init__(date_expr)


@compiles(date_plus_days, "sqlite")
def _date_plus_days_sqlite(element, compiler, **kw) -> str:
    (arg,) = list(element.clauses)
    return f"date({compiler.process(arg, **kw)}, '+{element.days} days')"


@compiles(date_plus_days, "postgresql")
def _date_plus_days_pg(element, compiler, **kw) -> str:
    (arg,) = list(element.clauses)
    return f"(CAST({compiler.process(arg, **kw)} AS DATE) + {element.days})"
