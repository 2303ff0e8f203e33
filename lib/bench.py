"""Timings of the executive overview's queries on the configured database (``python -m lib bench``).

Why: the overview is the first page everyone opens, and its queries read only the rollups, so
they should stay fast whatever the size of the fact tables. This prints figures to compare
SQLite with PostgreSQL and a demo with a national load; it asserts nothing, so it can run
against any database. Each query is timed ``repeat`` times with a fresh call (the page's cache
is bypassed); the first call is usually the slowest, because it warms the database's cache.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from sqlalchemy import Engine, func, select, text

from lib.db.engine import database_target, make_engine
from lib.db.schema import AggInteractionMonth, Base
from lib.filters import Filters, add_months
from lib.queries import overview
from lib.queries.meta import dataset_meta

TABLES = [
    "patron",
    "collection_monthly",
    "interaction",
    "survey_response",
    "complaint",
    "agg_collection_month",
    "agg_interaction_month",
    "agg_interaction_day",
    "agg_survey_month",
    "agg_complaint_month",
]


def _database_bytes(engine: Engine) -> int:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            return conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
        return pages * conn.exec_driver_sql("PRAGMA page_size").scalar_one()


def _busiest_ooad(engine: Engine, f: Filters) -> int:
    """The OOAD with most contacts in the period: the heaviest single-OOAD view."""
    im = AggInteractionMonth.__table__
    q = (
        select(im.c.ooad_id)
        .where(*f.conditions(im))
        .group_by(im.c.ooad_id)
        .order_by(func.sum(im.c.contacts).desc())
        .limit(1)
    )
    with engine.connect() as conn:
        return conn.execute(q).scalar_one()


def _time(call: Callable[[], object], repeat: int) -> tuple[float, float, float, int]:
    """min, median and max milliseconds over ``repeat`` calls, and the rows of the last one."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append(1000 * (time.perf_counter() - started))
    return min(times), statistics.median(times), max(times), len(result)


def run_benchmarks(repeat: int = 5) -> int:
    target = database_target()
    engine = make_engine(target.url)
    meta = dataset_meta(engine)
    months = list(meta.months)
    end = months[-1]
    start = months[-12] if len(months) >= 12 else months[0]
    first = add_months(start, -12) if add_months(start, -12) in months else start
    national = Filters(start=start, end=end)
    one_ooad = Filters(start=start, end=end, ooad_id=_busiest_ooad(engine, national))

    print(f"Base de datos: {target.display} ({engine.dialect.name})")
    print(f"Escala: {meta.info.get('scale', '?')}, semilla {meta.info.get('seed', '?')}")
    with engine.connect() as conn:
        for name in TABLES:
            rows = conn.execute(select(func.count()).select_from(Base.metadata.tables[name]))
            print(f"  {name:<24} {rows.scalar_one():>12,} filas")
    print(f"  tamaño de la base       {_database_bytes(engine) / 2**20:>12,.1f} MB")
    print(
        f"\nPeriodo {start:%Y-%m} a {end:%Y-%m} (tendencia desde {first:%Y-%m}); "
        f"{repeat} repeticiones, milisegundos"
    )
    print(f"  {'consulta':<34} {'filtro':<9} {'mín':>8} {'mediana':>8} {'máx':>8} {'filas':>6}")
    for label, f in (("nacional", national), (f"OOAD {one_ooad.ooad_id}", one_ooad)):
        calls = {
            "monthly_indicators(f, first)": lambda f=f: overview.monthly_indicators(
                engine, f, first
            ),
            "unit_indicators(f)": lambda f=f: overview.unit_indicators(engine, f),
            "channel_month_contacts(f)": lambda f=f: overview.channel_month_contacts(engine, f),
        }
        for name, call in calls.items():
            lo, mid, hi, rows = _time(call, repeat)
            print(f"  {name:<34} {label:<9} {lo:>8.1f} {mid:>8.1f} {hi:>8.1f} {rows:>6}")
    engine.dispose()
    return 0
