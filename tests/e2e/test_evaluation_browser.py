"""Service evaluation in a real browser: the before/after control answers the date."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .streamlit_app import assert_no_exception, full_page_screenshot, wait_for_app_run

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.browser
def test_before_after_follows_the_chosen_date(page: Page):
    page.goto("/evaluacion?vista=Cambio+en+el+tiempo")
    wait_for_app_run(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Evaluación del servicio")).to_be_visible()
    reading = main.get_by_test_id("stCaptionContainer").filter(has_text="frente al")
    # default cut: six months before the last month of data, 01/04/2026 = the planted drop
    expect(reading).to_contain_text("Cambios significativos (Holm, 5 %): Contact center -")
    full_page_screenshot(page, ROOT / "docs" / "screenshots" / "evaluacion.png")

    # a react-aria date field: type day, month and year into its segments, then leave it
    main.get_by_test_id("stDateInput").get_by_role("spinbutton", name=re.compile("^day")).click()
    page.keyboard.type("01122025")
    main.get_by_text("Antes y después de una fecha").click()
    expect(page).to_have_url(re.compile(r"[?&]corte=2025-12-01"))
    wait_for_app_run(page)
    expect(reading).to_contain_text("Ningún cambio significativo.")
    expect(reading).to_contain_text("01/12/2025")
    assert_no_exception(page)
