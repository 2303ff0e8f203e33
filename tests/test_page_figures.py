"""Every figure on every page and download, the same before and after a change (issue 19).

Each page of ``lib.ui.nav.SECTIONS`` is run under AppTest, signed in as an administrator
(tests/apptest.py), on the demo institute (``sqlite_demo``: scale "demo", seed 7) with the
orientation model trained once by the project's own pipeline
(lib.model.pipeline.train_store_and_score, as the first start does). A page whose tabs are
``lazy_tabs`` computes only the open tab, so each tab is its own AppTest run, opened with
``?vista=<tab>`` as a link would.

What is captured, in page order (main area, then sidebar), per view:
- titles, headers, subheaders, markdown, captions, text, code and alerts (info, warning,
  success, error): their text;
- ``st.metric``: label, value, delta and its description, help text and sparkline values;
- ``st.dataframe`` / ``st.table``: column names and rows as records, floats rounded to six
  significant digits (:func:`plain`); a table longer than ``FULL_ROWS`` keeps its row count,
  its first rows and a SHA-256 of each block of 50 rows, so every number is still compared;
- Plotly charts: the title, the annotations and each trace's name, type and data arrays
  (x, y, z, values, labels, text, base, error bars) from the element's JSON spec;
- downloads (the ``downloads`` fixture: the bytes the user would receive): CSV as rows of
  cells, numbers rounded like the tables' (a long file kept as a long table is), Excel as
  each sheet's cell values read with openpyxl (the files embed their generation time, so
  bytes are not compared); Word and PNG files only by name (their content embeds
  timestamps and rendering).
The work program's "Versiones" and "Exportar" tabs are also taken with a draft saved by the
page itself in the fixture (``MORE_VIEWS``), the Word document prepared.
Widgets' own labels and options are not figures and are left out.

What varies from run to run is normalised by :func:`normalise` (one place, documented there):
run dates and times, "hace N minutos", the database's temporary path, the model's code
version, tokens.
Audit events and sessions written while the test runs are removed before each view, so the
audit and users pages show the same thing whatever order the views run in.

Time (2 cores shared with another heavy job): the 41 views take 40-60 s; the rest is the
fixtures: the demo institute's seeding (shared with the other demo tests, or skipped with
``MIRADOR_TEST_DEMO_SQLITE``) and the model's training (about 80 s). Measured: 1.8-2.3 min
with a seeded file, 1.9-5.0 min from nothing, depending on the load. No view is left out.

Pages are run as their own files (``signed_in(..., page=...)``), not through Home.py's
router: every page sets itself up (lib.ui.context.page_setup), and the router would first
run the overview on every view.

``MIRADOR_UPDATE_SNAPSHOT=1`` rewrites tests/snapshots/page_figures.json from this run (take
it BEFORE a change, commit it, then run without the variable AFTER: a failure names the
first differing page, view and element). SQLite only: AppTest pages read
MIRADOR_DATABASE_URL, and the demo institute is built on SQLite by ``sqlite_demo``; the same
queries on PostgreSQL are covered by the rest of the suite, not by this snapshot.
"""

from __future__ import annotations

import ast
import base64
import csv
import datetime as dt
import decimal
import hashlib
import io
import json
import math
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, func, select
from streamlit.testing.v1 import element_tree as et

from lib.access import SYSTEM_USER, User
from lib.db.engine import make_engine
from lib.db.schema import AppSession, AuditEvent, ModelRun
from lib.model.pipeline import default_cutoffs, train_store_and_score
from lib.queries.meta import dataset_meta
from lib.ui.nav import SECTIONS
from lib.users import save_user
from tests.apptest import signed_in

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "page_figures.json"
UPDATE = os.environ.get("MIRADOR_UPDATE_SNAPSHOT") == "1"
PASSWORD = "clave-de-prueba-1"
ADMIN = User("admin", "Admin", "administrador")
PAGES = [path for items in SECTIONS.values() for path, *_ in items]
NO_TABS = "(página)"  # the view name of a page without lazy tabs
PROGRAMA = "pages/7_programa.py"
DRAFT = {"borrador": "1"}  # the draft the fixture saves through the page
WORD = "Preparar documento Word (con gráficas)"
# Views besides the tabs: (tab, name, URL parameters, button to click). The work program's
# versions and files exist only once a draft is saved.
MORE_VIEWS = {
    PROGRAMA: [
        ("Versiones", "Versiones · borrador guardado", DRAFT, None),
        ("Exportar", "Exportar · borrador guardado", DRAFT, WORD),
    ]
}
FULL_ROWS = 60  # tables and arrays up to this long are stored whole
HEAD_ROWS = 10  # otherwise: the count, this many first rows and a hash per block
BLOCK = 50
TRACE_KEYS = ("x", "y", "z", "values", "labels", "text", "base", "r", "theta")


# ---------------------------------------------------------------- the institute


@dataclass(frozen=True)
class Institute:
    url: str
    path: Path
    last_audit: int  # audit events up to this id were there before any page ran
    run_dates: frozenset[dt.date]  # days that are "when the test ran", not data


@pytest.fixture(scope="module")
def institute(sqlite_demo: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Institute]:
    """A copy of the demo institute of this module's own (pages write sessions and audit
    events), with the orientation model trained and scored and one administrator account."""
    path = tmp_path_factory.mktemp("figures") / "demo.db"
    shutil.copyfile(sqlite_demo.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    meta = dataset_meta(engine)
    train_store_and_score(engine, *default_cutoffs(meta.months[-1]), actor=SYSTEM_USER)
    save_user(engine, ADMIN, "admin", "Admin", "administrador", password=PASSWORD)
    with pytest.MonkeyPatch.context() as mp:  # a saved work program, saved by its page
        at = signed_in(mp, url, "admin", PASSWORD, page=PROGRAMA)
        next(b for b in at.button if b.label == "Guardar versión").click().run()
        assert not at.exception and at.session_state["pat_draft"] == int(DRAFT["borrador"])
    with engine.connect() as conn:
        last_audit = conn.execute(select(func.max(AuditEvent.id))).scalar_one()
        stamps = [*conn.execute(select(ModelRun.created_at)).scalars()]
    engine.dispose()
    stamps += [pd.Timestamp(s) for s in (meta.loaded_at, meta.rollups_refreshed_at) if s]
    days = {dt.date.today(), *(pd.Timestamp(s).date() for s in stamps)}
    yield Institute(url, path, last_audit, frozenset(days))


def _forget_writes(inst: Institute) -> None:
    """The audit events and sessions a previous view wrote (sign-ins, list views)."""
    engine = make_engine(inst.url)
    with engine.begin() as conn:
        conn.execute(delete(AuditEvent).where(AuditEvent.id > inst.last_audit))
        conn.execute(delete(AppSession))
    engine.dispose()


# ---------------------------------------------------------------- normalising


def normalise(text: str, inst: Institute) -> str:
    """The text with what changes between runs of the same data replaced by a placeholder.
    A "run day" is today or a day the database was written (seeded, refreshed, the model
    trained: ``Institute.run_dates``); the demo's data end on 31/10/2026, so a data date is
    never a run day and stays.

    - the database's temporary file (the data page names it) → ``<base>``;
    - a date-time on a run day (``07/12/2026 14:28``, ``2026-12-07 14:28:04.123``,
      ``2026-12-07T14:28``: loaded, refreshed, trained, signed in, generated) →
      ``<fecha y hora>``;
    - a date on a run day, as dd/mm/yyyy, ISO or yyyymmdd (file names) → ``<fecha>``;
    - "hace 3 minutos" → "hace <n> minutos";
    - the code version the model was trained with ("código 4a10d86", a git commit) →
      ``código <versión>``;
    - hex tokens of 16 characters or more (session ids, hashes) → ``<id>``.
    Durations are not normalised: no page shows one that depends on the run (a wait of
    "8 min 12 s" is data).
    """
    days = inst.run_dates | {dt.date.today()}
    text = text.replace(str(inst.path), "<base>").replace(str(inst.path.parent), "<dir>")
    text = re.sub(r"/\S*pytest-of-\S*?/\S*?\.db\b", "<base>", text)

    def stamp(match: re.Match) -> str:
        day = match.group("iso") or match.group("dmy")
        parsed = (
            dt.date.fromisoformat(day)
            if match.group("iso")
            else dt.datetime.strptime(day, "%d/%m/%Y").date()
        )
        return "<fecha y hora>" if parsed in days else match.group(0)

    text = re.sub(
        r"\b(?:(?P<iso>\d{4}-\d{2}-\d{2})[ T]|(?P<dmy>\d{2}/\d{2}/\d{4}),? )"
        r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:?\d{2}|Z)?",
        stamp,
        text,
    )
    for day in sorted(days):
        for form in (f"{day:%d/%m/%Y}", day.isoformat(), f"{day:%Y%m%d}"):
            text = text.replace(form, "<fecha>")
    text = re.sub(r"\bhace \d+ (segundos?|minutos?|horas?|días?)", r"hace <n> \1", text, flags=re.I)
    text = re.sub(r"\bcódigo [0-9a-f]{7,40}\b", "código <versión>", text)
    return re.sub(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{16,}\b", "<id>", text)


def _round(x: float) -> float | str | None:
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return float(f"{x:.6g}") + 0.0  # + 0.0: -0.0 is 0.0


def plain(value: object, inst: Institute) -> object:
    """A JSON value that reads the same on every run: floats to six significant digits,
    missing values as null, dates and times as normalised ISO text."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating | decimal.Decimal):
        return _round(float(value))
    if isinstance(value, str):
        return normalise(value, inst)
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, dt.date | pd.Timestamp | np.datetime64):
        stamp = pd.Timestamp(value)
        text = stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()
        return normalise(text, inst)
    if isinstance(value, pd.Timedelta | dt.timedelta):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v, inst) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray | pd.Series | pd.Index):
        return [plain(v, inst) for v in value]
    return normalise(str(value), inst)


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False).encode()).hexdigest()


def _long(rows: list) -> dict | list:
    """``rows`` whole when short; else the count, the first rows and a hash of each block of
    ``BLOCK`` rows (a difference is then placed to within a block: "sha256 › [3]" is rows
    150 to 199 counting from 0)."""
    if len(rows) <= FULL_ROWS:
        return rows
    blocks = [_digest(rows[i : i + BLOCK]) for i in range(0, len(rows), BLOCK)]
    return {"n": len(rows), "primeros": rows[:HEAD_ROWS], f"sha256 por {BLOCK}": blocks}


def table(frame: pd.DataFrame, inst: Institute) -> dict:
    frame = (
        frame.reset_index(drop=True)
        if isinstance(frame.index, pd.RangeIndex)
        else (frame.reset_index())
    )
    columns = [str(c) for c in frame.columns]
    records = [
        dict(zip(columns, plain(list(row), inst), strict=True))
        for row in frame.itertuples(index=False, name=None)
    ]
    return {"columnas": columns, "filas": _long(records)}


# ---------------------------------------------------------------- charts and files


def _decoded(value: object) -> object:
    """Plotly's JSON writes numpy arrays as {"dtype", "bdata"(base64), "shape"}."""
    if isinstance(value, dict) and "bdata" in value and "dtype" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        if shape:
            dims = [int(s) for s in str(shape).split(",")] if isinstance(shape, str) else shape
            array = array.reshape(dims)
        return array.tolist()
    return value


def chart(spec: str, inst: Institute) -> dict:
    figure = json.loads(spec)
    layout = figure.get("layout", {})
    title = layout.get("title")
    title = title.get("text") if isinstance(title, dict) else title
    traces = []
    for trace in figure.get("data", []):
        entry: dict[str, object] = {"tipo": trace.get("type"), "nombre": trace.get("name")}
        for key in TRACE_KEYS:
            if key in trace:
                entry[key] = _long(plain(_decoded(trace[key]), inst))
        for bar in ("error_x", "error_y"):
            if isinstance(trace.get(bar), dict) and "array" in trace[bar]:
                entry[bar] = _long(plain(_decoded(trace[bar]["array"]), inst))
        traces.append(entry)
    notes = [a.get("text") for a in layout.get("annotations", []) if a.get("text")]
    return {
        "titulo": plain(title, inst),
        "anotaciones": plain(notes, inst),
        "trazos": traces,
    }


def _cell(text: str, inst: Institute) -> object:
    """A CSV cell: a number with a fraction rounded like every other float (a CSV writes 17
    digits, the last of which depend on the order a sum was taken in), the rest as text."""
    if re.fullmatch(r"-?\d+\.\d+(e[-+]?\d+)?|-?\d+e[-+]?\d+", text, flags=re.I):
        return _round(float(text))
    return normalise(text, inst)


def download(name: str, data: bytes | str | None, inst: Institute) -> dict:
    name = normalise(name, inst)
    if data is None:
        return {"archivo": name, "contenido": None}
    raw = data.encode() if isinstance(data, str) else data
    if name.endswith(".csv"):
        rows = csv.reader(io.StringIO(raw.decode("utf-8-sig")))
        return {"archivo": name, "csv": _long([[_cell(c, inst) for c in row] for row in rows])}
    if name.endswith(".xlsx"):
        book = load_workbook(io.BytesIO(raw), read_only=True)
        sheets = {
            ws.title: _long([plain(list(row), inst) for row in ws.iter_rows(values_only=True)])
            for ws in book.worksheets
        }
        book.close()
        return {"archivo": name, "hojas": sheets}
    return {"archivo": name, "contenido": "no comparado (docx/png: marcas de tiempo)"}


# ---------------------------------------------------------------- a page's figures


def _text(node: object) -> str:
    return str(getattr(node, "value", "") or getattr(node, "body", ""))


def element(node: object, inst: Institute) -> dict | None:
    """One visible element as a JSON-ready figure, or None for what carries no figure."""
    if isinstance(node, et.Exception):
        return {"tipo": "excepción", "texto": normalise(node.message, inst)}
    if isinstance(node, et.Metric):
        return {
            "tipo": "metric",
            "etiqueta": normalise(node.label, inst),
            "valor": normalise(node.value, inst),
            "delta": normalise(node.delta, inst),
            "descripción del delta": normalise(node.proto.delta_description, inst),
            "ayuda": normalise(node.proto.help, inst),
            "tendencia": plain(list(node.proto.chart_data), inst),  # the card's sparkline
        }
    if isinstance(node, et.Dataframe | et.Table):
        return {"tipo": node.type, **table(node.value, inst)}
    if isinstance(node, et.Divider):
        return None
    if isinstance(node, et.HeadingBase | et.Markdown | et.AlertBase | et.Text | et.Code | et.Json):
        return {"tipo": node.type, "texto": normalise(_text(node), inst)}
    if isinstance(node, et.DownloadButton):
        return {"tipo": "descarga", "etiqueta": normalise(node.label, inst)}
    if isinstance(node, et.Widget):
        return None
    if isinstance(node, et.UnknownElement) and node.type == "plotly_chart":
        return {"tipo": "plotly_chart", **chart(node.proto.spec, inst)}
    if node.type in ("empty", "skeleton", "space", "html", "help_info"):
        return None  # layout, not figures (html: the house style sheet)
    return {"tipo": node.type}  # drawn, but its content is not read (say which kind)


def elements(block: et.Block, inst: Institute) -> list[dict]:
    out: list[dict] = []
    for child in block.children.values():
        if isinstance(child, et.Block):
            out += elements(child, inst)
        else:
            figure = element(child, inst)
            if figure is not None:
                out.append(figure)
    return out


def lazy_tabs_of(page: str) -> list[str]:
    """The tabs a page passes to lazy_tabs(...), read from its source: a dict literal in the
    call, or the name of one assigned at module level."""
    tree = ast.parse((ROOT / page).read_text())
    dicts = {
        node.targets[0].id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Dict)
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "lazy_tabs"
        ):
            arg = node.args[0]
            arg = dicts[arg.id] if isinstance(arg, ast.Name) else arg
            return [ast.literal_eval(k) for k in arg.keys]
    return []


def page_figures(
    page: str, inst: Institute, monkeypatch: pytest.MonkeyPatch, files: dict[str, bytes]
) -> dict:
    views: dict[str, dict] = {}
    plain_tabs = [(tab, tab, {}, None) for tab in lazy_tabs_of(page) or [NO_TABS]]
    for tab, name, extra, click in plain_tabs + MORE_VIEWS.get(page, []):
        _forget_writes(inst)
        files.clear()
        params = {**({} if tab == NO_TABS else {"vista": tab}), **extra}
        at = signed_in(monkeypatch, inst.url, "admin", PASSWORD, page=page, **params)
        if click:
            next(b for b in at.button if b.label == click).click().run()
        assert not at.exception, (page, name, [e.message for e in at.exception])
        views[name] = {
            "principal": elements(at.main, inst),
            "barra lateral": elements(at.sidebar, inst),
            "descargas": [download(n, files[n], inst) for n in sorted(files)],
        }
    return views


# ---------------------------------------------------------------- comparing


def first_difference(expected: object, actual: object, where: str) -> str | None:
    """Where the two first differ, said so a person can find it on the page."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in [*expected, *(k for k in actual if k not in expected)]:
            if key not in actual:
                return f"{where} › {key}: falta (esperado {_short(expected[key])})"
            if key not in expected:
                return f"{where} › {key}: nuevo ({_short(actual[key])})"
            found = first_difference(expected[key], actual[key], f"{where} › {key}")
            if found:
                return found
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        for i, (e, a) in enumerate(zip(expected, actual, strict=False)):
            label = f"[{i}]"
            if isinstance(e, dict) and "tipo" in e:
                name = (
                    e.get("etiqueta")
                    or e.get("titulo")
                    or e.get("nombre")
                    or e.get("texto")
                    or ", ".join(e.get("columnas", [])[:3])
                )
                label += f" {e['tipo']} «{str(name)[:60]}»"
            found = first_difference(e, a, f"{where} › {label}")
            if found:
                return found
        if len(expected) != len(actual):
            extra = expected[len(actual) :] or actual[len(expected) :]
            return (
                f"{where}: {len(expected)} elementos esperados, {len(actual)} obtenidos; "
                f"el primero de más o de menos: {_short(extra[0])}"
            )
        return None
    if expected != actual and not _last_digit_apart(expected, actual):
        return f"{where}: esperado {_short(expected)}, obtenido {_short(actual)}"
    return None


def _last_digit_apart(expected: object, actual: object) -> bool:
    """Two floats one unit apart in their sixth significant digit (the last one kept): a
    model fitted by an optimizer (the programa's ETS forecast) lands a hair either side of a
    rounding boundary on different CPUs (seen: 8315.01 vs 8315.02). Any real change of a
    figure moves it further than that."""
    if not (isinstance(expected, float) and isinstance(actual, float)):
        return False
    scale = max(abs(expected), abs(actual))
    if scale == 0:
        return False
    unit = 10.0 ** (math.floor(math.log10(scale)) - 5)
    return abs(expected - actual) < unit * 1.5  # one unit, with room for binary rounding


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 300 else text[:300] + "…"


def dump(value: object, indent: str = "") -> str:
    """JSON with one line per element, record or array of plain values: short enough to
    read and to diff with git."""
    flat = json.dumps(value, ensure_ascii=False)
    nested = isinstance(value, dict | list) and any(
        isinstance(v, dict | list) for v in (value.values() if isinstance(value, dict) else value)
    )
    if not nested or len(flat) <= 100:
        return flat
    inner = indent + " "
    if isinstance(value, dict):
        items = [
            f"{inner}{json.dumps(k, ensure_ascii=False)}: {dump(v, inner)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    items = [inner + dump(v, inner) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + indent + "]"


@pytest.fixture(scope="module")
def snapshot() -> Iterator[tuple[dict, dict]]:
    """(stored snapshot, this run's pages); with MIRADOR_UPDATE_SNAPSHOT=1 this run's pages
    replace theirs in the file at the end, in menu order."""
    stored = json.loads(SNAPSHOT.read_text()) if SNAPSHOT.exists() else {}
    taken: dict[str, dict] = {}
    yield stored, taken
    if UPDATE and taken:
        merged = {**stored, **taken}
        ordered = {p: merged[p] for p in PAGES if p in merged}
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(dump(ordered) + "\n")


@pytest.mark.parametrize("page", PAGES)
def test_page_figures_match_the_snapshot(page, institute, snapshot, monkeypatch, downloads):
    stored, taken = snapshot
    figures = page_figures(page, institute, monkeypatch, downloads)
    # a round trip through JSON, as the stored side was
    figures = json.loads(json.dumps(figures, ensure_ascii=False))
    if UPDATE:
        taken[page] = figures
        return
    assert page in stored, f"{page} no está en {SNAPSHOT.name}: MIRADOR_UPDATE_SNAPSHOT=1"
    found = first_difference(stored[page], figures, page)
    assert found is None, found


def test_the_snapshot_has_every_page_of_the_menu():
    if UPDATE:
        pytest.skip("the snapshot is being rewritten")
    stored = json.loads(SNAPSHOT.read_text()) if SNAPSHOT.exists() else {}
    assert list(stored) == PAGES
