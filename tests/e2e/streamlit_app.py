"""Helpers for driving a running Streamlit app with Playwright (as Streamlit's own e2e suite does)."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

# Generous: the first run of a page imports pandas/plotly in the server; a 2-core CI box is slow.
RUN_TIMEOUT_MS = 30_000
# Assertions retry for up to this long (Playwright's default, 5 s, is tight on a busy 2-core box).
expect.set_options(timeout=15_000)


def wait_for_app_run(page: Page, timeout: float = RUN_TIMEOUT_MS) -> None:
    """Block until the websocket is connected, the script has finished and nothing is loading.

    Call it after an action only once something proves the new run has started or produced
    output (a URL or a caption that changed); otherwise it can return before the rerun begins.
    """
    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=timeout)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout)


def metric(page: Page, label: str) -> Locator:
    """The st.metric card whose label is exactly ``label``."""
    label_el = page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    return page.get_by_test_id("stMetric").filter(has=label_el)


_INT = re.compile(r"\d{1,3}(?:[,\u00a0\u202f ]\d{3})*|\d+")


def metric_int(page: Page, label: str) -> int:
    """The metric's value as an integer; fails if it is not a plainly formatted whole number."""
    text = metric(page, label).get_by_test_id("stMetricValue").inner_text().strip()
    assert _INT.fullmatch(text), f"«{label}» no es un número entero: {text!r}"
    return int(re.sub(r"\D", "", text))


def scope_caption(page: Page) -> Locator:
    """The caption under the page title: '<scope> · Datos al dd/mm/aaaa · ...'."""
    return page.get_by_test_id("stCaptionContainer").filter(has_text="Datos al").first


def assert_no_exception(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_role("dialog")).to_have_count(0)  # e.g. Streamlit's "Page not found"


def full_page_screenshot(page: Page, path: Path) -> None:
    """Screenshot the whole page. Streamlit scrolls inside stMain, not the document, so
    ``full_page=True`` alone stops at the viewport: grow the viewport to the content first."""
    size = page.viewport_size or {"width": 1400, "height": 1000}
    main = page.get_by_test_id("stMain")
    height = main.evaluate("e => e.scrollHeight")
    sidebar = page.get_by_test_id("stSidebarContent")  # longer than a short page's main area
    if sidebar.count() and sidebar.is_visible():
        height = max(height, sidebar.evaluate("e => e.scrollHeight"))
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height)})
    try:
        # Everything below the old fold must have painted: charts and sparklines.
        for chart in page.get_by_test_id("stPlotlyChart").all():
            if chart.is_visible():  # charts in other tabs are not drawn
                expect(chart.locator(".main-svg").first).to_be_visible()
        for grid in page.get_by_test_id("stDataFrame").all():
            if grid.is_visible():  # tables paint on a canvas once they are in the viewport
                expect(grid.locator("canvas").first).to_be_visible()
        page.wait_for_timeout(300)  # let the grids and charts finish painting after the resize
        for spark in page.get_by_test_id("stMetricChart").all():
            expect(spark.locator("canvas, svg").first).to_be_visible()
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=path, full_page=True, animations="disabled", caret="hide")
    finally:
        page.set_viewport_size(size)
