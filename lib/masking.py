"""Masking identifiers, by column and by content. Pure (no Streamlit, no database).

A role without the identifiers grant (:func:`lib.access.sees_identifiers`) sees an identifier
column through :func:`mask_identifier`, and every free text (complaint descriptions, survey
comments, draft notes, export cells) through :func:`mask_text`, which finds identifiers
*inside* the text and masks each the same way: first and last three characters kept.

Recognised (case-insensitive, each only as a whole token: not preceded or followed by a letter
or digit):

- registro patronal: a letter and 10 digits (``Z1400000123``), also with hyphens or spaces
  between its parts (``Z14-00000-12-3``, ``Z14 00000 12 3``);
- CURP: 4 letters, 6 digits, H/M/X, 5 letters, a letter or digit, a digit (18 characters);
- RFC: 3 letters (persona moral) or 4 (física), 6 digits, 3 letters or digits; ``Ñ`` and
  ``&`` count as letters; hyphens or spaces between the parts are allowed;
- NSS: 11 digits, together or as ``12-34-56-7890-1`` (every separator present);
- e-mail addresses;
- telephone numbers: 10 digits, optionally after ``+52``, grouped 2-4-4 or 3-3-4 with spaces,
  hyphens, dots or a parenthesised area code (``(33) 1234-5678``, ``+52 55 1234 5678``);
- anything else that looks like an account or identifier number: a run of 10 or more letters
  and digits holding at least 8 digits (two identifiers written together, a CLABE).

Not masked (tested): amounts (``1,234,567.89``, ``$ 45 000``), dates (``2026-01-15``,
``15/01/2026``), the complaint folio (``Q-2026-0001234``), years, percentages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

MASK = "•"

_B0 = r"(?<![^\W_])"  # not preceded by a letter or digit
_B1 = r"(?![^\W_])"  # not followed by one
_L = r"[A-ZÑ&]"
_SEP = r"[- ]?"

_PATTERNS = {
    "email": r"[A-Z0-9._%+\-]+@[A-Z0-9\-]+(?:\.[A-Z0-9\-]+)*\.[A-Z]{2,}",
    "curp": r"[A-Z]{4}\d{6}[HMX][A-Z]{5}[A-Z0-9]\d",
    "rfc": rf"{_L}{{3,4}}{_SEP}\d{{6}}{_SEP}[A-Z0-9]{{3}}",
    "registro": rf"[A-Z]\d{{2}}{_SEP}\d{{5}}{_SEP}\d{{2}}{_SEP}\d",
    "nss": r"\d{11}|\d{2}(?P<s1>[- ])\d{2}(?P=s1)\d{2}(?P=s1)\d{4}(?P=s1)\d",
    "phone": r"(?:\+\s?52[\s.\-]?)?(?:\(\d{2,3}\)|\d{2,3})[\s.\-]?\d{3,4}[\s.\-]?\d{4}",
}

_IDENTIFIER = re.compile(
    _B0 + "(?:" + "|".join(f"(?P<{k}>{v})" for k, v in _PATTERNS.items()) + ")" + _B1,
    re.IGNORECASE,
)
_LONG_TOKEN = re.compile(_B0 + r"[^\W_]{10,}" + _B1)


def mask_identifier(value: str | None) -> str | None:
    """Keep the first and last three characters, enough to tell two patrons apart on a call
    with the office, not enough to look one up."""
    if value is None:
        return None
    text = str(value)
    if len(text) <= 6:
        return MASK * len(text)
    return text[:3] + MASK * (len(text) - 6) + text[-3:]


def _phone_digits_ok(match: str) -> bool:
    digits = re.sub(r"\D", "", match)
    if match.lstrip().startswith("+"):
        digits = digits[2:]
    return len(digits) == 10


def _replace(m: re.Match) -> str:
    text = m.group(0)
    if m.group("phone") is not None and not _phone_digits_ok(text):
        return text
    return mask_identifier(text) or ""


def _long(m: re.Match) -> str:
    text = m.group(0)
    return mask_identifier(text) if sum(c.isdigit() for c in text) >= 8 else text  # type: ignore[return-value]


def mask_text(value: object) -> object:
    """``value`` with every identifier inside it masked; not text (numbers, dates, None, NaN)
    passes unchanged. Idempotent: masked text holds no identifier any more."""
    if not isinstance(value, str) or not value:
        return value
    return _LONG_TOKEN.sub(_long, _IDENTIFIER.sub(_replace, value))


def mask_frame(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with :func:`mask_text` applied to its text cells (``columns``, or
    every object/string column) and to its column labels."""
    out = frame.rename(columns=lambda c: mask_text(c) if isinstance(c, str) else c)
    names = (
        [mask_text(c) if isinstance(c, str) else c for c in columns]
        if columns is not None
        else [
            c for c in out.columns if out[c].dtype == object or pd.api.types.is_string_dtype(out[c])
        ]
    )
    for col in names:
        out[col] = out[col].map(mask_text)
    return out


def shown_text(value: object, clear: bool) -> object:
    """What a reader sees: the text itself when ``clear`` (the role may see identifiers), else
    :func:`mask_text` of it."""
    return value if clear else mask_text(value)
