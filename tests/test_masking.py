"""Masking identifiers inside free text (lib.masking), against hand-written expected strings."""

from __future__ import annotations

import pandas as pd
import pytest

from lib.masking import mask_frame, mask_identifier, mask_text, shown_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the example
        (
            "Patrón Z1400000123 RFC ABCD800101XX1 llamó",
            "Patrón Z14•••••123 RFC ABC•••••••XX1 llamó",
        ),
        # registro patronal, compact and written in parts
        ("Z1400000123", "Z14•••••123"),
        ("reg. Z14-00000-12-3.", "reg. Z14••••••••2-3."),
        ("reg Z14 00000 12 3", "reg Z14••••••••2 3"),
        ("z1400000123 en minúsculas", "z14•••••123 en minúsculas"),
        # RFC: persona moral (3 letters), física (4), Ñ and &, with hyphens
        ("RFC ABC800101AB1", "RFC ABC••••••AB1"),
        ("ÑAND800101AB1", "ÑAN•••••••AB1"),
        ("de A&B800101AB1.", "de A&B••••••AB1."),
        ("rfc: ABC-800101-AB1", "rfc: ABC••••••••AB1"),
        # CURP (18)
        ("CURP GODE561231HDFRRN09 ok", "CURP GOD••••••••••••N09 ok"),
        # NSS (11 digits), together or in its parts
        ("NSS 12345678901", "NSS 123•••••901"),
        ("NSS 12-34-56-7890-1", "NSS 12-•••••••••0-1"),
        # e-mail
        ("escribir a juan.perez@empresa.com.mx.", "escribir a jua•••••••••••••••••••.mx."),
        # telephones: 10 digits, +52, spaces, dashes, dots, parentheses
        ("tel 3312345678", "tel 331••••678"),
        ("tel (33) 1234-5678", "tel (33••••••••678"),
        ("tel +52 55 1234 5678", "tel +52••••••••••678"),
        ("tel 55.1234.5678", "tel 55.••••••678"),
        ("tel 555-123-4567", "tel 555••••••567"),
        # two identifiers written together (no separator): caught as one long token
        ("Z1400000123Z1400000124", "Z14••••••••••••••••124"),
        # adjacent identifiers, separated by punctuation only
        ("Z1400000123,ABCD800101XX1", "Z14•••••123,ABC•••••••XX1"),
        ("Z1400000123/3312345678", "Z14•••••123/331••••678"),
        # at the very start and end
        ("Z1400000123 al inicio", "Z14•••••123 al inicio"),
        ("al final ABCD800101XX1", "al final ABC•••••••XX1"),
        # a short e-mail is fully masked (as mask_identifier does with 6 characters or less)
        ("x@y.mx", "••••••"),
    ],
)
def test_identifiers_in_text_are_masked(text: str, expected: str) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Monto de 1,234,567.89 pesos",
        "$ 45 000 y $1 234 567",
        "el 2026-01-15 o el 15/01/2026",
        "folio Q-2026-0001234 y D-2025-0000042",
        "2026 1234 5678",
        "12 345 678 901",
        "10,000 contactos en 2026, 45.5 %",
        "1234567 patrones",
        "ABCDEFGHIJKLMNOP sin dígitos",
        "Se reporta que SIPARE marca error al generar la línea de captura.",
        "",
    ],
)
def test_ordinary_numbers_and_words_are_left_alone(text: str) -> None:
    assert mask_text(text) == text


def test_not_text_passes_unchanged_and_masking_is_idempotent() -> None:
    assert mask_text(None) is None
    assert mask_text(1234567890) == 1234567890
    assert pd.isna(mask_text(float("nan")))
    once = mask_text("Z1400000123 ABCD800101XX1 juan@x.com.mx 3312345678")
    assert mask_text(once) == once
    assert shown_text("Z1400000123", True) == "Z1400000123"
    assert shown_text("Z1400000123", False) == "Z14•••••123"


def test_text_that_is_only_an_identifier_reads_as_mask_identifier() -> None:
    for ident in ("Z1400000123", "ABCD800101XX1", "GODE561231HDFRRN09", "12345678901"):
        assert mask_text(ident) == mask_identifier(ident)


def test_mask_frame_masks_text_columns_and_keeps_numbers() -> None:
    frame = pd.DataFrame(
        {"Folio": ["Q-2026-0001234", None], "Texto": ["Z1400000123", "ok"], "n": [1, -2]}
    )
    out = mask_frame(frame)
    assert out["Folio"].tolist()[0] == "Q-2026-0001234" and out["Folio"].isna().iloc[1]
    assert out["Texto"].tolist() == ["Z14•••••123", "ok"]
    assert out["n"].tolist() == [1, -2]
    assert frame["Texto"].iloc[0] == "Z1400000123"  # a copy: the original is untouched
    assert mask_frame(pd.DataFrame()).empty


def test_mask_identifier_is_still_importable_from_lib_access() -> None:
    from lib.access import mask_identifier as from_access

    assert from_access is mask_identifier
