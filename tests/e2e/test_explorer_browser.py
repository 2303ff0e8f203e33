"""The analyst's journey in a real browser: pick a measure in the explorer and share the view
by its URL; then check a file on the import page without saving it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .streamlit_app import assert_no_exception, full_page_screenshot, wait_for_app_run

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.browser
def test_explore_a_measure_and_validate_a_file(page: Page):
    page.goto("/explorador?dims=Canal")
    wait_for_app_run(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Explorador")).to_be_visible()
    box = main.get_by_role("combobox", name="Medida")
    box.click()
    # the list draws only the options in view (26 indicators): type to filter, as a user would
    box.press_sequentially("NPS")
    page.get_by_role("option", name="NPS", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]medida=NPS"))
    wait_for_app_run(page)
    expect(main.get_by_text("100 × (Σ promotores 9–10", exact=False).first).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible()
    expect(main.get_by_text("Más alto:", exact=False).first).to_be_visible()
    full_page_screenshot(page, ROOT / "docs" / "screenshots" / "explorador.png")
    assert_no_exception(page)
    # the same view, opened from its URL in a fresh page
    shared = page.url
    page.goto(shared)
    wait_for_app_run(page)
    expect(main.get_by_role("combobox", name="Medida")).to_have_value("NPS")

    page.goto("/importar?imp_tabla=Patrones+%28patron%29")
    wait_for_app_run(page)
    upload = page.get_by_test_id("stFileUploaderDropzoneInput")
    upload.set_input_files(str(ROOT / "data" / "examples" / "patron.csv"))
    wait_for_app_run(page)
    main.get_by_role("button", name="Validar archivo").click()
    wait_for_app_run(page)
    expect(main.get_by_text("Prueba sin cambios", exact=False).first).to_be_visible()
    full_page_screenshot(page, ROOT / "docs" / "screenshots" / "importar.png")
    assert_no_exception(page)

    page.goto("/diccionario?tabla=complaint")
    wait_for_app_run(page)
    expect(main.get_by_role("heading", name="Diccionario de datos")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame")).to_have_count(3)
    full_page_screenshot(page, ROOT / "docs" / "screenshots" / "diccionario.png")
    assert_no_exception(page)
