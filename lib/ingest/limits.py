"""How big a file the importer accepts: decompressed bytes, rows, characters per cell.

A small upload can hide a huge content (a 310 KB .xlsx holding one 300 MB cell): the readers
check these limits before parsing (the ZIP members' declared sizes and compression ratio,
Parquet's metadata, a CSV's size) and again while streaming (bytes, rows, each cell), so a
refusal costs milliseconds and a few MB, never the whole file in memory.

Each limit can be changed with an environment variable (docs/configuration.md); a value that is
not a positive whole number stops the import with a Spanish message naming the variable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from lib.sessions import SettingError

# Excel itself cannot hold more than 32,767 characters in a cell: a longer one did not come
# from a spreadsheet export.
DEFAULT_MAX_CELL_CHARS = 32_767
DEFAULT_MAX_ROWS = 10_000_000
DEFAULT_MAX_BYTES = 1 << 30  # 1 GiB of text: the 1-million-row benchmark CSV is 89 MB
# Spreadsheet XML compresses about 13:1 (measured on openpyxl and pandas exports); a ZIP bomb
# of repeated bytes about 1,000:1. Members under 1 MiB are not held to it.
MAX_RATIO = 100
RATIO_FLOOR_BYTES = 1 << 20

ENV = {
    "max_bytes": "MIRADOR_IMPORT_MAX_BYTES",
    "max_rows": "MIRADOR_IMPORT_MAX_ROWS",
    "max_cell_chars": "MIRADOR_IMPORT_MAX_CELL_CHARS",
}


@dataclass(frozen=True)
class ImportLimits:
    """The ceilings one import is held to (defaults above; see :func:`import_limits`)."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_rows: int = DEFAULT_MAX_ROWS
    max_cell_chars: int = DEFAULT_MAX_CELL_CHARS
    max_ratio: int = MAX_RATIO

    def line_chars(self, columns: int) -> int:
        """The longest text line a CSV row of ``columns`` cells can have within the cell
        limit (every cell full, quoted, with doubled quotes counted once): longer is refused
        before it is held in memory."""
        return (self.max_cell_chars + 3) * max(columns, 1) + 2


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip().replace("_", "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(f"{name} debe ser un número entero positivo, no {raw!r}") from None
    if value <= 0:
        raise SettingError(f"{name} debe ser un número entero positivo, no {raw!r}")
    return value


def import_limits() -> ImportLimits:
    """The limits from the environment (MIRADOR_IMPORT_MAX_BYTES, _MAX_ROWS, _MAX_CELL_CHARS),
    read at each import so a changed setting applies without restarting the app."""
    return ImportLimits(
        max_bytes=_positive_int(ENV["max_bytes"], DEFAULT_MAX_BYTES),
        max_rows=_positive_int(ENV["max_rows"], DEFAULT_MAX_ROWS),
        max_cell_chars=_positive_int(ENV["max_cell_chars"], DEFAULT_MAX_CELL_CHARS),
    )


def describe_limits(limits: ImportLimits) -> str:
    """The limits in Spanish, for the page and the docs."""
    return (
        f"hasta {limits.max_bytes / (1 << 20):,.0f} MB de contenido (descomprimido), "
        f"{limits.max_rows:,} filas y {limits.max_cell_chars:,} caracteres por celda"
    )
