"""Day/month order of a file's date columns, decided from all their values (issue 18).

A date written ``9/10/2013`` is 9 October in Mexico and 10 September in a US export; nothing in
the cell says which. The order is decided per column from every value of the file (the loader
reads the date columns once before validating, lib/ingest/load.py), never from a sample:

- ISO dates (``aaaa-mm-dd``, ``aaaa/mm/dd``, with or without a time) are unambiguous and prove
  nothing about the others;
- a ``d/m/a``-shaped date (separator ``/``, ``-`` or ``.``) whose first part is over 12 proves
  day-month; one whose second part is over 12 proves month-day;
- a column with proofs both ways is refused (two example rows of each); a column with
  ``d/m/a`` dates and no proof either way (every part ≤ 12) is ambiguous and refused unless
  the order was stated (``--orden-fechas dmy|mdy``, the page's «Orden de las fechas»);
- two-digit years (``9/10/13``) are refused unless stated (``--anios-dos-cifras``); then a
  year ``aa`` is the latest of 19aa and 20aa that is not after the data date's year.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

DMY, MDY = "dmy", "mdy"
ORDER_ES = {DMY: "día/mes/año", MDY: "mes/día/año"}
EXAMPLES = 2  # example rows quoted per kind of proof
# d/m/a or m/d/a, any of / - . as separator (the same both times), 2- or 4-digit year,
# optionally followed by a time
_SHAPE = r"^\s*(\d{1,2})([/.\-])(\d{1,2})\2(\d{2}|\d{4})(?:[ T].*)?\s*$"
HOW_TO_STATE = (
    "indique el orden: en la línea de órdenes `--orden-fechas dmy` (día/mes/año) o "
    "`--orden-fechas mdy` (mes/día/año); en la página Importar datos, «Orden de las fechas»"
)


@dataclass
class ColumnScan:
    """What the values of one column prove about their order; example (row, cell) pairs."""

    column: str
    dated: int = 0  # cells of the d/m/a shape
    day_first: list[tuple[int, str]] = field(default_factory=list)
    month_first: list[tuple[int, str]] = field(default_factory=list)
    day_first_count: int = 0
    month_first_count: int = 0
    ambiguous: list[tuple[int, str]] = field(default_factory=list)
    two_digit: list[tuple[int, str]] = field(default_factory=list)
    two_digit_count: int = 0

    def add(self, raw: pd.Series) -> None:
        """Classify one chunk of the column (text cells indexed by file row). The cells are cut
        to their first 11 characters (a d/m/aaaa date is at most 10, and the 11th tells a
        date followed by a time from a longer number) and each distinct cut is classified
        once: a column of date-times over a year has a few hundred, not 50,000."""
        text = raw.dropna().astype(str).str.strip()
        if text.empty:
            return
        cut = text.str.slice(0, 11)
        uniques = pd.Series(pd.unique(cut), dtype=object)
        parts = uniques.str.extract(_SHAPE)
        shaped = parts[0].notna()
        if not shaped.any():
            return
        counts = cut.value_counts().reindex(uniques[shaped]).to_numpy()
        keys = uniques[shaped].to_numpy()
        parts = parts[shaped]
        first = parts[0].astype(int).to_numpy()
        second = parts[2].astype(int).to_numpy()
        short = (parts[3].str.len() == 2).to_numpy()
        day_first = (first > 12) & (second <= 12)
        month_first = (second > 12) & (first <= 12)
        both_small = (first <= 12) & (second <= 12)
        self.dated += int(counts.sum())
        self.day_first_count += int(counts[day_first].sum())
        self.month_first_count += int(counts[month_first].sum())
        self.two_digit_count += int(counts[short].sum())
        for mask, kept in (
            (day_first, self.day_first),
            (month_first, self.month_first),
            (both_small, self.ambiguous),
            (short, self.two_digit),
        ):
            for key in keys[mask][: EXAMPLES - len(kept)]:  # in order of first appearance
                row = (cut == key).idxmax()
                kept.append((int(row), str(raw.at[row])))

    @property
    def proven(self) -> str | None:
        if self.day_first_count and not self.month_first_count:
            return DMY
        if self.month_first_count and not self.day_first_count:
            return MDY
        return None


def _rows(examples: list[tuple[int, str]]) -> str:
    return ", ".join(f"fila {r}: «{v}»" for r, v in examples)


@dataclass
class Decision:
    """The order to read a column with (None: no d/m/a dates, any order reads it), or the
    Spanish reason it cannot be read: (message, first example row)."""

    order: str | None = None
    error: tuple[str, int] | None = None


def decide(scan: ColumnScan, stated: str | None, two_digit_years: bool) -> Decision:
    """The column's order from its scan and what the user stated."""
    name = scan.column
    if scan.two_digit_count and not two_digit_years:
        return Decision(
            error=(
                f"La columna «{name}» tiene {scan.two_digit_count:,} fecha(s) con el año en dos "
                f"cifras ({_rows(scan.two_digit)}): el siglo no se adivina. Escriba el año con "
                "cuatro cifras o indique que los años son de dos cifras (`--anios-dos-cifras`; "
                "en la página, «Años de dos cifras»): se lee el año más reciente, 19aa o 20aa, "
                "que no pase de la fecha de corte.",
                scan.two_digit[0][0],
            )
        )
    if scan.day_first_count and scan.month_first_count:
        return Decision(
            error=(
                f"La columna «{name}» mezcla dos órdenes de fecha: {scan.day_first_count:,} "
                f"fecha(s) sólo pueden ser día/mes ({_rows(scan.day_first)}) y "
                f"{scan.month_first_count:,} sólo mes/día ({_rows(scan.month_first)}). "
                "Corrija el archivo para que use un solo orden.",
                min(scan.day_first[0][0], scan.month_first[0][0]),
            )
        )
    against = scan.day_first if stated == MDY else scan.month_first if stated == DMY else []
    if against and stated is not None:  # only a stated order has dates against it
        count = scan.day_first_count if stated == MDY else scan.month_first_count
        return Decision(
            error=(
                f"Se indicó el orden {ORDER_ES[stated]}, pero {count:,} fecha(s) de la columna "
                f"«{name}» sólo pueden leerse en el otro orden ({_rows(against)}). Revise el "
                "orden indicado o deje que Mirador lo detecte.",
                against[0][0],
            )
        )
    if stated is not None:
        return Decision(order=stated)
    if scan.proven is not None:
        return Decision(order=scan.proven)
    if scan.dated:
        return Decision(
            error=(
                f"No se puede saber el orden de las fechas de la columna «{name}»: en sus "
                f"{scan.dated:,} fecha(s) del tipo 9/10/2013 el día y el mes son ambos 12 o "
                f"menos ({_rows(scan.ambiguous)}), así que pueden ser día/mes o mes/día. "
                f"{HOW_TO_STATE[0].upper()}{HOW_TO_STATE[1:]}.",
                scan.ambiguous[0][0] if scan.ambiguous else 0,
            )
        )
    return Decision()


def detect_order(values: list[str | None], column: str = "") -> Decision:
    """The decision for one column's values (all of them), nothing stated: for tests and for
    reading a column outside an import."""
    scan = ColumnScan(column)
    s = pd.Series(values, dtype=object)
    s.index = pd.RangeIndex(2, 2 + len(s))
    scan.add(s)
    return decide(scan, None, two_digit_years=False)


def expand_two_digit_years(text: pd.Series, cutoff_year: int) -> pd.Series:
    """``9/10/13`` → ``9/10/2013``: the latest of 19aa and 20aa not after ``cutoff_year``."""
    pattern = r"^(\s*\d{1,2}([/.\-])\d{1,2}\2)(\d{2})(?=$|[ T])"
    short = text.str.match(pattern, na=False)
    if not short.any():
        return text

    def century(m: object) -> str:
        yy = int(m.group(3))  # type: ignore[attr-defined]
        year = 2000 + yy if 2000 + yy <= cutoff_year else 1900 + yy
        return f"{m.group(1)}{year}"  # type: ignore[attr-defined]

    out = text.copy()
    out[short] = text[short].str.replace(pattern, century, regex=True)
    return out
