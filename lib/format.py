"""es-MX formatting: 1,234.5; $ MXN; dd/mm/aaaa; Spanish month names. Pure: used by pages,
charts and the narrative sentences of lib.analysis alike."""

from __future__ import annotations

import datetime as dt
import math
from typing import TypeGuard

MONTHS = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]
MONTHS_SHORT = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"]
DAYS = ["domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"]
DAYS_SHORT = ["dom", "lun", "mar", "mié", "jue", "vie", "sáb"]


def _present(x: float | None) -> TypeGuard[float]:
    """A number: not None, NaN, pandas' NA or NaT (a table cell can hold any of them)."""
    if x is None or type(x).__name__ in ("NAType", "NaTType"):
        return False
    return not (isinstance(x, float) and math.isnan(x))


def date_label(d: dt.date | None) -> str:
    return "—" if d is None else d.strftime("%d/%m/%Y")


def month_label(d: dt.date, long: bool = False) -> str:
    return f"{(MONTHS if long else MONTHS_SHORT)[d.month - 1]} {d.year}"


def period_label(start: dt.date, end: dt.date) -> str:
    if start == end:
        return month_label(start, long=True)
    return f"{month_label(start)} – {month_label(end)}"


def fmt_int(x: float | None) -> str:
    return "—" if not _present(x) else f"{x:,.0f}"


def fmt_num(x: float | None, decimals: int = 1) -> str:
    return "—" if not _present(x) else f"{x:,.{decimals}f}"


def fmt_pct(share: float | None, decimals: int = 1) -> str:
    """A share in [0, 1] as a percentage."""
    return "—" if not _present(share) else f"{100 * share:,.{decimals}f}%"


def fmt_signed(x: float | None, unit: str, decimals: int = 1) -> str:
    """+2.4 pp, -3.0 pts, +12.5% (no space before %, as in the values). A change too small for
    ``decimals`` gets up to two more (-0.04 pp, not "-0.0 pp", which reads as a sign without a
    size); one smaller still is no change (0.0)."""
    if not _present(x):
        return "—"
    sep = "" if unit == "%" else " "
    shown = decimals
    while x != 0 and round(x, shown) == 0 and shown < decimals + 2:
        shown += 1
    if round(x, shown) == 0:
        return f"{0:+,.{decimals}f}{sep}{unit}"
    return f"{x:+,.{shown}f}{sep}{unit}"


def fmt_mxn(x: float | None, decimals: int = 0) -> str:
    if not _present(x):
        return "—"
    sign = "-" if x < 0 else ""
    return f"{sign}${abs(x):,.{decimals}f}"


def fmt_mxn_compact(x: float | None) -> str:
    """$12.3 mmdp (miles de millones de pesos), $4.5 mdp (millones), $12,345 below a million:
    the abbreviations of Mexican public finance and press."""
    if not _present(x):
        return "—"
    a = abs(x)
    sign = "-" if x < 0 else ""
    if a >= 1e9:
        return f"{sign}${a / 1e9:,.1f} mmdp"
    if a >= 1e6:
        return f"{sign}${a / 1e6:,.1f} mdp"
    return fmt_mxn(x)


def fmt_p(p: float | None, decimals: int = 3) -> str:
    """A p-value as read in a sentence: "p = 0.042", "p < 0.001" (never "p = 0.000"), and
    "p > 0.999" at the top; "p = —" when missing."""
    if not _present(p):
        return "p = —"
    floor = 10.0**-decimals
    if p < floor:
        return f"p < {floor:.{decimals}f}"
    if p > 1 - floor:
        return f"p > {1 - floor:.{decimals}f}"
    return f"p = {p:.{decimals}f}"


def fmt_p_cell(p: float | None, decimals: int = 3) -> str:
    """A p-value as a table cell shows it: "0.042", "< 0.001" (never "0.000"), "> 0.999",
    "—" when missing. The same rule as :func:`fmt_p`, without the "p =" of a sentence."""
    text = fmt_p(p, decimals)[2:]  # "< 0.001", "> 0.999", "= 0.042", "= —"
    return text.removeprefix("= ")


def is_p_column(name: object) -> bool:
    """A table column that holds p-values: headed "p", or "p ajustada (…)", "p (…)"."""
    text = str(name).strip().lower()
    return text == "p" or text.startswith(("p ajustada", "p (", "valor p"))


def with_p_text(frame):
    """``frame`` with its p-value columns (:func:`is_p_column`) as display text
    (:func:`fmt_p_cell`), so a table never shows "0.000"; the other columns unchanged. For
    the screen only: downloads keep the numbers."""
    cols = [c for c in frame.columns if is_p_column(c)]
    if not cols:
        return frame
    return frame.assign(**{str(c): frame[c].map(fmt_p_cell).astype(object) for c in cols})
