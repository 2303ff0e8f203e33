"""Issue 17, items 5 and 6, in a real browser: the Resumen page's Plotly mode bar speaks
Spanish, and its indicator table shows each row in its unit (38.7%, +3.0 pp)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .streamlit_app import assert_no_exception, wait_for_app_run


@pytest.mark.browser
def test_resumen_mode_bar_in_spanish_and_table_formatted(page: Page):
    page.goto("/")
    wait_for_app_run(page, timeout=90_000)
    main = page.get_by_test_id("stMain")

    # 1. The mode bar: hover the chart, hover its download button, read the titles.
    chart = main.get_by_test_id("stPlotlyChart").first
    expect(chart.locator(".main-svg").first).to_be_visible()
    chart.hover()
    download = chart.locator(".modebar-btn[data-title]").first
    expect(download).to_be_visible()
    download.hover()
    titles = [
        b.get_attribute("data-title") for b in chart.locator(".modebar-btn[data-title]").all()
    ]
    assert titles[0] == "Descargar gráfica como PNG", titles
    assert "Restablecer ejes" in titles or "Autoescalar" in titles, titles
    english = {
        "Download plot as a PNG",
        "Download plot as a png",
        "Zoom in",
        "Zoom out",
        "Autoscale",
        "Reset axes",
        "Pan",
    }
    assert not english & set(titles), titles
    # the x axis speaks Spanish too (months from the locale's format part)
    ticks = chart.locator(".xtick text").evaluate_all("els => els.map(e => e.textContent)")
    assert any(
        re.match(r"(ene|feb|mar|abr|may|jun|jul|ago|sep|oct|nov|dic) \d{4}", t) for t in ticks
    )
    assert not any(re.search(r"\b(Jan|Apr|Aug|Dec)\b", t) for t in ticks), ticks

    # 2. The indicator table: each row in its unit.
    main.get_by_text("Tabla de indicadores").click()
    grid = main.get_by_test_id("stDataFrame").filter(has_text="Participación digital").first
    expect(grid).to_be_visible()
    # the grid paints on a canvas; its cells are also in the DOM as an accessible table
    expect(grid.locator("canvas").first).to_be_visible()
    expect(grid).to_contain_text(re.compile(r"\b\d{1,3}\.\d%"))  # 38.7%, not 0.3866
    expect(grid).to_contain_text(re.compile(r"[+-]\d+\.\d pp"))  # a share's change in pp
    expect(grid).to_contain_text(re.compile(r"\$\d{1,3}(,\d{3})+"))  # pesos, separators
    text = grid.text_content() or ""
    assert not re.search(r"\b0\.\d{4}", text), text  # no raw proportion anywhere
    assert_no_exception(page)
