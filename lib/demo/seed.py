"""Fill a database with the demo institute, all or nothing.

The whole load, rollups included, is one transaction: an interrupted seed leaves the database
as it was. A database that holds real (non-demo) data is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, Engine, delete, func, insert, inspect, select, text

from lib.db.bulk import indexes_built_after_load, insert_frame, sync_id_sequences
from lib.db.engine import make_engine
from lib.db.generation import GENERATION_KEY
from lib.db.migrate import upgrade_schema
from lib.db.rollups import ROLLUPS
from lib.db.schema import Base, DatasetInfo, Patron
from lib.demo.generator import DATA_AS_OF, SCALES, generate
from lib.demo.growth import GROWS_TO
from lib.refresh import refresh_all

Progress = Callable[[float, str], object]  # its return is ignored (st.progress)

# Rough share of rows per table, for a progress bar that moves evenly.
_EXPECTED_CHUNKS = 36 * 5 + 12
# Tables with many rows: their keys and indexes are rebuilt once after the load (PostgreSQL).
_FACT_TABLES = [
    "patron",
    "campaign_assignment",
    "collection_monthly",
    "interaction",
    "survey_response",
    "complaint",
    "orientation",
]


class RealDataPresent(RuntimeError):
    """Refuse to replace a database that holds real data."""


def dataset_info(conn: Connection) -> dict[str, str]:
    rows = conn.execute(select(DatasetInfo.key, DatasetInfo.value)).all()
    return {k: v for k, v in rows}


def _clear(conn: Connection) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    if conn.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            conn.execute(delete(table))


def seed(
    engine: Engine,
    scale: str,
    seed_value: int,
    progress: Progress | None = None,
    force: bool = False,
) -> dict[str, int]:
    """Replace the database contents with the demo institute; returns rows written per table."""
    if scale not in SCALES:
        raise ValueError(f"Escala desconocida «{scale}»; use una de {', '.join(SCALES)}")
    report = progress or (lambda _f, _m: None)
    report(0.0, "Preparando el esquema")
    upgrade_schema(engine)
    counts: dict[str, int] = {}
    started = time.perf_counter()
    with engine.begin() as conn:
        info = dataset_info(conn)
        has_patrons = conn.execute(select(func.count()).select_from(Patron)).scalar_one() > 0
        if has_patrons and not _replaceable(info) and not force:
            raise RealDataPresent(
                "La base de datos contiene datos reales"
                + (
                    " (archivos cargados sobre la demostración)"
                    if info.get("is_demo") == "1"
                    else ""
                )
                + "; no se sustituyen por datos de demostración. Use otra base de datos o la "
                "opción --force si está seguro."
            )
        _clear(conn)  # on PostgreSQL a TRUNCATE in this transaction, which allows COPY FREEZE
        postgres = conn.dialect.name == "postgresql"
        tables = Base.metadata.tables
        with indexes_built_after_load(conn, _FACT_TABLES):
            for done, (name, frame) in enumerate(generate(scale, seed_value), start=1):
                table = tables[name]
                if any(c.type.__class__.__name__ == "JSON" for c in table.columns):
                    conn.execute(insert(table), frame.to_dict("records"))
                    written = len(frame)
                else:
                    written = insert_frame(conn, table, frame, freeze=postgres)
                counts[name] = counts.get(name, 0) + written
                report(min(0.8, 0.8 * done / _EXPECTED_CHUNKS), f"Generando datos: {name}")
            report(0.8, "Reconstruyendo índices y llaves")
        sync_id_sequences(conn, list(tables.values()))
        if postgres:  # statistics for the rollup queries; autovacuum cannot see this data yet
            for name in _FACT_TABLES:
                conn.exec_driver_sql(f'ANALYZE "{name}"')
        now = dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")
        conn.execute(
            insert(DatasetInfo),
            [
                {"key": "is_demo", "value": "1"},
                {"key": "scale", "value": scale},
                {"key": "seed", "value": str(seed_value)},
                {"key": "data_as_of", "value": DATA_AS_OF.isoformat()},
                {"key": "loaded_at", "value": now},
                # carried over, so that the refresh below moves it past every earlier version
                {"key": GENERATION_KEY, "value": info.get(GENERATION_KEY, "0")},
            ],
        )
        report(0.86, "Calculando agregados")
        refresh_all(conn, lambda f, m: report(0.86 + 0.13 * f, m))
    counts["_seconds"] = round(time.perf_counter() - started)
    report(1.0, "Listo")
    return counts


def _replaceable(info: dict[str, str]) -> bool:
    """Only the demo institute as seeded may be replaced without --force: real data, and
    files loaded into the demo (lib.ingest marks them), would be lost."""
    return info.get("is_demo") == "1" and info.get("demo_with_imports") != "1"


def _holds_real_data(path: Path) -> bool:
    if not path.exists():
        return False
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("patron"):
                return False
            has_patrons = conn.execute(select(Patron.id).limit(1)).first() is not None
            return has_patrons and not _replaceable(dataset_info(conn))
    finally:
        engine.dispose()


TRAIN_SHARE = 0.3  # of the first start's progress bar: training takes about a third


def _train_demo_model(engine: Engine, progress: Progress) -> None:
    """The orientation model on the demo institute, as the page's button would train it."""
    from lib.access import User
    from lib.model.pipeline import default_cutoffs, train_store_and_score

    last = DATA_AS_OF.replace(day=1)  # the demo's last month of data
    first_start = User("demostración (primer arranque)", "Primer arranque", "administrador")
    train_store_and_score(engine, *default_cutoffs(last), actor=first_start, progress=progress)


def seed_sqlite_file(
    path: Path,
    scale: str,
    seed_value: int,
    progress: Progress | None = None,
    force: bool = False,
    train: bool = False,
    grows_to: str | None = None,
):
    """Seed into a temporary file beside ``path`` and move it into place only when complete.

    Stop the app first: a running app keeps the old file open. A file holding real data is
    never replaced unless ``force``. ``train``: also train, store and score the orientation
    model (the app's first start, so that every page works on the first visit).
    ``grows_to``: a larger scale the app grows this institute to in the background
    (lib.demo.growth; recorded in dataset_info, so a restart resumes it).
    """
    if not force and _holds_real_data(path):
        raise RealDataPresent(
            f"{path} contiene datos reales; no se sustituyen por datos de demostración. "
            "Use otra ruta o --force si está seguro."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".seeding")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{tmp}")
    report = progress or (lambda _f, _m: None)
    share = TRAIN_SHARE if train else 0.0
    try:
        counts = seed(engine, scale, seed_value, lambda f, m: report((1 - share) * f, m))
        if train:
            _train_demo_model(engine, lambda f, m: report(1 - share + share * f, m))
        if grows_to is not None:
            with engine.begin() as conn:
                conn.execute(insert(DatasetInfo).values(key=GROWS_TO, value=grows_to))
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    for leftover in (Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    for stale in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    os.replace(tmp, path)
    return counts


__all__ = ["ROLLUPS", "RealDataPresent", "dataset_info", "seed", "seed_sqlite_file"]
