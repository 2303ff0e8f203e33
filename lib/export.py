"""Excel workbooks for download: a cover sheet that says what the numbers are, then one sheet
per table. Pure (no Streamlit), so the test opens exactly what the user downloads."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence

import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter


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
        xw.sheets["Portada"].column_dimensions["A"].width = 28
        xw.sheets["Portada"].column_dimensions["B"].width = 70
    return buf.getvalue()
