"""Campaign page in a real browser: choose a campaign and read its effect."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .streamlit_app import assert_no_exception, full_page_screenshot, metric, wait_for_app_run

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.browser
def test_choose_a_campaign_and_read_its_effect(page: Page):
    page.goto("/campanas")
    wait_for_app_run(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Efecto de campañas")).to_be_visible()
    box = main.get_by_role("combobox", name="Campaña a evaluar (código)")
    box.click()
    page.get_by_role("option", name="DIF-2025-09", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]campana=DIF-2025-09"))
    wait_for_app_run(page, timeout=60_000)
    summary = main.get_by_test_id("stMarkdownContainer").filter(has_text="Buzón IMSS (ensayo")
    expect(summary.first).to_be_visible()
    value = metric(page, "Efecto en pago oportuno").get_by_test_id("stMetricValue")
    expect(value).to_have_text(re.compile(r"^-?\d+\.\d pp$"))
    expect(main.get_by_text("evidencia fuerte", exact=False).first).to_be_visible()
    full_page_screenshot(page, ROOT / "docs" / "screenshots" / "campanas.png")
    assert_no_exception(page)
