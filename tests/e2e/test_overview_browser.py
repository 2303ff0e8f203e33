"""The executive overview's main journey, in a real browser: look, filter, share, move on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from .streamlit_app import (
    assert_no_exception,
    full_page_screenshot,
    metric,
    metric_int,
    scope_caption,
    wait_for_app_run,
)

KPI_LABELS = [
    "Contactos",
    "Participación digital",
    "Resolución al primer contacto",
    "Satisfacción (CSAT)",
    "NPS",
    "Quejas recibidas",
    "Quejas cerradas en plazo",
    "Recaudación a tiempo",
    "Patrones con pago oportuno",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "screenshots" / "resumen.png"


def assert_overview(page: Page) -> None:
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Resumen ejecutivo")).to_be_visible()
    expect(page.get_by_test_id("stMetric")).to_have_count(len(KPI_LABELS))
    for label in KPI_LABELS:
        expect(metric(page, label)).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart")).to_be_visible()
    assert_no_exception(page)


@pytest.mark.browser
def test_overview_filter_share_and_data_page(page: Page, context: BrowserContext):
    # 1. The national overview.
    page.goto("/")
    wait_for_app_run(page)
    assert_overview(page)
    national = metric_int(page, "Contactos")
    assert national > 0
    expect(page.get_by_test_id("stAlert").filter(has_text="Datos de demostración")).to_be_visible()
    caption = scope_caption(page)
    expect(caption).to_have_text(re.compile(r"^Nacional · .*Datos al 31/10/2026"))
    full_page_screenshot(page, SCREENSHOT)

    # 2. Narrow to one OOAD from the sidebar.
    ooad = page.get_by_test_id("stSidebar").get_by_role("combobox", name="OOAD")
    ooad.click()
    ooad.fill("Jalisco")
    page.get_by_role("option", name="Jalisco", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]ooad=Jalisco(&|$)"))
    expect(caption).to_have_text(re.compile(r"^OOAD Jalisco · "))  # the rerun has started
    wait_for_app_run(page)
    assert_overview(page)
    jalisco = metric_int(page, "Contactos")
    assert 0 < jalisco < national

    # 3. The URL is the view: opened afresh (a new session), it shows the same thing.
    shared = context.new_page()
    shared.goto(page.url)
    wait_for_app_run(shared)
    assert_overview(shared)
    expect(shared).to_have_url(re.compile(r"[?&]ooad=Jalisco(&|$)"))
    expect(scope_caption(shared)).to_have_text(re.compile(r"^OOAD Jalisco · "))
    expect(shared.get_by_test_id("stSidebar").get_by_role("combobox", name="OOAD")).to_have_value(
        "Jalisco"
    )
    assert metric_int(shared, "Contactos") == jalisco

    # 4. On to the data page through the navigation menu.
    shared.get_by_test_id("stSidebarNav").get_by_role("link", name="Datos y cobertura").click()
    expect(shared).to_have_url(re.compile(r"/datos(\?|$)"))
    main = shared.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Datos y cobertura")).to_be_visible()
    wait_for_app_run(shared)
    expect(main.get_by_role("heading", name="Tablas")).to_be_visible()
    expect(shared.get_by_test_id("stDataFrame").first).to_be_visible()
    assert_no_exception(shared)
    assert_no_exception(page)

    # 5. Back to the overview: the filter that came in the shared link is still applied.
    shared.get_by_test_id("stSidebarNav").get_by_role("link", name="Resumen ejecutivo").click()
    wait_for_app_run(shared)
    assert_overview(shared)
    expect(scope_caption(shared)).to_have_text(re.compile(r"^OOAD Jalisco · "))
    assert metric_int(shared, "Contactos") == jalisco
