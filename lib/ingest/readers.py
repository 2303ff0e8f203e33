"""Read CSV, Excel (.xlsx) and Parquet files in chunks of text cells, whatever their size.

Every reader yields DataFrames whose cells are ``str`` or ``None`` (empty), indexed by the row
number a person sees in a spreadsheet (the header is row 1, the first data row is row 2), so
parsing and validation are the same for every format (lib/ingest/validate.py).

CSV: the encoding is stated or detected (UTF-8 with or without BOM, UTF-16 with BOM, else
Windows-1252, else Latin-1) and the separator is stated or sniffed from the header line among
``,`` ``;`` ``|`` and tab. Excel: the first sheet, read with openpyxl in read-only mode.
Parquet: pyarrow, one record batch at a time.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pandas as pd

CHUNK_ROWS = 50_000
SAMPLE_BYTES = 1 << 20
SEPARATORS = {",": "coma", ";": "punto y coma", "|": "barra vertical", "\t": "tabulador"}
ENCODINGS = {"utf-8": "utf-8-sig", "utf8": "utf-8-sig", "latin-1": "latin-1", "latin1": "latin-1"}


class ReadError(Exception):
    """The file cannot be read as a table; the message (Spanish) says why and what to do."""


@dataclass
class TableFile:
    """An opened file: its format, how it was decoded, its header and its chunks."""

    fmt: str  # csv | xlsx | parquet
    headers: list[str]
    encoding: str | None = None
    sep: str | None = None
    _chunks: Iterator[pd.DataFrame] | None = None
    _progress: object = None  # callable returning the fraction read

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
        return open(source, "rb")  # noqa: SIM115 (closed by the caller through the reader)
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


def _open_csv(
    fh: BinaryIO, size: int, encoding: str | None, sep: str | None, chunk_rows: int
) -> TableFile:
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
    header_line = lines[0]
    found = sniff_separator(header_line)
    use = sep or found
    if sep and sep != found and header_line.count(sep) == 0:
        raise ReadError(
            f"El separador indicado ({SEPARATORS.get(sep, repr(sep))}) no aparece en el "
            f"encabezado; el archivo parece usar {SEPARATORS.get(found, repr(found))}. "
            "Indique ese separador o deje que Mirador lo detecte."
        )
    headers = next(csv.reader([header_line], delimiter=use))
    headers = [h.strip() for h in headers]
    wrapper = io.TextIOWrapper(fh, encoding=enc, newline="")

    def chunks() -> Iterator[pd.DataFrame]:
        reader = pd.read_csv(
            wrapper,
            sep=use,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            chunksize=chunk_rows,
            skip_blank_lines=True,
            engine="c",
        )
        first = 2
        try:
            for chunk in reader:
                chunk.columns = headers[: len(chunk.columns)] + [
                    f"columna_{i + 1}" for i in range(len(headers), len(chunk.columns))
                ]
                chunk = chunk.astype(object).where(chunk.notna(), None)
                chunk.index = pd.RangeIndex(first, first + len(chunk))
                first += len(chunk)
                yield chunk
        except UnicodeDecodeError as exc:
            raise ReadError(
                f"El archivo no se puede leer como {enc}: contiene bytes que no son de esa "
                f"codificación (cerca de la fila {first + chunk_rows}). Guarde el archivo como "
                "CSV UTF-8 o indique la codificación (latin-1, cp1252)."
            ) from exc
        except pd.errors.ParserError as exc:
            raise ReadError(
                f"El CSV está mal formado: {_parser_message(str(exc))} Revise el separador "
                f"({SEPARATORS.get(use, repr(use))}) y las comillas."
            ) from exc

    def fraction() -> float:
        try:
            return min(fh.tell() / size, 1.0) if size else 1.0
        except (OSError, ValueError):
            return 0.0

    return TableFile("csv", headers, enc, use, chunks(), fraction)


def _parser_message(text: str) -> str:
    import re

    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if m:
        return f"la línea {m.group(2)} tiene {m.group(3)} campos y el encabezado {m.group(1)}."
    return "no se pudo separar en columnas."


def _open_xlsx(fh: BinaryIO, chunk_rows: int) -> TableFile:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(fh, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 (any parsing failure means "not a workbook")
        raise ReadError(
            "El archivo parece comprimido (ZIP) pero no es un libro de Excel .xlsx válido."
        ) from exc
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    headers: list[str] = []
    header_row = 0
    for header_row, values in enumerate(rows, start=1):  # noqa: B007
        cells = [_cell(v) for v in values]
        if any(cells):
            while cells and cells[-1] is None:
                cells.pop()
            headers = [c.strip() if c else f"columna_{i + 1}" for i, c in enumerate(cells)]
            break
    if not headers:
        wb.close()
        raise ReadError("La primera hoja del libro está vacía: no hay encabezado ni filas.")
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
        finally:
            wb.close()

    return TableFile("xlsx", headers, _chunks=chunks(), _progress=lambda: done[0] / total)


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


def _open_parquet(fh: BinaryIO, chunk_rows: int) -> TableFile:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(fh)
    except Exception as exc:  # noqa: BLE001
        raise ReadError("El archivo no es un Parquet válido.") from exc
    headers = list(pf.schema_arrow.names)
    total = max(pf.metadata.num_rows, 1)
    done = [0]

    def chunks() -> Iterator[pd.DataFrame]:
        first = 2
        for batch in pf.iter_batches(batch_size=chunk_rows):
            df = batch.to_pandas()
            out = pd.DataFrame({h: _text_column(df[h]) for h in headers}, dtype=object)
            out.index = pd.RangeIndex(first, first + len(out))
            first += len(out)
            done[0] += len(out)
            yield out

    return TableFile("parquet", headers, _chunks=chunks(), _progress=lambda: done[0] / total)


def open_table(
    source: str | Path | bytes | BinaryIO,
    file_name: str = "",
    encoding: str | None = None,
    sep: str | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> TableFile:
    """Open ``source`` by its content (not its name): xlsx (ZIP), Parquet, else text CSV."""
    fh = _as_binary(source)
    size = _size(fh)
    if size == 0:
        raise ReadError("El archivo está vacío (0 bytes).")
    magic = fh.read(8)
    fh.seek(0)
    if magic.startswith(b"PK\x03\x04"):
        return _open_xlsx(fh, chunk_rows)
    if magic.startswith(b"PAR1"):
        return _open_parquet(fh, chunk_rows)
    if file_name.lower().endswith((".xlsx", ".parquet", ".xls")):
        raise ReadError(
            f"«{file_name}» no es un archivo {Path(file_name).suffix} válido (su contenido no "
            "corresponde a la extensión). Los libros .xls antiguos no se aceptan: guárdelo como .xlsx."
        )
    return _open_csv(fh, size, encoding, sep, chunk_rows)
