"""Every file a user downloads is written here: CSV, Excel (a cover sheet that says what the
numbers are, then one sheet per table) and Word. Pure (no Streamlit), so the test opens exactly
what the user downloads. Pages never call ``to_csv``/``to_excel``/python-docx themselves.

The cell rules, the same for every format (docs/access.md, "Safe exports"):

1. **Masking** (``mask=True``, for a role without the identifiers grant): every text cell,
   header, cover value and title goes through :func:`lib.masking.mask_text`.
2. **Characters a file cannot hold**: control characters other than tab, line feed and carriage
   return (U+0000–U+0008, U+000B, U+000C, U+000E–U+001F) cannot be stored in XML (xlsx, docx)
   and would make openpyxl or python-docx raise; they are replaced by U+FFFD (�) in every
   format, CSV included, so a file never fails and the reader sees that something was there.
   Text longer than Excel's 32,767 characters per cell is cut there (Excel would refuse it).
3. **Data, never a formula** (OWASP, "CSV injection"): a text cell whose first character, or
   first character after leading spaces, is ``=``, ``+``, ``-``, ``@``, a tab, a carriage
   return or a line feed (or the full-width ``＝ ＋ － ＠``) would be run by a spreadsheet as a
   formula (``=HYPERLINK(...)``, DDE payloads such as ``=cmd|' /C calc'!A0``). In Excel files
   every text cell is stored as a string (never openpyxl's ``data_type 'f'``), so it reads back
   exactly as it was; in CSV, where no type can be stored, it is prefixed with an apostrophe,
   which spreadsheets read as "this is text". Numbers (negative ones too) stay numbers and
   dates stay dates in Excel; CSV writes them unchanged.
4. **Word** has no formulas: every value is written as a plain run of text (never a field
   code, so no DDE field can arise), after rules 1 and 2, without the apostrophe.
"""

from __future__ import annotations

import datetime as dt
import io
import numbers
import re
from collections.abc import Mapping, Sequence
from typing import TypeGuard

import numpy as np
import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from lib.masking import mask_text

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
REPLACEMENT = "\ufffd"
EXCEL_CELL_MAX = 32_767


def clean_text(value: object) -> object:
    """Text with the characters XML cannot hold replaced by U+FFFD; other values unchanged."""
    if isinstance(value, str):
        return _ILLEGAL.sub(REPLACEMENT, value)
    return value


def _prepared(value: object, mask: bool) -> object:
    """Rules 1 and 2 for one value."""
    return clean_text(mask_text(value) if mask else value)


def is_formula_like(value: object) -> TypeGuard[str]:
    """Whether a spreadsheet could take this text for a formula (rule 3)."""
    return isinstance(value, str) and value.lstrip(" \u00a0").startswith(FORMULA_PREFIXES)


def neutralised(value: object) -> object:
    """A text value that a spreadsheet would run as a formula, made inert for CSV; numbers,
    dates and other text pass unchanged (a negative number is a number, not a formula)."""
    if is_formula_like(value):
        return "'" + value
    return value


def _safe_frame(frame: pd.DataFrame, mask: bool, csv: bool) -> pd.DataFrame:
    """``frame`` with rules 1-2 (and, for CSV, 3) applied to text cells and headers."""

    def cell(v: object) -> object:
        v = _prepared(v, mask)
        if csv:
            return neutralised(v)
        return v[:EXCEL_CELL_MAX] if isinstance(v, str) else v

    safe = frame.copy()
    safe.columns = [cell(str(c)) for c in frame.columns]
    for i, col in enumerate(frame.columns):
        if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
            safe.isetitem(i, frame[col].map(cell).astype(object))
    return safe


def csv_bytes(frame: pd.DataFrame, *, mask: bool = False) -> bytes:
    """A table as UTF-8 CSV with a BOM (Excel opens it with accents intact), headers included,
    under the cell rules (module docstring). Lines end in CRLF (RFC 4180), so a field holding
    a carriage return or a line feed is quoted and cannot split its row."""
    safe = _safe_frame(frame, mask, csv=True)
    return safe.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def _as_data(ws) -> None:
    """Store every text cell openpyxl took for a formula (text starting with ``=``) or an error
    value (``#N/A``, ``#REF!``…) as a string."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type in ("f", "e") and isinstance(cell.value, str):
                cell.data_type = "s"


# Excel number formats (display only: a cell's value and type never change)
FMT_INT = "#,##0"
FMT_FLOAT = "#,##0.0"
FMT_SMALL = "0.000"  # floats all within [-1, 1] (shares, coefficients): 0.0 would hide them
FMT_PCT = "0.0"  # a column whose header says % already holds percentages (38.7, not 0.387)
FMT_P = '[<0.001]"< 0.001";0.000'  # a p-value never reads 0.000 (lib.format.fmt_p_cell)
FMT_DATE = "dd/mm/yyyy"


def number_format(header: object, column: pd.Series) -> str | None:
    """The Excel number format of one exported column, from its header and its values:
    p-values (lib.format.is_p_column) as 0.000 with "< 0.001" below; a header saying % as
    0.0; integers (and whole floats) #,##0; other floats #,##0.0, or 0.000 when every value
    is within [-1, 1]; dates dd/mm/yyyy; text and booleans none (None)."""
    from lib.format import is_p_column

    if pd.api.types.is_bool_dtype(column):
        return None
    if pd.api.types.is_datetime64_any_dtype(column):
        return FMT_DATE
    values = column.dropna()
    if column.dtype == object:
        if len(values) and all(isinstance(v, dt.date) for v in values):
            return FMT_DATE
        numeric = len(values) and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_) for v in values
        )
        if not numeric:
            return None
    elif not pd.api.types.is_numeric_dtype(column):
        return None
    if is_p_column(header):
        return FMT_P
    if "%" in str(header):
        return FMT_PCT
    if pd.api.types.is_integer_dtype(column) or (
        len(values) and all(float(v).is_integer() for v in values)
    ):
        return FMT_INT  # counts, also as floats when a blank made the column float
    if len(values) and all(-1 <= float(v) <= 1 for v in values):
        return FMT_SMALL
    return FMT_FLOAT


def _number_formats(ws, frame: pd.DataFrame) -> None:
    """Apply :func:`number_format` to every data cell of ``frame``'s sheet (header in row 1)."""
    for i in range(frame.shape[1]):
        fmt = number_format(frame.columns[i], frame.iloc[:, i])
        if fmt is None:
            continue
        for (cell,) in ws.iter_rows(
            min_row=2, max_row=len(frame) + 1, min_col=i + 1, max_col=i + 1
        ):
            if cell.value is not None and cell.data_type != "s":
                cell.number_format = fmt


def _sheet_name(name: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of ``[]*?/\\:``, no control character, not
    starting or ending with an apostrophe, unique (case-insensitive), not blank."""
    base = re.sub(r"[\[\]\*\?/\\:\x00-\x1f]", " ", str(name))[:31].strip("' ") or "Hoja"
    candidate, i = base, 2
    while candidate.lower() in used:
        suffix = f" ({i})"
        candidate, i = base[: 31 - len(suffix)] + suffix, i + 1
    used.add(candidate.lower())
    return candidate


def excel_workbook(
    title: str,
    cover: Sequence[tuple[str, str]],
    sheets: Mapping[str, pd.DataFrame],
    *,
    mask: bool = False,
) -> bytes:
    """``cover``: (label, value) rows such as filters and data date; ``sheets``: name -> table.
    Every text cell is a string cell, numbers numeric and dates dates (module docstring);
    each table column carries an Excel number format (:func:`number_format`), which changes
    how a cell reads, never its value."""
    buf = io.BytesIO()
    used: set[str] = set()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        cover_name = _sheet_name("Portada", used)
        cover_frame = pd.DataFrame(list(cover), columns=["Concepto", "Valor"], dtype=object)
        _safe_frame(cover_frame, mask, csv=False).to_excel(
            xw, sheet_name=cover_name, index=False, startrow=2
        )
        ws = xw.sheets[cover_name]
        ws["A1"] = _prepared(str(title), mask)
        ws["A1"].font = Font(bold=True, size=14)
        for name, frame in sheets.items():
            sheet = _sheet_name(str(_prepared(str(name), mask)), used)
            safe = _safe_frame(frame, mask, csv=False)
            safe.to_excel(xw, sheet_name=sheet, index=False)
            ws = xw.sheets[sheet]
            for i, col in enumerate(safe.columns, start=1):
                width = max(len(str(col)), *(len(str(v)) for v in safe.iloc[:200, i - 1]), 8)
                ws.column_dimensions[get_column_letter(i)].width = min(width + 2, 60)
                ws.cell(row=1, column=i).font = Font(bold=True)
            _number_formats(ws, frame)
        for ws in xw.sheets.values():
            _as_data(ws)
        xw.sheets[cover_name].column_dimensions["A"].width = 28
        xw.sheets[cover_name].column_dimensions["B"].width = 70
    return buf.getvalue()


def word_text(value: object) -> str:
    """How a table value reads in a Word document: — for blank, numbers with thousands
    separators, dates as dd/mm/yyyy, the rest as its text."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) < 1e15 else f"{value:.3g}"
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def word_document(
    title: str,
    cover: Sequence[tuple[str, str]],
    sections: Mapping[str, pd.DataFrame],
    *,
    charts: Mapping[str, bytes | None] | None = None,
    mask: bool = False,
) -> bytes:
    """A Word document: title, a two-column table of cover facts, one heading and table per
    section (or "Sin filas."), then the charts (PNG) or a note that they could not be drawn.
    Every piece of text is a plain run under rules 1, 2 and 4 (module docstring)."""
    from docx import Document
    from docx.shared import Cm, Pt

    def put(cell, value: object) -> None:
        cell.paragraphs[0].add_run(str(_prepared(word_text(value), mask)))

    def text(value: str) -> str:
        return str(_prepared(value, mask))

    doc = Document()
    doc.styles["Normal"].font.name = "Calibri"
    doc.styles["Normal"].font.size = Pt(10)
    doc.add_heading(text(title), level=0)
    facts = doc.add_table(rows=0, cols=2)
    facts.style = "Light List Accent 1"
    for label, value in cover:
        row = facts.add_row().cells
        put(row[0], label)
        put(row[1], value)
    for name, frame in sections.items():
        doc.add_heading(text(str(name)), level=1)
        if frame.empty:
            doc.add_paragraph("Sin filas.")
            continue
        table = doc.add_table(rows=1, cols=len(frame.columns))
        table.style = "Light Grid Accent 1"
        for cell, col in zip(table.rows[0].cells, frame.columns, strict=True):
            put(cell, str(col))
        for rec in frame.itertuples(index=False):
            for cell, v in zip(table.add_row().cells, rec, strict=True):
                put(cell, v)
    if charts:
        doc.add_heading("Gráficas", level=1)
        missing = [t for t, png in charts.items() if png is None]
        for chart_title, png in charts.items():
            if png is not None:
                doc.add_paragraph(text(chart_title))
                doc.add_picture(io.BytesIO(png), width=Cm(16))
        if missing:
            doc.add_paragraph(
                "No se pudieron dibujar las gráficas en este servidor (falta el motor de "
                "imágenes); el documento lleva sólo las tablas: "
                + ", ".join(text(m) for m in missing)
                + "."
            )
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
