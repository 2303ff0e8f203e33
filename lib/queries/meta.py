"""What the database holds: demo or real, how fresh, which months, whether it is usable."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, Engine, func, inspect, select
from sqlalchemy.exc import DBAPIError

from lib.db.generation import GENERATION_KEY
from lib.db.schema import (
    AggCollectionMonth,
    AggComplaintMonth,
    AggInteractionMonth,
    AggSurveyMonth,
    Base,
    DatasetInfo,
    GroundTruth,
    Orientation,
    Subdelegacion,
)
from lib.filters import add_months

# The tables an import fills with facts, in import order (lib/ingest/contract.py IMPORT_ORDER);
# a page needs some of them, and a database may hold any subset (docs/import.md).
FACT_TABLES = (
    "patron",
    "interaction",
    "survey_response",
    "complaint",
    "collection_monthly",
    "campaign",
    "campaign_assignment",
    "orientation",
)
# Where the months a page may offer come from: each fact's monthly rollup (month leads its
# primary key, so min/max are index lookups), and orientation, which has no rollup.
_MONTH_SOURCES = (
    AggInteractionMonth.month,
    AggSurveyMonth.month,
    AggComplaintMonth.month,
    AggCollectionMonth.month,
    Orientation.month,
)


class SchemaMissing(RuntimeError):
    """The database answers but has no Mirador tables."""


class DatabaseEmpty(RuntimeError):
    """The schema exists but nothing has been loaded: no catalog of offices, no facts."""


@dataclass(frozen=True)
class DatasetMeta:
    is_demo: bool
    data_as_of: dt.date | None
    loaded_at: str
    rollups_refreshed_at: str
    months: tuple[dt.date, ...]
    info: dict[str, str]
    # the fact tables holding at least one row (FACT_TABLES); a database may hold any subset
    loaded: frozenset[str] = frozenset(FACT_TABLES)

    def missing(self, tables: tuple[str, ...] = FACT_TABLES) -> tuple[str, ...]:
        """Which of ``tables`` hold no rows yet, in import order."""
        return tuple(t for t in tables if t not in self.loaded)

    @property
    def demo_with_imports(self) -> bool:
        """The demo institute with files loaded into it: neither synthetic nor real only."""
        return self.is_demo and self.info.get("demo_with_imports") == "1"

    @property
    def version(self) -> str:
        """Changes whenever data or rollups change: part of every cache key."""
        return version_of(self.info)


# the dataset_info keys the version is made of: the generation every write of data moves on
# (lib/db/generation.py), and the stamps a person reads: a load, a refresh, a model trained
VERSION_KEYS = (GENERATION_KEY, "loaded_at", "rollups_refreshed_at", "model_trained_at")


def version_of(info: Mapping[str, str]) -> str:
    """The dataset version of these dataset_info rows (DatasetMeta.version)."""
    return "|".join(info.get(key, "") for key in VERSION_KEYS)


def dataset_version(engine: Engine) -> str:
    """The dataset version alone: one indexed read of dataset_info (a replica is compared with
    the primary on it, lib/db/replica.py)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(DatasetInfo.key, DatasetInfo.value).where(DatasetInfo.key.in_(VERSION_KEYS))
        ).all()
    return version_of(dict(rows))


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class _Derived:
    """What dataset_meta reads from the fact tables and rollups (about a dozen round trips),
    kept per process for one dataset version."""

    version: str
    read_at: float
    loaded: frozenset[str]
    months: tuple[dt.date, ...]


# Per database URL. A view reads dataset_info (one round trip) and reuses the derived facts
# while the version is unchanged: every write of facts moves the generation on (lib/db/
# generation.py). The age bound is a safety net for a write that bypasses it (SQL by hand).
DERIVED_MAX_AGE_S = 60.0
_derived: dict[str, _Derived] = {}
_derived_lock = threading.Lock()


def dataset_meta(engine: Engine) -> DatasetMeta:
    """Read the dataset facts; raises SchemaMissing / DatabaseEmpty with a usable state.

    Runs on every page view. Its cost under many users is round trips, not rows: one read of
    dataset_info when the derived facts of this version are known to the process, about a
    dozen index lookups when they are not. Connection errors (OperationalError) propagate:
    the caller turns them into a message.
    """
    key = engine.url.render_as_string(hide_password=True)
    known = _derived.get(key)
    if known is not None and time.monotonic() - known.read_at < DERIVED_MAX_AGE_S:
        try:
            with engine.connect() as conn:
                info = _info(conn)
        except DBAPIError:
            info = None  # no dataset_info (an empty database) or a lost connection: read all
        if info is not None and version_of(info) == known.version:
            return _meta(info, known.loaded, known.months)
    with engine.connect() as conn:
        if not inspect(conn).has_table(DatasetInfo.__tablename__):
            raise SchemaMissing()
        # Index-only lookups, never a scan of a fact table.
        loaded = frozenset(t for t in FACT_TABLES if _has_rows(conn, t))
        if not loaded and conn.execute(select(Subdelegacion.id).limit(1)).first() is None:
            raise DatabaseEmpty()
        info = _info(conn)
        months = _months(conn)
    with _derived_lock:
        _derived[key] = _Derived(version_of(info), time.monotonic(), loaded, months)
    return _meta(info, loaded, months)


def _info(conn: Connection) -> dict[str, str]:
    return {k: v for k, v in conn.execute(select(DatasetInfo.key, DatasetInfo.value))}


def _months(conn: Connection) -> tuple[dt.date, ...]:
    """The months of whatever facts exist: from the first month of any to the last of any."""
    bounds = [conn.execute(select(func.min(col), func.max(col))).one() for col in _MONTH_SOURCES]
    firsts = [_as_date(lo) for lo, _ in bounds if lo is not None]
    lasts = [_as_date(hi) for _, hi in bounds if hi is not None]
    months: list[dt.date] = []
    if firsts:
        month, last = min(firsts), max(lasts)
        while month <= last:
            months.append(month)
            month = add_months(month, 1)
    return tuple(months)


def _meta(info: dict[str, str], loaded: frozenset[str], months: tuple[dt.date, ...]) -> DatasetMeta:
    as_of = info.get("data_as_of")
    return DatasetMeta(
        is_demo=info.get("is_demo") == "1",
        data_as_of=dt.date.fromisoformat(as_of) if as_of else None,
        loaded_at=info.get("loaded_at", ""),
        rollups_refreshed_at=info.get("rollups_refreshed_at", ""),
        months=months,
        info=info,
        loaded=loaded,
    )


def _has_rows(conn, table: str) -> bool:
    t = Base.metadata.tables[table]
    first_key = next(iter(t.primary_key.columns))
    return conn.execute(select(first_key).limit(1)).first() is not None


def ground_truth(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(select(GroundTruth).order_by(GroundTruth.key), conn)


def table_counts(engine: Engine, tables: list[str]) -> pd.DataFrame:
    """Rows per table. The fact tables' counts are the ones the last refresh recorded
    (dataset_info ``rows.<table>``; they change only with a load, which is followed by a
    refresh): counting tens of millions of rows on every view took seconds at national scale.
    Other tables are counted now."""
    from lib.db.schema import Base

    rows = []
    with engine.connect() as conn:
        recorded = dict(
            conn.execute(
                select(DatasetInfo.key, DatasetInfo.value).where(DatasetInfo.key.like("rows.%"))
            ).all()
        )
        for name in tables:
            if f"rows.{name}" in recorded:
                n = int(recorded[f"rows.{name}"])
            else:
                t = Base.metadata.tables[name]
                n = conn.execute(select(func.count()).select_from(t)).scalar_one()
            rows.append({"tabla": name, "filas": n})
    return pd.DataFrame(rows)
