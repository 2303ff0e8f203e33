"""Read CSV, Excel (.xlsx) and Parquet files in chunks of text cells, whatever their size.

Every reader yields DataFrames whose cells are ``str`` or ``None`` (empty), indexed by the row
number a person sees in a spreadsheet (the header is row 1, the first data row is row 2), so
parsing and validation are the same for every format (lib/ingest/validate.py).

CSV: the encoding is stated or detected (UTF-8 with or without BOM, UTF-16 with BOM, else
Windows-1252, else Latin-1) and the separator is stated or sniffed from the header line among
``,`` ``;`` ``|`` and tab; a regular UTF-8 file is parsed by pyarrow, anything else (from the
first irregular record on) by the csv module behind the line guard. Excel: the first sheet,
read with openpyxl in read-only mode. Parquet: pyarrow, one record batch at a time.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
import pandas as pd

from lib.ingest.limits import RATIO_FLOOR_BYTES, ImportLimits
from lib.ingest.xlsx_guard import (
    SheetScan,
    XlsxRefused,
    cell_column,
    cell_row,
    column_index,
    open_checked_zip,
    scan_sheet,
    workbook_parts,
)

if TYPE_CHECKING:
    import pyarrow.parquet as pq

CHUNK_ROWS = 50_000
SAMPLE_BYTES = 1 << 20
CSV_FIELD_LIMIT = 131_072  # the csv module's own default, kept for other readers in the process
SEPARATORS = {",": "coma", ";": "punto y coma", "|": "barra vertical", "\t": "tabulador"}
ENCODINGS = {"utf-8": "utf-8-sig", "utf8": "utf-8-sig", "latin-1": "latin-1", "latin1": "latin-1"}


class ReadError(Exception):
    """The file cannot be read as a table; the message (Spanish) says why and what to do, and
    ``row``/``column`` where, when a place in the file is to blame (0/"" otherwise)."""

    def __init__(self, message: str, row: int = 0, column: str = "") -> None:
        super().__init__(message)
        self.row = row
        self.column = column


@dataclass
class TableFile:
    """An opened file: its format, how it was decoded, its header and its chunks."""

    fmt: str  # csv | xlsx | parquet
    headers: list[str]
    encoding: str | None = None
    sep: str | None = None
    _chunks: Iterator[pd.DataFrame] | None = None
    _progress: Callable[[], float] | None = None  # returns the fraction read
    notes: list[str] = field(default_factory=list)  # Spanish remarks for the report
    cells_checked: bool = False  # the reader itself held every cell to the cell limit

    def chunks(self) -> Iterator[pd.DataFrame]:
        assert self._chunks is not None
        return self._chunks

    def fraction_read(self) -> float:
        return float(self._progress()) if self._progress else 0.0

    @property
    def description(self) -> str:
        if self.fmt == "csv":
            return (
                f"CSV, codificación {self.encoding}, separador "
                f"{SEPARATORS.get(self.sep or '', repr(self.sep))}"
            )
        return {"xlsx": "Excel (.xlsx), primera hoja", "parquet": "Parquet"}[self.fmt]


def _as_binary(source: str | Path | bytes | BinaryIO) -> BinaryIO:
    if isinstance(source, (str, Path)):
        return open(source, "rb")
    if isinstance(source, (bytes, bytearray)):
        return io.BytesIO(bytes(source))
    source.seek(0)
    return source


def _size(fh: BinaryIO) -> int:
    pos = fh.tell()
    fh.seek(0, io.SEEK_END)
    size = fh.tell()
    fh.seek(pos)
    return size


def detect_encoding(sample: bytes, complete: bool) -> str:
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    text = sample if complete else sample[:-4]  # a multi-byte character may be cut at the end
    try:
        text.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _looks_binary(sample: bytes) -> bool:
    if b"\x00" in sample[:4096]:
        return True
    head = sample[:4096].decode("latin-1")
    controls = sum(1 for ch in head if ord(ch) < 32 and ch not in "\t\r\n\x0c")
    return controls > max(2, len(head) // 100)


def sniff_separator(header_line: str) -> str:
    counts = {}
    for sep in SEPARATORS:
        try:
            counts[sep] = len(next(csv.reader([header_line], delimiter=sep))) - 1
        except (csv.Error, StopIteration):
            counts[sep] = 0
    best = max(counts, key=lambda s: (counts[s], s == ";"))
    return best if counts[best] > 0 else ","


def _cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    text = str(value)
    return text if text.strip() else None


def _frame(rows: list[list[str | None]], headers: list[str], first_row: int) -> pd.DataFrame:
    width = len(headers)
    rows = [(r + [None] * width)[:width] for r in rows]
    df = pd.DataFrame(rows, columns=headers, dtype=object)
    df.index = pd.RangeIndex(first_row, first_row + len(df))
    return df


def _mb(n: float) -> str:
    return f"{n / (1 << 20):,.1f} MB"


def _too_big(size: int, limits: ImportLimits, what: str = "El archivo ocupa") -> ReadError:
    return ReadError(
        f"{what} {_mb(size)}; el máximo es {_mb(limits.max_bytes)} "
        "(MIRADOR_IMPORT_MAX_BYTES). Divida el archivo en partes."
    )


def _long_cell(limits: ImportLimits, row: int, column: str) -> ReadError:
    return ReadError(
        f"La celda de la fila {row}, columna «{column}», tiene más de "
        f"{limits.max_cell_chars:,} caracteres; es el máximo por celda "
        "(MIRADOR_IMPORT_MAX_CELL_CHARS). Revise las comillas o recorte el texto.",
        row,
        column,
    )


def _overflowing_field(line: str, sep: str, max_chars: int) -> int:
    """Index of the first field of ``line`` longer than ``max_chars`` (quotes respected), or
    of the last field when the line was cut before one ended."""
    index, length, quoted = 0, 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            index, length = index + 1, 0
            continue
        length += 1
        if length > max_chars:
            return index
    return index


def _column_name(headers: list[str], index: int) -> str:
    return headers[index] if index < len(headers) else f"columna_{index + 1}"


class _LineTooLong(Exception):
    def __init__(self, start: bytes) -> None:
        super().__init__("line too long")
        self.start = start  # the line's first bytes, to tell which cell overflows


class _LineGuard(io.RawIOBase):
    """The CSV's bytes on their way to the text decoder, watched for a line longer than any
    record within the limits could be: refused as soon as it is, so neither the decoder nor
    the csv module ever holds a 300 MB line. Costs a few byte searches per 8 KB block."""

    def __init__(self, raw: BinaryIO, limit_bytes: int, cell_chars: int) -> None:
        super().__init__()
        self.raw = raw
        self.limit = limit_bytes
        self.cell_chars = cell_chars
        self.run = 0  # bytes since the last line end
        self.partial: list[bytes] = []  # those bytes
        self.long_line = False  # a line longer than one cell could be was seen

    def readable(self) -> bool:
        return True

    # BufferedReader, the only caller, passes a memoryview; RawIOBase declares any writable
    # buffer, which a slice cannot be assigned to as such.
    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.raw.read(len(buffer))
        self._watch(data)
        buffer[: len(data)] = data
        return len(data)

    def _watch(self, data: bytes) -> None:
        last = max(data.rfind(b"\n"), data.rfind(b"\r"))
        if last < 0:
            self.run += len(data)
            self.partial.append(data)
        else:
            first = min(i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0)
            inner = 0
            if len(data) > self.cell_chars:  # only a tiny cell limit fits inside a block
                inner = max(map(len, data[first + 1 : last].replace(b"\r", b"\n").split(b"\n")))
            self.long_line |= max(self.run + first, inner) > self.cell_chars
            self.run = len(data) - last - 1
            self.partial = [data[last + 1 :]]
        self.long_line |= self.run > self.cell_chars
        if self.run > self.limit:
            raise _LineTooLong(b"".join(self.partial)[: self.limit])


def _csv_records(
    wrapper: io.TextIOWrapper,
    guard: _LineGuard,
    sep: str,
    headers: list[str],
    limits: ImportLimits,
) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row number, cells) of each data record, the header skipped. The guard
    refuses an over-long line; a quoted cell running over many lines meets the csv module's
    field limit; a record spanning lines has its cells measured here."""
    csv.field_size_limit(max(limits.max_cell_chars + 1, CSV_FIELD_LIMIT))
    reader = csv.reader(wrapper, delimiter=sep)
    row, lines = 0, 0  # row of the last record read (header = 1); lines read up to it
    try:
        for cells in reader:
            spanned, lines = reader.line_num - lines, reader.line_num
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue  # blank line: skipped, not counted
            row += 1
            if row == 1:
                continue
            if len(cells) > len(headers):
                raise ReadError(
                    f"El CSV está mal formado: la línea {reader.line_num} tiene {len(cells)} "
                    f"campos y el encabezado {len(headers)}. Revise el separador "
                    f"({SEPARATORS.get(sep, repr(sep))}) y las comillas.",
                    row,
                )
            if spanned > 1:  # quoted line breaks: lines short, a cell maybe long
                for index, cell in enumerate(cells):
                    if len(cell) > limits.max_cell_chars:
                        raise _long_cell(limits, row, _column_name(headers, index))
            yield row, cells
    except _LineTooLong as exc:
        text = exc.start.decode(wrapper.encoding, errors="ignore")
        index = _overflowing_field(text, sep, limits.max_cell_chars)
        raise _long_cell(limits, row + 1, _column_name(headers, index)) from None
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise _long_cell(limits, row + 1, "?") from exc
        raise ReadError(
            f"El CSV está mal formado cerca de la fila {row + 1}: no se pudo separar en "
            f"columnas. Revise el separador ({SEPARATORS.get(sep, repr(sep))}) y las comillas.",
            row + 1,
        ) from exc


def _csv_frame(rows: list[list[str]], numbers: list[int], headers: list[str]) -> pd.DataFrame:
    """Records (never longer than the header: checked) as text cells, empty ones None."""
    width = len(headers)
    if any(len(r) != width for r in rows):  # short records: the missing cells are empty
        rows = [r if len(r) == width else r + [""] * (width - len(r)) for r in rows]
    cells = np.empty((len(rows), width), dtype=object)
    cells[:] = rows
    cells[cells == ""] = None
    return pd.DataFrame(cells, columns=headers, index=pd.Index(numbers), dtype=object)


class _NotRegular(Exception):
    """The fast reader met what it does not read as the csv module would (a record with a
    different number of fields, a line break inside quotes, a blank-looking line, bytes
    that are not UTF-8, a record longer than its block): the guarded reader takes over."""


ARROW_BLOCK_BYTES = 4 << 20


def _arrow_csv_chunks(
    fh: BinaryIO, sep: str, headers: list[str], chunk_rows: int, limits: ImportLimits
) -> Iterator[pd.DataFrame]:
    """A regular UTF-8 CSV (every record one line with the header's number of fields) read
    by pyarrow's C++ parser, as the same chunks of text cells the guarded reader yields
    (numbered rows, empty cells None), about 3× faster (a national month of contacts: 1.8 s
    against 5.6 s a pass). Anything irregular raises _NotRegular, at the record where it
    stands: the chunks before it are the csv module's chunks too. Memory stays within a
    block: a record longer than one is irregular."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(len(headers))]
    fh.seek(0)
    try:
        reader = pacsv.open_csv(
            fh,
            read_options=pacsv.ReadOptions(
                column_names=names, block_size=ARROW_BLOCK_BYTES, use_threads=False
            ),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        batches = iter(reader)
        header_seen = False
        row = 1  # spreadsheet row of the last record taken (the header is row 1)
        pending: list[pa.RecordBatch] = []
        held = 0
        while True:
            batch = next(batches, None)
            if batch is not None and not header_seen:
                first = [
                    str(batch.column(i)[0]).lstrip("\ufeff").strip() for i in range(len(names))
                ]
                if first != headers:
                    raise _NotRegular
                header_seen, batch = True, batch.slice(1)
            if batch is not None:
                pending.append(batch)
                held += batch.num_rows
            while held >= chunk_rows or (batch is None and held):
                table = pa.Table.from_batches(pending).combine_chunks()
                take = min(chunk_rows, held)
                yield _arrow_frame(table.slice(0, take), headers, row + 1, limits)
                row += take
                rest = table.slice(take)
                pending, held = rest.to_batches(), rest.num_rows
            if batch is None:
                return
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise _NotRegular from exc


def _arrow_frame(table, headers: list[str], first_row: int, limits: ImportLimits) -> pd.DataFrame:
    """One chunk as the guarded reader's frame: object cells, empty ones None, over-long
    cells refused with their row and column."""
    import pyarrow.compute as pc

    cells = np.empty((table.num_rows, len(headers)), dtype=object)
    for i, column in enumerate(table.columns):
        lengths = pc.utf8_length(column)
        if (pc.max(lengths).as_py() or 0) > limits.max_cell_chars:
            over = int(np.flatnonzero(lengths.to_numpy() > limits.max_cell_chars)[0])
            raise _long_cell(limits, first_row + over, headers[i])
        cells[:, i] = column.to_numpy(zero_copy_only=False)
    cells[cells == ""] = None
    index = pd.RangeIndex(first_row, first_row + table.num_rows)
    return pd.DataFrame(cells, columns=headers, index=index, dtype=object)


def _open_csv(
    fh: BinaryIO,
    size: int,
    encoding: str | None,
    sep: str | None,
    chunk_rows: int,
    limits: ImportLimits,
) -> TableFile:
    if size > limits.max_bytes:
        raise _too_big(size, limits)
    sample = fh.read(SAMPLE_BYTES)
    fh.seek(0)
    if _looks_binary(sample) and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReadError(
            "El archivo no es un CSV, un libro de Excel (.xlsx) ni un Parquet: su contenido es "
            "binario. Exporte la tabla como CSV (delimitado por comas o punto y coma) o .xlsx."
        )
    enc = ENCODINGS.get((encoding or "").lower(), encoding) or detect_encoding(
        sample, len(sample) < SAMPLE_BYTES
    )
    try:
        text = sample.decode(enc, errors="strict" if len(sample) < SAMPLE_BYTES else "ignore")
    except UnicodeDecodeError as exc:
        raise ReadError(
            f"El archivo no está en la codificación {encoding}: el byte 0x{sample[exc.start]:02X} "
            f"(posición {exc.start + 1}) no es válido en ella. Indique otra codificación "
            "(por ejemplo latin-1 o cp1252, habituales en exportaciones de Excel en Windows) o "
            "deje que Mirador la detecte."
        ) from exc
    except LookupError as exc:
        raise ReadError(f"Codificación desconocida: «{encoding}».") from exc
    text = text.lstrip("\ufeff")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise ReadError("El archivo no tiene contenido: ni encabezado ni filas.")
    if len(lines) == 1 and len(sample) == SAMPLE_BYTES:
        raise ReadError(
            "La primera línea pasa de 1 MB sin un salto de línea: no es el encabezado de una "
            "tabla. Exporte la tabla como CSV con una fila por línea."
        )
    header_line = lines[0]
    found = sniff_separator(header_line)
    use = sep or found
    if sep and sep != found and header_line.count(sep) == 0:
        raise ReadError(
            f"El separador indicado ({SEPARATORS.get(sep, repr(sep))}) no aparece en el "
            f"encabezado; el archivo parece usar {SEPARATORS.get(found, repr(found))}. "
            "Indique ese separador o deje que Mirador lo detecte."
        )
    try:
        headers = next(csv.reader([header_line], delimiter=use))
    except csv.Error as exc:
        raise ReadError(
            "El encabezado no se pudo separar en columnas; revise las comillas."
        ) from exc
    headers = [h.strip() for h in headers]
    # bytes: up to 4 per character; at least 64 KB, well above what the decoder reads ahead
    # (8 KB), so the line refused is the one being parsed and its row number is right
    line_bytes = max(4 * limits.line_chars(len(headers)), 1 << 16)

    def guarded_chunks(skip: int) -> Iterator[pd.DataFrame]:
        """The csv module's reading, from the file's start, of the records after ``skip``."""
        fh.seek(0)
        guard = _LineGuard(fh, line_bytes, limits.max_cell_chars)
        wrapper = io.TextIOWrapper(io.BufferedReader(guard), encoding=enc, newline="")

        def frame(buf: list[list[str]], numbers: list[int]) -> pd.DataFrame:
            df = _csv_frame(buf, numbers, headers)
            if guard.long_line and (error := _long_cells(df, limits)) is not None:
                raise error  # a line longer than a cell may be: measure this chunk's cells
            return df

        buf: list[list[str]] = []
        numbers: list[int] = []
        try:
            for row, cells in _csv_records(wrapper, guard, use, headers, limits):
                if row - 1 <= skip:
                    continue  # already read by the fast path
                buf.append(cells)
                numbers.append(row)
                if len(buf) >= chunk_rows:
                    yield frame(buf, numbers)
                    buf, numbers = [], []
            if buf:
                yield frame(buf, numbers)
        except UnicodeDecodeError as exc:
            near = numbers[-1] + 1 if numbers else 2
            raise ReadError(
                f"El archivo no se puede leer como {enc}: contiene bytes que no son de esa "
                f"codificación (cerca de la fila {near}). Guarde el archivo como "
                "CSV UTF-8 o indique la codificación (latin-1, cp1252)."
            ) from exc

    def chunks() -> Iterator[pd.DataFrame]:
        read = 0  # data records the fast path yielded
        if enc.replace("-sig", "") == "utf-8" and len(headers) > 1:
            try:
                for df in _arrow_csv_chunks(fh, use, headers, chunk_rows, limits):
                    read += len(df)
                    yield df
                return
            except _NotRegular:
                pass  # the guarded reader reads on, and says in Spanish what is wrong
        yield from guarded_chunks(read)

    def fraction() -> float:
        try:
            return min(fh.tell() / size, 1.0) if size else 1.0
        except (OSError, ValueError):
            return 0.0

    return TableFile("csv", headers, enc, use, chunks(), fraction, cells_checked=True)


def _xlsx_checked(fh: BinaryIO, limits: ImportLimits) -> SheetScan:
    """The byte scan of the workbook (lib/ingest/xlsx_guard.py), before openpyxl sees it."""
    try:
        archive = open_checked_zip(fh, limits)
        with archive:
            sheet, shared = workbook_parts(archive)
            return scan_sheet(archive, sheet, shared, limits)
    except XlsxRefused as exc:
        raise ReadError(str(exc), exc.row, exc.column) from exc
    finally:
        fh.seek(0)


def _formula_error(scan: SheetScan, headers: list[str]) -> ReadError:
    first = scan.formulas_without_value[0]
    index = column_index(cell_column(first))
    column = headers[index - 1] if 0 < index <= len(headers) else cell_column(first)
    more = scan.formulas_without_value_count - 1
    others = f" Hay {more:,} celda(s) más así ({', '.join(scan.formulas_without_value[1:6])}…)."
    return ReadError(
        f"La celda {first} contiene una fórmula sin resultado guardado; guarde el archivo con "
        "valores (en Excel: Copiar y «Pegado especial → Valores», o ábralo en Excel y guárdelo "
        f"para que calcule).{others if more else ''}",
        cell_row(first),
        column,
    )


def _open_xlsx(fh: BinaryIO, chunk_rows: int, limits: ImportLimits) -> TableFile:
    from openpyxl import load_workbook

    scan = _xlsx_checked(fh, limits)
    try:
        wb = load_workbook(fh, read_only=True, data_only=True)
        ws = wb.worksheets[0]
    except Exception as exc:
        raise ReadError(
            "El archivo parece comprimido (ZIP) pero no es un libro de Excel .xlsx válido."
        ) from exc
    rows = ws.iter_rows(values_only=True)
    headers: list[str] = []
    header_row = 0
    try:
        for header_row, values in enumerate(rows, start=1):  # noqa: B007
            cells = [_cell(v) for v in values]
            if any(cells):
                while cells and cells[-1] is None:
                    cells.pop()
                headers = [c.strip() if c else f"columna_{i + 1}" for i, c in enumerate(cells)]
                break
    except Exception as exc:
        wb.close()
        raise ReadError("El libro de Excel está dañado: su primera hoja no se puede leer.") from exc
    if not headers:
        wb.close()
        raise ReadError("La primera hoja del libro está vacía: no hay encabezado ni filas.")
    if scan.formulas_without_value:
        wb.close()
        raise _formula_error(scan, headers)
    notes = []
    if scan.formulas:
        notes.append(
            f"El libro tiene {scan.formulas:,} celda(s) con fórmula: se leyó el resultado que "
            "Excel guardó en el archivo."
        )
    total = max((ws.max_row or 0) - header_row, 1)
    done = [0]

    def chunks() -> Iterator[pd.DataFrame]:
        buf: list[list[str | None]] = []
        numbers: list[int] = []  # spreadsheet row numbers, blank rows skipped
        row_no = header_row
        try:
            for values in rows:
                row_no += 1
                cells = [_cell(v) for v in values]
                if not any(cells):
                    continue
                buf.append(cells)
                numbers.append(row_no)
                if len(buf) >= chunk_rows:
                    df = _frame(buf, headers, 0)
                    df.index = pd.Index(numbers)
                    done[0] += len(buf)
                    buf, numbers = [], []
                    yield df
            if buf:
                df = _frame(buf, headers, 0)
                df.index = pd.Index(numbers)
                done[0] += len(buf)
                yield df
        except ReadError:
            raise
        except Exception as exc:
            raise ReadError(
                f"El libro de Excel está dañado cerca de la fila {row_no}: no se puede leer.",
                row_no,
            ) from exc
        finally:
            wb.close()

    table = TableFile("xlsx", headers, _chunks=chunks(), _progress=lambda: done[0] / total)
    table.notes = notes
    return table


def _text_column(col: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(col):
        out = col.map({True: "true", False: "false"})
    elif pd.api.types.is_datetime64_any_dtype(col):
        times = col.dt.strftime("%Y-%m-%d %H:%M:%S")
        out = times.where(col.dt.normalize() != col, col.dt.strftime("%Y-%m-%d"))
    elif pd.api.types.is_integer_dtype(col):
        out = col.astype("Int64").astype(str)
    elif pd.api.types.is_float_dtype(col):
        out = col.map(lambda v: None if pd.isna(v) else _cell(float(v)))
    else:
        out = col.map(_cell)
    return out.astype(object).where(col.notna(), None)


def _parquet_checked(pf: pq.ParquetFile, size: int, limits: ImportLimits) -> None:
    """Refuse by the footer's figures (rows, uncompressed bytes) before a page is inflated."""
    meta = pf.metadata
    inflated = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if inflated > limits.max_bytes:
        raise _too_big(inflated, limits, "El Parquet ocupa descomprimido")
    if inflated > RATIO_FLOOR_BYTES and inflated / max(size, 1) > limits.max_ratio:
        raise ReadError(
            f"El Parquet se descomprime {inflated / max(size, 1):,.0f} veces su tamaño "
            f"({_mb(size)} → {_mb(inflated)}); una exportación no pasa de unas "
            f"{limits.max_ratio} veces. El archivo no se leyó."
        )
    if meta.num_rows > limits.max_rows:
        raise ReadError(
            f"El Parquet tiene {meta.num_rows:,} filas; el máximo es {limits.max_rows:,} "
            "(MIRADOR_IMPORT_MAX_ROWS). Divida el archivo."
        )


def _open_parquet(fh: BinaryIO, size: int, chunk_rows: int, limits: ImportLimits) -> TableFile:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(fh)
        headers = list(pf.schema_arrow.names)
    except Exception as exc:
        raise ReadError("El archivo no es un Parquet válido.") from exc
    _parquet_checked(pf, size, limits)
    total = max(pf.metadata.num_rows, 1)
    done = [0]

    def chunks() -> Iterator[pd.DataFrame]:
        first = 2
        try:
            for batch in pf.iter_batches(batch_size=chunk_rows):
                df = batch.to_pandas()
                out = pd.DataFrame({h: _text_column(df[h]) for h in headers}, dtype=object)
                out.index = pd.RangeIndex(first, first + len(out))
                first += len(out)
                done[0] += len(out)
                yield out
        except ReadError:
            raise
        except Exception as exc:
            raise ReadError(
                f"El Parquet está dañado cerca de la fila {first}: no se puede leer.", first
            ) from exc

    return TableFile("parquet", headers, _chunks=chunks(), _progress=lambda: done[0] / total)


def _long_cells(df: pd.DataFrame, limits: ImportLimits) -> ReadError | None:
    """The first cell of ``df`` over the cell limit, as an error naming row and column."""
    for column in df.columns:
        try:
            lengths = df[column].str.len()
        except AttributeError:  # no text in the column
            continue
        over = lengths > limits.max_cell_chars
        if over.any():
            return _long_cell(limits, int(over.idxmax()), str(column))
    return None


def _guarded(
    chunks: Iterator[pd.DataFrame], limits: ImportLimits, cells_checked: bool
) -> Iterator[pd.DataFrame]:
    """Every format's chunks, held to the cell and row limits as they stream."""
    rows = 0
    for df in chunks:
        if not cells_checked and (error := _long_cells(df, limits)) is not None:
            raise error
        before, rows = rows, rows + len(df)
        if rows > limits.max_rows:
            raise ReadError(
                f"El archivo tiene más de {limits.max_rows:,} filas de datos; es el máximo "
                "(MIRADOR_IMPORT_MAX_ROWS). Divida el archivo.",
                int(df.index[limits.max_rows - before]),
            )
        yield df


def open_table(
    source: str | Path | bytes | BinaryIO,
    file_name: str = "",
    encoding: str | None = None,
    sep: str | None = None,
    chunk_rows: int = CHUNK_ROWS,
    limits: ImportLimits | None = None,
) -> TableFile:
    """Open ``source`` by its content (not its name): xlsx (ZIP), Parquet, else text CSV,
    held to ``limits`` (the defaults when not given) before and while it is read."""
    limits = limits or ImportLimits()
    fh = _as_binary(source)
    size = _size(fh)
    if size == 0:
        raise ReadError("El archivo está vacío (0 bytes).")
    magic = fh.read(8)
    fh.seek(0)
    if magic.startswith(b"PK\x03\x04"):
        table = _open_xlsx(fh, chunk_rows, limits)
    elif magic.startswith(b"PAR1"):
        table = _open_parquet(fh, size, chunk_rows, limits)
    elif file_name.lower().endswith((".xlsx", ".parquet", ".xls")):
        raise ReadError(
            f"«{file_name}» no es un archivo {Path(file_name).suffix} válido (su contenido no "
            "corresponde a la extensión). Los libros .xls antiguos no se aceptan: guárdelo como .xlsx."
        )
    else:
        table = _open_csv(fh, size, encoding, sep, chunk_rows, limits)
    table._chunks = _guarded(table.chunks(), limits, table.cells_checked)
    return table
