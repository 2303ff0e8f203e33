"""Every file a user downloads is written here: CSV and Excel (a cover sheet that says what the
numbers are, then one sheet per table). Pure (no Streamlit), so the test opens exactly what the
user downloads.

Every exported cell is data, never a formula (OWASP, "CSV injection"): a text cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be run by a spreadsheet as a
formula (``=HYPERLINK(...)``, DDE payloads). In Excel files such a cell is stored as a string;
in CSV, where no type can be stored, it is prefixed with an apostrophe, which spreadsheets
read as "this is text" and do not show."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence

import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: object) -> object:
    """A text value that a spreadsheet would run as a formula, made inert for CSV; numbers,
    dates and other text pass unchanged (a negative number is a number, not a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as UTF-8 CSV with a BOM (Excel opens it with accents intact), text cells
    neutralised, headers included."""
    safe = frame.rename(columns=lambda c: neutralised(str(c)))
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(neutralised)
    return safe.to_csv(index=False).encode("utf-8-sig")


def _as_data(ws) -> None:  # noqa: ANN001
    """Store every cell openpyxl took for a formula (text starting with ``=``) as a string."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]\*\?/\\:]", " ", name)[:31] or "Hoja"
    candidate, i = base, 2
    while candidate in used:
        suffix = f" ({i})"
        candidate, i = base[: 31 - len(suffix)] + suffix, i + 1
    used.add(candidate)
    return candidate


def excel_workbook(
    title: str, cover: Sequence[tuple[str, str]], sheets: Mapping[str, pd.DataFrame]
) -> bytes:
    """``cover``: (label, value) rows such as filters and data date; ``sheets``: name -> table."""
    buf = io.BytesIO()
    used: set[str] = set()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        pd.DataFrame(cover, columns=["Concepto", "Valor"]).to_excel(
            xw, sheet_name=_sheet_name("Portada", used), index=False, startrow=2
        )
        ws = xw.sheets["Portada"]
        ws["A1"] = title
        ws["A1"].font = Font(bold=True, size=14)
        for name, frame in sheets.items():
            sheet = _sheet_name(name, used)
            frame.to_excel(xw, sheet_name=sheet, index=False)
            ws = xw.sheets[sheet]
            for i, col in enumerate(frame.columns, start=1):
                width = max(len(str(col)), *(len(str(v)) for v in frame[col].head(200)), 8)
                ws.column_dimensions[get_column_letter(i)].width = min(width + 2, 60)
                ws.cell(row=1, column=i).font = Font(bold=True)
        for ws in xw.sheets.values():
            _as_data(ws)
        xw.sheets["Portada"].column_dimensions["A"].width = 28
        xw.sheets["Portada"].column_dimensions["B"].width = 70
    return buf.getvalue()
