"""The benchmark: every page's speed at a chosen scale, measured (``python -m lib bench``).

What it measures, in one process (the same process a Streamlit server would be):

- the database: reused when it already holds the demo institute at the scale, else seeded
  (timed, rollups included); then a refresh of all rollups, model training and scoring of every
  patron (``lib.model``'s own functions), and import throughput when ``lib/ingest`` exists;
- every page of ``lib/ui/nav.py`` through Streamlit's AppTest: the default view cold (every
  cache cleared) and warm (median of ``repeat`` fresh sessions), then one filter change given
  as URL parameters (the busiest OOAD; another campaign on the campaign page) cold and warm;
  the SQL time, statements and rows of each query the page runs (a SQLAlchemy
  ``before/after_cursor_execute`` listener on every engine, attributed to the ``lib.queries``
  or ``lib.model`` function on the stack) and the peak resident memory while the page runs;
- the floor: ``bench/floor.py`` rendered by the same harness with the page's number of KPI
  cards, charts and tables from constant data; each page is reported as a ratio to its floor,
  which makes figures from a noisy, shared machine comparable.

It prints a table and writes JSON and CSV under ``results/``. It asserts nothing (the targets
are reported as met or not); ``tests/test_bench.py`` runs it at tiny scale so it cannot rot.
SQL time is the time inside ``cursor.execute``: complete on PostgreSQL (psycopg fetches the
result there), a lower bound on SQLite (rows are produced while fetching); the page and
query wall times include the fetch either way.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import importlib
import importlib.util
import inspect
import json
import os
import pkgutil
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

import pandas as pd
from sqlalchemy import Engine, event, func, select, text

from lib.access import User
from lib.db.engine import make_engine, normalise_url
from lib.db.schema import AggInteractionMonth, Base
from lib.filters import Filters

ROOT = Path(__file__).resolve().parents[1]
FLOOR = ROOT / "bench" / "floor.py"
DEFAULT_RESULTS = ROOT / "results"
PAGE_TIMEOUT_S = 900
TABLES = [
    "patron",
    "interaction",
    "survey_response",
    "complaint",
    "campaign_assignment",
    "collection_monthly",
    "patron_flag",
    "agg_interaction_month",
    "agg_survey_month",
    "agg_complaint_month",
    "agg_collection_month",
]
# Targets of issue 10 (PostgreSQL, national scale, this 2-core machine).
TARGET_WARM_MS = 1500
TARGET_WARM_RATIO = 3.0
TARGET_COLD_MS = 5000
TARGET_FILTER_MS = 1000
TARGET_RSS_MB = 1536
TARGET_SCORE_S = 60
TARGET_REFRESH_S = 300

Log = Callable[[str], None]


# ----------------------------------------------------------------------------- measuring
def _rss_mb(field_name: str = "VmHWM") -> float | None:
    """Resident (VmRSS) or peak resident (VmHWM) memory of this process, MB (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Start a new peak-memory window (Linux: writing 5 to clear_refs resets VmHWM)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _process_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _caller() -> str:
    """The lib.queries / lib.model / lib.audit function that ran a statement (else where)."""
    frame: FrameType | None = sys._getframe(2)
    fallback = None
    while frame is not None:
        mod = frame.f_globals.get("__name__", "")
        if mod.startswith(("lib.queries", "lib.model", "lib.audit", "lib.db", "lib.demo")) and (
            mod not in ("lib.queries.common", "lib.db.engine")
        ):
            name = frame.f_code.co_qualname.split(".<locals>")[0]
            return f"{mod.removeprefix('lib.')}.{name}"
        if fallback is None and (mod.startswith("lib.ui") or mod == "__main__"):
            fallback = f"{mod.removeprefix('lib.')}.{frame.f_code.co_qualname}"
        frame = frame.f_back
    return fallback or "otro"


@dataclass
class Recorder:
    """Every SQL statement and every lib.queries call, labelled with the view being measured."""

    label: tuple[str, str] = ("", "")
    statements: list[dict] = field(default_factory=list)
    calls: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        conn.info.setdefault("_bench_t0", []).append(time.perf_counter())

    def after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        starts = conn.info.get("_bench_t0") or [time.perf_counter()]
        ms = 1000 * (time.perf_counter() - starts.pop())
        rows = getattr(cursor, "rowcount", -1)
        with self.lock:
            self.statements.append(
                {
                    "page": self.label[0],
                    "view": self.label[1],
                    "function": _caller(),
                    "ms": ms,
                    "rows": rows if isinstance(rows, int) and rows >= 0 else None,
                }
            )

    def call(self, name: str, ms: float, rows: int | None) -> None:
        with self.lock:
            self.calls.append(
                {
                    "page": self.label[0],
                    "view": self.label[1],
                    "function": name,
                    "ms": ms,
                    "rows": rows,
                }
            )


def _rows(result: Any) -> int | None:
    if isinstance(result, pd.DataFrame | pd.Series):
        return len(result)
    if isinstance(result, dict):
        n = [len(v) for v in result.values() if isinstance(v, pd.DataFrame | pd.Series)]
        return sum(n) if n else None
    if isinstance(result, tuple | list) and result and isinstance(result[0], list | pd.DataFrame):
        return len(result[0])
    return None


@contextmanager
def instrumented(recorder: Recorder) -> Iterator[None]:
    """Listen to every engine's statements and wrap the public lib.queries functions (their
    module and name are kept, so the pages' cache keys do not change)."""
    import lib.queries

    patched: list[tuple[ModuleType, str, object]] = []
    for info in pkgutil.iter_modules(lib.queries.__path__):
        if info.name == "common":
            continue
        mod = importlib.import_module(f"lib.queries.{info.name}")
        for name, fn in list(vars(mod).items()):
            if name.startswith("_") or not inspect.isfunction(fn) or fn.__module__ != mod.__name__:
                continue

            def wrapper(*args, _fn=fn, _name=f"queries.{info.name}.{name}", **kwargs):
                started = time.perf_counter()
                result = _fn(*args, **kwargs)
                recorder.call(_name, 1000 * (time.perf_counter() - started), _rows(result))
                return result

            functools.update_wrapper(wrapper, fn)
            patched.append((mod, name, fn))
            setattr(mod, name, wrapper)
    event.listen(Engine, "before_cursor_execute", recorder.before)
    event.listen(Engine, "after_cursor_execute", recorder.after)
    try:
        yield
    finally:
        event.remove(Engine, "before_cursor_execute", recorder.before)
        event.remove(Engine, "after_cursor_execute", recorder.after)
        for module, name, fn in patched:
            setattr(module, name, fn)


def _clear_caches() -> None:
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


def _render(path: Path, params: dict[str, str]):
    """One fresh session of ``path`` with ``params`` in the URL: (milliseconds, AppTest)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(path), default_timeout=PAGE_TIMEOUT_S)
    for key, value in params.items():
        at.query_params[key] = value
    started = time.perf_counter()
    at.run()
    return 1000 * (time.perf_counter() - started), at


def _elements(at) -> dict[str, int]:
    charts = sum(
        len(at.get(kind)) for kind in ("plotly_chart", "arrow_vega_lite_chart", "vega_lite_chart")
    )
    return {"metrics": len(at.metric), "charts": charts, "tables": len(at.dataframe)}


def _problems(at) -> list[str]:
    out = [f"excepción: {str(e.value)[:200]}" for e in at.exception]
    out += [f"error: {e.value[:200]}" for e in at.error]
    return out


# ----------------------------------------------------------------------------- the database
def default_database(scale: str) -> str:
    return f"sqlite:///{ROOT / 'data' / f'bench-{scale}.db'}"


def _display(url: str) -> str:
    return normalise_url(url).render_as_string(hide_password=True)


def _dataset_scale(engine: Engine) -> tuple[str | None, bool]:
    """(scale, is_demo) of what the database holds; (None, True) when empty or new."""
    from lib.db.schema import DatasetInfo, Patron

    try:
        with engine.connect() as conn:
            if conn.execute(select(Patron.id).limit(1)).first() is None:
                return None, True
            info = dict(conn.execute(select(DatasetInfo.key, DatasetInfo.value)).all())
    except Exception:  # no schema yet
        return None, True
    return info.get("scale"), info.get("is_demo") == "1"


def prepare_database(url: str, scale: str, seed_value: int, log: Log | None = None) -> dict:
    """Reuse the database if it holds the demo institute at ``scale``; else seed it (timed)."""
    log = log or (lambda m: print(m, file=sys.stderr, flush=True))
    from lib.demo.seed import seed, seed_sqlite_file

    engine = make_engine(url)
    held, is_demo = _dataset_scale(engine)
    if held == scale and is_demo:
        engine.dispose()
        log(f"Base reutilizada: ya tiene el instituto de demostración a escala {scale}.")
        return {"reused": True, "seconds": None, "peak_rss_mb": None}
    if held is not None and not is_demo:
        engine.dispose()
        raise RuntimeError(
            "La base de datos contiene datos reales; el benchmark no la sustituye. "
            "Indique otra con --database."
        )
    log(f"Sembrando la escala {scale} (semilla {seed_value}); puede tardar…")
    _reset_peak()
    started = time.perf_counter()
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine.dispose()
        assert parsed.database is not None  # a SQLite URL names its file
        counts = seed_sqlite_file(Path(parsed.database), scale, seed_value)
    else:
        counts = seed(engine, scale, seed_value)
        engine.dispose()
    seconds = time.perf_counter() - started
    return {
        "reused": False,
        "seconds": round(seconds, 2),
        "peak_rss_mb": _rss_mb(),
        "rows": {k: v for k, v in counts.items() if not k.startswith("_")},
    }


def table_rows(engine: Engine) -> dict[str, int]:
    """Rows per table: exact on SQLite, the planner's estimate on PostgreSQL (fresh after
    the seed's and refresh's ANALYZE; counting 40 million rows would take longer than a page)."""
    out = {}
    with engine.connect() as conn:
        for name in TABLES:
            if engine.dialect.name == "postgresql":
                n = conn.execute(
                    text("SELECT reltuples::bigint FROM pg_class WHERE relname = :t"), {"t": name}
                ).scalar_one_or_none()
            else:
                n = conn.execute(
                    select(func.count()).select_from(Base.metadata.tables[name])
                ).scalar_one()
            out[name] = int(n or 0)
    return out


def database_bytes(engine: Engine) -> int:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            return conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
        return pages * conn.exec_driver_sql("PRAGMA page_size").scalar_one()


def busiest_ooad(engine: Engine, f: Filters) -> int:
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


# ----------------------------------------------------------------------------- the phases
def time_refresh(engine: Engine) -> dict:
    from lib.refresh import refresh_all

    _reset_peak()
    started = time.perf_counter()
    parts: dict[str, float] = {}
    with engine.begin() as conn:
        counts = refresh_all(conn, seconds=parts)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in counts:
                conn.exec_driver_sql(f'VACUUM (ANALYZE) "{table}"')
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "rollups_seconds": parts["rollups"],
        "campaign_results_seconds": parts["campaign_results"],
        "rollup_rows": counts,
        "peak_rss_mb": _rss_mb(),
    }


def time_model(engine: Engine, months: tuple[dt.date, ...]) -> dict:
    """Training (features at four cut-offs, two models, calibration, stored run) and scoring
    of every patron, with the model package's own functions (as the page's button does)."""
    from lib.model.pipeline import default_cutoffs, train_and_store
    from lib.model.registry import score_all

    test_cutoff, score_cutoff = default_cutoffs(months[-1])
    _reset_peak()
    started = time.perf_counter()
    run_id, result = train_and_store(
        engine, test_cutoff, actor=User("benchmark", "Benchmark", "administrador")
    )
    train_s = time.perf_counter() - started
    train_peak = _rss_mb()
    _reset_peak()
    started = time.perf_counter()
    _, patrons = score_all(engine, score_cutoff, run_id)
    score_s = time.perf_counter() - started
    chosen = result.metrics[result.chosen]
    return {
        "train": {
            "seconds": round(train_s, 2),
            "peak_rss_mb": train_peak,
            "model": result.chosen,
            "roc_auc": round(float(chosen["roc_auc"]), 4),
            "run_id": run_id,
        },
        "score": {
            "seconds": round(score_s, 2),
            "peak_rss_mb": _rss_mb(),
            "patrons": patrons,
            "patrons_per_s": round(patrons / score_s) if score_s else None,
        },
    }


def time_model_at(url: str, months: tuple[dt.date, ...]) -> dict:
    engine = make_engine(url)
    try:
        return time_model(engine, months)
    finally:
        engine.dispose()


def _in_child(fn: Callable[..., dict], *args: Any) -> dict:
    """``fn(*args)`` in a fresh Python process (spawned: no inherited threads or memory).

    A spawned child first runs the parent's ``__main__`` file again, and after a page was
    measured that is the page's script (AppTest runs it as ``__main__``): the child ran it,
    found no database URL and made the app's first start in data/ — seeding the demo there,
    and since issue 20 also a background thread that migrated a database while the child
    seeded its own. So the child gets a ``__main__`` without a file while it starts."""
    import multiprocessing
    import types

    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            return pool.apply(fn, args)
    finally:
        sys.modules["__main__"] = main


def time_import() -> dict:
    if importlib.util.find_spec("lib.ingest") is None:
        return {"skipped": "lib/ingest no existe en esta versión: no hay importador que medir"}
    # An import writes into the database the pages are measured on; its throughput at one
    # million rows is measured on a copy instead (python -m bench.import_file, docs/import.md).
    return {
        "skipped": "medido aparte sobre una copia: docs/import.md (python -m bench.import_file)"
    }


# ----------------------------------------------------------------------------- the pages
def nav_pages() -> list[tuple[str, str, str]]:
    """(file, title, url path) of every page in the navigation, in menu order."""
    from lib.ui.nav import SECTIONS

    return [(path, title, url) for items in SECTIONS.values() for path, title, url, _ in items]


def _filter_change(at, ooad_id: int) -> tuple[str, dict[str, str]]:
    """One filter change a user makes on this page, as URL parameters."""
    keys = {w.key for w in at.sidebar.selectbox}
    if "ooad" in keys:
        return f"ooad={ooad_id}", {"ooad": str(ooad_id)}
    for box in at.selectbox:
        if box.key == "campana" and len(box.options) > 1:
            other = next(o for o in box.options if o != box.value)
            return f"campana={other}", {"campana": str(other)}
    return "", {}


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 1)


def measure_floor(counts: dict[str, int], repeat: int, cache: dict) -> dict:
    key = (counts["metrics"], counts["charts"], counts["tables"])
    if key not in cache:
        params = {k: str(v) for k, v in counts.items()}
        cold, at = _render(FLOOR, params)
        if at.exception:
            raise RuntimeError(f"El piso del benchmark falló: {at.exception[0].value}")
        warm = [_render(FLOOR, params)[0] for _ in range(repeat)]
        cache[key] = {**counts, "cold_ms": round(cold, 1), "warm_ms": _median(warm)}
    return cache[key]


# Tabs measured on their own (issue 17: slow on the demo), as (page url, URL parameters):
# the page's default view is its first tab, so these would otherwise never be measured.
VIEWS: tuple[tuple[str, dict[str, str]], ...] = (
    ("programa", {"vista": "Pronóstico"}),
    ("programa", {"vista": "Capacidad"}),
    ("evaluacion", {"vista": "Oficinas"}),
)


def view_name(url: str, params: dict[str, str]) -> str:
    """'programa›Pronóstico': the page and the tab (or other URL parameters) measured."""
    return "›".join([url, *params.values()])


def measure_page(
    path: str,
    title: str,
    url: str,
    ooad_id: int,
    repeat: int,
    recorder: Recorder,
    view: dict[str, str] | None = None,
) -> dict:
    """Cold, warm and one filter change of a page, or of one of its tabs (``view``: the URL
    parameters that open it, kept in every render)."""
    file = ROOT / path
    view = view or {}
    name = view_name(url, view)
    _clear_caches()
    _reset_peak()
    recorder.label = (name, "default-cold")
    cold, at = _render(file, view)
    elements = _elements(at)
    problems = _problems(at)
    recorder.label = (name, "default-warm")
    warm = [_render(file, view)[0] for _ in range(repeat)]
    change, params = _filter_change(at, ooad_id)
    params = {**view, **params} if params else {}
    out: dict[str, Any] = {
        "page": name,
        "title": title,
        "file": path,
        **elements,
        "default_cold_ms": round(cold, 1),
        "default_warm_ms": _median(warm),
        "filter": change,
        "filter_cold_ms": None,
        "filter_warm_ms": None,
    }
    if params:
        recorder.label = (name, "filter-cold")
        fcold, fat = _render(file, params)
        problems += _problems(fat)
        recorder.label = (name, "filter-warm")
        fwarm = [_render(file, params)[0] for _ in range(repeat)]
        out["filter_cold_ms"] = round(fcold, 1)
        out["filter_warm_ms"] = _median(fwarm)
    recorder.label = ("", "")
    out["peak_rss_mb"] = _rss_mb()
    out["problems"] = problems
    return out


def _summarise_queries(recorder: Recorder) -> list[dict]:
    """Per page, view and function: calls, statements, SQL ms, wall ms, rows returned."""
    rows: dict[tuple, dict] = {}
    for s in recorder.statements:
        if not s["page"]:
            continue
        r = rows.setdefault(
            (s["page"], s["view"], s["function"]),
            {"calls": 0, "statements": 0, "sql_ms": 0.0, "wall_ms": 0.0, "rows": None},
        )
        r["statements"] += 1
        r["sql_ms"] += s["ms"]
    for c in recorder.calls:
        if not c["page"]:
            continue
        r = rows.setdefault(
            (c["page"], c["view"], c["function"]),
            {"calls": 0, "statements": 0, "sql_ms": 0.0, "wall_ms": 0.0, "rows": None},
        )
        r["calls"] += 1
        r["wall_ms"] += c["ms"]
        if c["rows"] is not None:
            r["rows"] = (r["rows"] or 0) + c["rows"]
    out = []
    for (page, view, function), r in rows.items():
        if r["statements"] == 0 and r["rows"] is None:
            continue  # a pure helper (e.g. a date window), no SQL
        out.append(
            {
                "page": page,
                "view": view,
                "function": function,
                "calls": r["calls"],
                "statements": r["statements"],
                "sql_ms": round(r["sql_ms"], 1),
                "wall_ms": round(r["wall_ms"], 1),
                "rows": r["rows"],
            }
        )
    return out


# ----------------------------------------------------------------------------- report
def _commit() -> str:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return f"{sha}{'+cambios' if dirty else ''}" if sha else "desconocido"
    except OSError:
        return "desconocido"


def _machine() -> dict:
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "memory_gb": mem,
        "system": platform.platform(),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def targets(report: dict) -> list[dict]:
    """The issue's targets, each with the measured figure and whether it is met."""
    out = []
    for p in report["pages"]:
        name = p["page"]
        out.append(
            {
                "target": f"{name}: tibia ≤ {TARGET_WARM_RATIO:g}× piso y < {TARGET_WARM_MS} ms",
                "value": f"{p['default_warm_ms']:.0f} ms, {p['warm_ratio']:.1f}×",
                "met": p["default_warm_ms"] < TARGET_WARM_MS
                and p["warm_ratio"] <= TARGET_WARM_RATIO,
            }
        )
        out.append(
            {
                "target": f"{name}: en frío < {TARGET_COLD_MS} ms",
                "value": f"{p['default_cold_ms']:.0f} ms",
                "met": p["default_cold_ms"] < TARGET_COLD_MS,
            }
        )
        if p["filter_cold_ms"] is not None:
            out.append(
                {
                    "target": f"{name}: cambio de filtro < {TARGET_FILTER_MS} ms",
                    "value": f"{p['filter_cold_ms']:.0f} ms ({p['filter']})",
                    "met": p["filter_cold_ms"] < TARGET_FILTER_MS,
                }
            )
    if report["pages"]:
        peak = max(p["peak_rss_mb"] or 0 for p in report["pages"])
        out.append(
            {
                "target": f"memoria pico recorriendo todas las páginas < {TARGET_RSS_MB} MB",
                "value": f"{peak:.0f} MB",
                "met": peak < TARGET_RSS_MB,
            }
        )
    ph = report["phases"]
    if "score" in ph:
        out.append(
            {
                "target": f"calificar a todos los patrones < {TARGET_SCORE_S} s",
                "value": f"{ph['score']['seconds']:.1f} s",
                "met": ph["score"]["seconds"] < TARGET_SCORE_S,
            }
        )
    if "refresh" in ph:
        out.append(
            {
                "target": f"recalcular todos los agregados < {TARGET_REFRESH_S} s",
                "value": f"{ph['refresh']['seconds']:.1f} s",
                "met": ph["refresh"]["seconds"] < TARGET_REFRESH_S,
            }
        )
    return out


PAGE_COLUMNS = [
    "page",
    "metrics",
    "charts",
    "tables",
    "default_cold_ms",
    "default_warm_ms",
    "floor_warm_ms",
    "warm_ratio",
    "cold_ratio",
    "filter",
    "filter_cold_ms",
    "filter_warm_ms",
    "sql_cold_ms",
    "statements_cold",
    "rows_cold",
    "peak_rss_mb",
]


def format_table(report: dict) -> str:
    lines = []
    ph = report["phases"]
    lines.append(
        f"Mirador bench · escala {report['scale']} · {report['dialect']} · {report['date']} · "
        f"commit {report['commit']} · {report['machine']['cpus']} CPU"
    )
    for name in ("seed", "refresh", "train", "score", "import"):
        if name not in ph:
            continue
        p = ph[name]
        if p.get("skipped"):
            lines.append(f"  {name:<8} omitido: {p['skipped']}")
        elif p.get("reused"):
            lines.append(f"  {name:<8} base reutilizada")
        else:
            extra = f", {p['patrons']:,} patrones" if "patrons" in p else ""
            if "campaign_results_seconds" in p:  # refresh: its two parts
                extra = (
                    f" (agregados {p['rollups_seconds']:.1f} s, "
                    f"resultados de campañas {p['campaign_results_seconds']:.1f} s)"
                )
            peak = f", pico {p['peak_rss_mb']:.0f} MB" if p.get("peak_rss_mb") else ""
            lines.append(f"  {name:<8} {p['seconds']:>9.1f} s{extra}{peak}")
    header = (
        f"{'página':<22} {'frío':>7} {'tibio':>7} {'piso':>6} {'×piso':>6} "
        f"{'filtro':>7} {'f.tibio':>7} {'SQL':>7} {'sent.':>5} {'filas':>7} {'MB':>6}  "
        "gráf/tab/tarj"
    )
    lines += ["", "milisegundos (tibio = mediana de sesiones nuevas con caché llena)", header]
    for p in report["pages"]:

        def ms(v: float | None) -> str:
            return "—" if v is None else f"{v:.0f}"

        lines.append(
            f"{p['page']:<22} {ms(p['default_cold_ms']):>7} {ms(p['default_warm_ms']):>7} "
            f"{ms(p['floor_warm_ms']):>6} {p['warm_ratio']:>6.1f} {ms(p['filter_cold_ms']):>7} "
            f"{ms(p['filter_warm_ms']):>7} {ms(p['sql_cold_ms']):>7} {p['statements_cold']:>5} "
            f"{p['rows_cold']:>7} {ms(p['peak_rss_mb']):>6}  "
            f"{p['charts']}/{p['tables']}/{p['metrics']}"
        )
        for problem in p["problems"]:
            lines.append(f"    ! {problem}")
    slow = sorted(
        (q for q in report["queries"] if q["view"] in ("default-cold", "filter-cold")),
        key=lambda q: -q["sql_ms"],
    )[:12]
    if slow:
        lines += ["", "consultas más lentas (SQL en frío, ms)"]
        for q in slow:
            lines.append(
                f"  {q['sql_ms']:>8.0f} {q['page']:<22} {q['view']:<13} {q['function']:<45} "
                f"{q['statements']:>3} sent. {q['rows'] if q['rows'] is not None else '—':>7} filas"
            )
    if report["targets"]:
        lines += ["", "metas"]
        for t in report["targets"]:
            lines.append(f"  [{'sí' if t['met'] else 'NO'}] {t['target']}: {t['value']}")
    return "\n".join(lines)


def write_results(report: dict, results_dir: Path) -> dict[str, Path]:
    results_dir.mkdir(parents=True, exist_ok=True)
    stem = f"bench-{report['scale']}-{report['started'].replace(':', '').replace('-', '')}"
    paths = {
        "json": results_dir / f"{stem}.json",
        "pages_csv": results_dir / f"{stem}-pages.csv",
        "queries_csv": results_dir / f"{stem}-queries.csv",
    }
    paths["json"].write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    with paths["pages_csv"].open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=PAGE_COLUMNS, extrasaction="ignore")
        w.writeheader()
        w.writerows(report["pages"])
    with paths["queries_csv"].open("w", newline="") as fh:
        cols = ["page", "view", "function", "calls", "statements", "sql_ms", "wall_ms", "rows"]
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows(report["queries"])
    return paths


# ----------------------------------------------------------------------------- entry point
@dataclass
class BenchOptions:
    scale: str = "tiny"
    database: str | None = None
    results: Path = DEFAULT_RESULTS
    repeat: int = 3
    seed: int = 7
    skip: frozenset[str] = frozenset()  # refresh, model, pages, import
    pages: tuple[str, ...] = ()  # url paths; empty = all
    views: bool = True  # also the tabs of VIEWS, each on its own


def run_bench(opts: BenchOptions, log: Log = print) -> dict:
    """Run every phase; returns the report (also written under ``opts.results``)."""
    url = opts.database or default_database(opts.scale)
    started = dt.datetime.now().replace(microsecond=0)
    report: dict[str, Any] = {
        "schema": 1,
        "started": started.isoformat(),
        "date": started.date().isoformat(),
        "scale": opts.scale,
        "database": _display(url),
        "commit": _commit(),
        "machine": _machine(),
        "options": {**asdict(opts), "results": str(opts.results), "skip": sorted(opts.skip)},
        "phases": {},
        "floor": [],
        "pages": [],
        "queries": [],
    }
    log(f"Base de datos: {report['database']}")
    # seeding and the model hold large frames: in a child process, so the pages are measured
    # in a process whose memory reflects only the app (as in a server)
    report["phases"]["seed"] = _in_child(prepare_database, url, opts.scale, opts.seed)
    engine = make_engine(url)
    report["dialect"] = engine.dialect.name
    report["database_mb"] = round(database_bytes(engine) / 2**20, 1)
    if "refresh" not in opts.skip:
        log("Recalculando los agregados…")
        report["phases"]["refresh"] = time_refresh(engine)
    from lib.queries.meta import dataset_meta

    meta = dataset_meta(engine)
    if "model" not in opts.skip:
        log("Entrenando y calificando el modelo…")
        model = _in_child(time_model_at, url, meta.months)
        report["phases"].update(model)
    report["phases"]["import"] = (
        {"skipped": "omitido con --skip import"} if "import" in opts.skip else time_import()
    )
    report["rows"] = table_rows(engine)
    start = meta.months[-12] if len(meta.months) >= 12 else meta.months[0]
    ooad_id = busiest_ooad(engine, Filters(start=start, end=meta.months[-1]))
    engine.dispose()

    if "pages" not in opts.skip:
        _imports_started = time.perf_counter()
        for package in ("lib.analysis", "lib.charts", "lib.queries", "lib.ui"):
            pkg = importlib.import_module(package)
            for info in pkgutil.iter_modules(pkg.__path__):
                importlib.import_module(f"{package}.{info.name}")
        report["imports_s"] = round(time.perf_counter() - _imports_started, 2)
        previous = os.environ.get("MIRADOR_DATABASE_URL")
        os.environ["MIRADOR_DATABASE_URL"] = url
        recorder = Recorder()
        floors: dict = {}
        measure_floor({"metrics": 0, "charts": 0, "tables": 0}, 1, {})  # warm the harness
        try:
            with instrumented(recorder):
                for path, title, page_url in nav_pages():
                    if opts.pages and page_url not in opts.pages:
                        continue
                    views = [None, *(v for u, v in VIEWS if u == page_url and opts.views)]
                    for view in views:
                        log(f"Página {title}{' › ' + ' › '.join(view.values()) if view else ''}…")
                        page = measure_page(
                            path, title, page_url, ooad_id, opts.repeat, recorder, view
                        )
                        floor = measure_floor(
                            {k: page[k] for k in ("metrics", "charts", "tables")},
                            opts.repeat,
                            floors,
                        )
                        page["floor_cold_ms"] = floor["cold_ms"]
                        page["floor_warm_ms"] = floor["warm_ms"]
                        page["warm_ratio"] = round(page["default_warm_ms"] / floor["warm_ms"], 2)
                        page["cold_ratio"] = round(page["default_cold_ms"] / floor["cold_ms"], 2)
                        report["pages"].append(page)
        finally:
            _clear_caches()
            if previous is None:
                os.environ.pop("MIRADOR_DATABASE_URL", None)
            else:
                os.environ["MIRADOR_DATABASE_URL"] = previous
        report["queries"] = _summarise_queries(recorder)
        report["floor"] = list(floors.values())
        for page in report["pages"]:
            cold = [q for q in report["queries"] if q["page"] == page["page"]]
            cold = [q for q in cold if q["view"] == "default-cold"]
            page["sql_cold_ms"] = round(sum(q["sql_ms"] for q in cold), 1)
            page["statements_cold"] = sum(q["statements"] for q in cold)
            page["rows_cold"] = sum(q["rows"] or 0 for q in cold)
    report["peak_rss_mb"] = round(_process_peak_mb(), 1)
    report["targets"] = targets(report)
    report["finished"] = dt.datetime.now().replace(microsecond=0).isoformat()
    report["files"] = {k: str(v) for k, v in write_results(report, opts.results).items()}
    return report
