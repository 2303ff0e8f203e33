"""Checks on an .xlsx before openpyxl parses it: size, compression ratio, cells, formulas.

openpyxl reads a workbook's shared strings whole when it opens it and builds each cell's text
whole before handing it over, so a 310 KB file holding a 300 MB cell costs gigabytes of memory
before any check of ours could run. Here the ZIP's central directory is read first (declared
sizes and compression ratio: Python's zipfile never inflates a member past its declared size,
so those numbers bound what openpyxl can be given); then the sheet and shared-strings XML are
streamed in blocks, looking at bytes only (runs of text between tags, row tags, formula tags),
so memory stays at one block whatever the content. Formula cells are found here because
openpyxl, asked for values, gives ``None`` for a formula with no stored result, which the
validator would report as a missing value.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from xml.parsers import expat

from lib.ingest.limits import RATIO_FLOOR_BYTES, ImportLimits

BLOCK = 1 << 16
MAX_PART_BYTES = 5 << 20  # workbook.xml and relationship parts: a few KB in practice
MAX_UTF8_ENTITY = 10  # the longest way XML can write one character (&#x10FFFF;)
ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")
FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
OVERLAP = 16  # bytes kept from the previous block so a tag cut in two is still seen


class XlsxRefused(Exception):
    """The workbook breaks a limit or cannot be used; ``row``/``column`` say where."""

    def __init__(self, message: str, row: int = 0, column: str = "") -> None:
        super().__init__(message)
        self.row = row
        self.column = column


@dataclass
class SheetScan:
    """What the byte scan of the first sheet found."""

    rows: int = 0
    formulas: int = 0
    formulas_without_value: list[str] = field(default_factory=list)  # cell references
    formulas_without_value_count: int = 0


def _mb(n: int) -> str:
    return f"{n / (1 << 20):,.1f} MB"


def open_checked_zip(fh: BinaryIO, limits: ImportLimits) -> zipfile.ZipFile:
    """The archive, once its declared sizes and ratios are within the limits."""
    try:
        archive = zipfile.ZipFile(fh)
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise XlsxRefused(
            "El archivo parece comprimido (ZIP) pero no es un libro de Excel .xlsx válido."
        ) from exc
    total = sum(m.file_size for m in members)
    if total > limits.max_bytes:
        raise XlsxRefused(
            f"El libro ocupa {_mb(total)} descomprimido; el máximo es {_mb(limits.max_bytes)} "
            "(MIRADOR_IMPORT_MAX_BYTES). Divida el archivo o expórtelo como CSV."
        )
    for m in members:
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size > RATIO_FLOOR_BYTES and ratio > limits.max_ratio:
            raise XlsxRefused(
                f"La parte «{m.filename}» del libro se descomprime {ratio:,.0f} veces su tamaño "
                f"({_mb(m.compress_size)} → {_mb(m.file_size)}); una exportación de Excel no "
                f"pasa de unas {limits.max_ratio} veces. El archivo no se abrió."
            )
    return archive


def _read_part(archive: zipfile.ZipFile, name: str) -> ET.Element | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_PART_BYTES:
        raise XlsxRefused(
            f"La parte «{name}» del libro es demasiado grande ({_mb(info.file_size)})."
        )
    try:
        return ET.fromstring(archive.read(name))
    except (ET.ParseError, zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise XlsxRefused(
            "El archivo parece comprimido (ZIP) pero no es un libro de Excel .xlsx válido."
        ) from exc


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _rels(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id → (type, member name) of ``part``."""
    folder, base = posixpath.split(part)
    root = _read_part(archive, posixpath.join(folder, "_rels", base + ".rels"))
    out: dict[str, tuple[str, str]] = {}
    for el in root if root is not None else []:
        target = el.get("Target", "")
        name = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        out[el.get("Id", "")] = (el.get("Type", ""), posixpath.normpath(name))
    return out


def workbook_parts(archive: zipfile.ZipFile) -> tuple[str | None, str | None]:
    """(first worksheet, shared strings) member names, as openpyxl resolves them."""
    workbook = next(
        (n for t, n in _rels(archive, "").values() if t.endswith("/officeDocument")),
        "xl/workbook.xml",
    )
    rels = _rels(archive, workbook)
    root = _read_part(archive, workbook)
    sheet = None
    for el in root.iter() if root is not None else []:
        if _local(el.tag) != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), "")
        kind, name = rels.get(rid, ("", ""))
        if kind.endswith("/worksheet"):
            sheet = name
            break
    shared = next((n for t, n in rels.values() if t.endswith("/sharedStrings")), None)
    return sheet, shared


def _blocks(archive: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    try:
        with archive.open(name) as part:
            while block := part.read(BLOCK):
                yield block
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise XlsxRefused(
            "El archivo parece comprimido (ZIP) pero no es un libro de Excel .xlsx válido."
        ) from exc


def _long_text_message(limits: ImportLimits, where: str) -> str:
    return (
        f"{where} tiene más de {limits.max_cell_chars:,} caracteres; es el máximo por celda "
        "(MIRADOR_IMPORT_MAX_CELL_CHARS). El archivo no se leyó."
    )


CELL_TAG = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Za-z]{1,3}[0-9]{1,7})"')


class _ByteScan:
    """Finds text runs (bytes between two '<') longer than any cell within the limit could
    be written in, across block boundaries, in linear time; counts tags across boundaries."""

    def __init__(self, limits: ImportLimits) -> None:
        self.limit = limits.max_cell_chars * MAX_UTF8_ENTITY
        self.run = 0  # text bytes since the last '<' of earlier blocks
        self.tail = b""
        self.last_cell = ""  # reference of the last cell tag seen

    def overflows(self, block: bytes) -> bool:
        """Whether a text run longer than the limit ends or continues in this block."""
        first = block.find(b"<")
        if self.run + (len(block) if first < 0 else first) > self.limit:
            return True
        if first >= 0 and self.limit < len(block):  # only a tiny limit fits inside a block
            pieces = block[first + 1 :].split(b"<")[:-1]
            if pieces and max(map(len, pieces)) > self.limit:
                return True
        last = block.rfind(b"<")
        self.run = self.run + len(block) if last < 0 else len(block) - last - 1
        return False

    def count(self, pattern: re.Pattern[bytes], block: bytes) -> int:
        return sum(1 for m in pattern.finditer(self.tail + block) if m.end() > len(self.tail))

    def note_cell(self, block: bytes) -> None:
        i = block.rfind(b"<c ")
        m = CELL_TAG.match(block, i) if i >= 0 else None
        if m:
            self.last_cell = m.group(1).decode("ascii")

    def keep_tail(self, block: bytes) -> None:
        self.tail = (self.tail + block)[-OVERLAP:]


def _shared_strings_ok(archive: zipfile.ZipFile, name: str | None, limits: ImportLimits) -> None:
    if name is None or name not in archive.namelist():
        return
    scan = _ByteScan(limits)
    strings = 0
    si = re.compile(rb"<(?:\w+:)?si[\s>/]")
    for block in _blocks(archive, name):
        if scan.overflows(block):
            raise XlsxRefused(
                _long_text_message(limits, f"El texto compartido número {strings + 1} del libro")
            )
        strings += scan.count(si, block)
        scan.keep_tail(block)


def scan_sheet(
    archive: zipfile.ZipFile, sheet: str | None, shared: str | None, limits: ImportLimits
) -> SheetScan:
    """Refuse over-long text and too many rows while streaming; find formula cells."""
    _shared_strings_ok(archive, shared, limits)
    out = SheetScan()
    if sheet is None or sheet not in archive.namelist():
        return out
    scan = _ByteScan(limits)
    for block in _blocks(archive, sheet):
        if scan.overflows(block):
            ref = scan.last_cell
            where = f"La celda {ref} (fila {cell_row(ref)})" if ref else "Una celda de la hoja"
            raise XlsxRefused(
                _long_text_message(limits, where), row=cell_row(ref), column=cell_column(ref)
            )
        scan.note_cell(block)
        out.rows += scan.count(ROW_TAG, block)
        out.formulas += scan.count(FORMULA_TAG, block)
        scan.keep_tail(block)
        if out.rows > limits.max_rows + 1:
            raise XlsxRefused(
                f"La hoja tiene más de {limits.max_rows:,} filas; es el máximo "
                "(MIRADOR_IMPORT_MAX_ROWS). Divida el archivo."
            )
    if out.formulas:
        _find_formulas_without_value(archive, sheet, out)
    return out


def _column_letters(index: int) -> str:
    letters = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass
class _CellState:
    """Where the sheet parse is: the current row, column and cell reference, and whether that
    cell has a formula (f), a stored value (v), and the parser is inside its value (in_v)."""

    row: int = 0
    col: int = 0
    ref: str = ""
    f: bool = False
    v: bool = False
    in_v: bool = False


def _find_formulas_without_value(archive: zipfile.ZipFile, sheet: str, out: SheetScan) -> None:
    """Cells with a formula and no stored result (a file written by a program that does not
    calculate, or saved without recalculating): their value is unknown. A cell whose formula
    has a stored result is read as that result. Only runs when the byte scan saw a formula."""
    state = _CellState()

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = name.rsplit(":", 1)[-1]
        if tag == "row":
            r = attrs.get("r", "")
            state.row = int(r) if r.isdigit() else state.row + 1
            state.col = 0
        elif tag == "c":
            state.col += 1
            ref = attrs.get("r") or f"{_column_letters(state.col)}{state.row}"
            letters = ref.rstrip("0123456789")
            state.col = column_index(letters) or state.col
            state.ref, state.f, state.v = ref, False, False
        elif tag == "f":
            state.f = True
        elif tag in ("v", "t"):
            state.in_v = True

    def end(name: str) -> None:
        tag = name.rsplit(":", 1)[-1]
        if tag in ("v", "t"):
            state.in_v = False
        elif tag == "c" and state.f and not state.v:
            out.formulas_without_value_count += 1
            if len(out.formulas_without_value) < 20:
                out.formulas_without_value.append(state.ref)

    def text(data: str) -> None:
        if state.in_v and data.strip():
            state.v = True

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        for block in _blocks(archive, sheet):
            parser.Parse(block, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise XlsxRefused(
            "El archivo parece comprimido (ZIP) pero no es un libro de Excel .xlsx válido."
        ) from exc


def column_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        if not "A" <= ch <= "Z":
            return 0
        n = n * 26 + ord(ch) - 64
    return n


def cell_row(ref: str) -> int:
    digits = ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    return int(digits) if digits.isdigit() else 0


def cell_column(ref: str) -> str:
    return ref.rstrip("0123456789")
