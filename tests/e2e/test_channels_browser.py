"""Channel study in a real browser: click an OOAD bar and the page drills down."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .streamlit_app import (
    assert_no_exception,
    full_page_screenshot,
    scope_caption,
    wait_for_app_run,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.browser
def test_click_on_an_office_bar_drills_down(page: Page):
    page.goto("/canales")
    wait_for_app_run(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Canales de atención")).to_be_visible()
    expect(main.get_by_text("Qué canal es mejor en qué")).to_be_visible()
    expect(scope_caption(page)).to_have_text(re.compile(r"Nacional · "))
    full_page_screenshot(page, ROOT / "docs" / "screenshots" / "canales.png")

    page.get_by_role("tab", name="Segmentos y oficinas").click()
    chart = page.get_by_test_id("stPlotlyChart").filter(has_text="Adopción digital por OOAD")
    expect(chart).to_be_visible()
    bar = chart.locator(".bars .point path").last  # the top bar: highest digital share
    bar.click(force=True)
    expect(page).to_have_url(re.compile(r"[?&]ooad=[^&]+"))
    expect(scope_caption(page)).to_have_text(re.compile(r"OOAD "))
    wait_for_app_run(page)
    name = re.search(r"OOAD ([^·]+) ·", scope_caption(page).inner_text()).group(1).strip()
    expect(page.get_by_test_id("stSidebar").get_by_role("combobox", name="OOAD")).to_have_value(
        name
    )
    page.get_by_role("tab", name="Segmentos y oficinas").click()
    expect(
        page.get_by_test_id("stPlotlyChart").filter(has_text="por subdelegación de")
    ).to_be_visible()
    page.get_by_role("button", name="↑ Nacional").click()
    expect(scope_caption(page)).to_have_text(re.compile(r"Nacional · "))
    assert_no_exception(page)
