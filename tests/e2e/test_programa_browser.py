"""The work-program journey in a real browser: type a target into the grid, save, reload,
pick the saved draft and download it as Excel with the number typed."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from .streamlit_app import assert_no_exception, full_page_screenshot, wait_for_app_run

ROOT = Path(__file__).resolve().parents[2]
DIGITAL_ROW = 7  # 0-based row of "Participación digital": total contacts, then six channels
TARGET_COL = 3  # Indicador, Unidad, Línea base, Meta
ROW_PX = 35


@pytest.mark.browser
def test_type_a_target_save_reload_and_export(page: Page):
    page.goto("/programa?vista=Metas")
    wait_for_app_run(page, timeout=90_000)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Programa anual de trabajo")).to_be_visible()
    grid = main.get_by_test_id("stDataFrame").first
    expect(grid.locator("canvas").first).to_be_visible()
    # first cell of the first row, then the keyboard to the target of "Participación digital"
    grid.click(position={"x": 80, "y": ROW_PX + ROW_PX // 2})
    for _ in range(DIGITAL_ROW):
        page.keyboard.press("ArrowDown")
    for _ in range(TARGET_COL):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")  # opens the cell editor
    cell_input = page.locator(".gdg-input").first
    expect(cell_input).to_be_visible()
    cell_input.fill("45.5")
    page.keyboard.press("Enter")
    # the grid commits the edit, then its on_change rerun folds it into the working copy
    expect(main.get_by_test_id("stDataFrame").first.locator("canvas").first).to_be_visible()
    page.wait_for_timeout(1000)
    wait_for_app_run(page)
    full_page_screenshot(page, ROOT / "docs" / "screenshots" / "programa.png")
    main.get_by_role("button", name="Guardar versión").click()
    expect(main.get_by_text("Guardado: versión 1 del borrador", exact=False)).to_be_visible(
        timeout=60_000
    )
    assert_no_exception(page)

    # a reload is a new session: pick the saved draft and export it
    page.goto("/programa?vista=Exportar")
    wait_for_app_run(page, timeout=60_000)
    main.get_by_role("combobox", name="Borrador").click()
    page.get_by_role("option", name="v1", exact=False).first.click()
    expect(main.get_by_text("versión guardada 1", exact=False)).to_be_visible(timeout=60_000)
    wait_for_app_run(page)
    with page.expect_download() as info:
        main.get_by_role("button", name="Descargar Excel").click()
    data = Path(info.value.path()).read_bytes()
    sheet = load_workbook(io.BytesIO(data))["Metas"]
    rows = {r[0]: r for r in sheet.iter_rows(values_only=True)}
    assert rows["Participación digital"][3] == 45.5

    main.get_by_role("button", name="Preparar documento Word (con gráficas)").click()
    word = main.get_by_role("button", name="Descargar documento Word")
    expect(word).to_be_visible(timeout=90_000)
    with page.expect_download() as info:
        word.click()
    doc = Document(io.BytesIO(Path(info.value.path()).read_bytes()))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "45.5" in cells
    assert len(doc.inline_shapes) == 2 or any("sólo las tablas" in p.text for p in doc.paragraphs)
    assert_no_exception(page)


def _cell(page: Page, row: int, col: int):
    """A cell of the Metas grid (0-based), from the accessible table the grid keeps behind
    its canvas: its text and ``aria-readonly``."""
    grid = page.get_by_test_id("stMain").get_by_test_id("stDataFrame").first
    cell = grid.get_by_test_id(f"glide-cell-{col + 1}-{row}")
    cell.wait_for(state="attached")
    return cell


def _open_cell(page: Page, row: int, col: int) -> None:
    grid = page.get_by_test_id("stMain").get_by_test_id("stDataFrame").first
    expect(grid.locator("canvas").first).to_be_visible()
    grid.click(position={"x": 80, "y": ROW_PX + ROW_PX // 2})
    for _ in range(row):
        page.keyboard.press("ArrowDown")
    for _ in range(col):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")


@pytest.mark.browser
def test_metas_grid_refuses_letters_and_negatives_and_keeps_the_baseline(page: Page):
    """Issue 17: typing "-5" stored 5, "abc" stored 0, and the baseline took any number."""
    page.goto("/programa?vista=Metas")
    wait_for_app_run(page, timeout=90_000)
    main = page.get_by_test_id("stMain")
    base_cell = _cell(page, DIGITAL_ROW, TARGET_COL - 1)
    expect(base_cell).to_have_attribute("aria-readonly", "true")
    baseline = base_cell.inner_text()
    assert re.fullmatch(r"\d+(\.\d+)?", baseline), baseline
    target = _cell(page, DIGITAL_ROW, TARGET_COL).inner_text()

    # letters: the number editor does not take them, and nothing is stored (not 0)
    _open_cell(page, DIGITAL_ROW, TARGET_COL)
    cell_input = page.locator(".gdg-input").first
    expect(cell_input).to_be_visible()
    page.keyboard.type("abc")
    assert cell_input.input_value() == ""
    page.keyboard.press("Enter")
    page.wait_for_timeout(1000)
    wait_for_app_run(page)
    expect(_cell(page, DIGITAL_ROW, TARGET_COL)).to_have_text(target)

    # a negative number: refused at edit time, said in Spanish, the cell keeps its value
    _open_cell(page, DIGITAL_ROW, TARGET_COL)
    cell_input = page.locator(".gdg-input").first
    expect(cell_input).to_be_visible()
    cell_input.fill("-5")
    page.keyboard.press("Enter")
    refused = main.get_by_test_id("stAlert").filter(has_text="Estos cambios no se aplicaron")
    expect(refused).to_contain_text("Meta: -5 es negativo")
    wait_for_app_run(page)
    expect(_cell(page, DIGITAL_ROW, TARGET_COL)).to_have_text(target)

    # the baseline comes from the data: read-only, a typed number does not take
    _open_cell(page, DIGITAL_ROW, TARGET_COL - 1)
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    page.wait_for_timeout(1000)
    wait_for_app_run(page)
    expect(_cell(page, DIGITAL_ROW, TARGET_COL - 1)).to_have_text(baseline)
    assert_no_exception(page)
