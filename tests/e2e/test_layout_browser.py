"""Issue 17 (items 6, 7 and 9, and the screenshot acceptance) in a real browser.

Every page of the menu is opened at 1440, 1280 and 390 px (a laptop, a small laptop, a phone)
and photographed into docs/screenshots/<width>/<page>.png. On each page: no exception; no
request leaves the app's host (favicon, fonts); no chart's legend covers its axis labels or
its title; no axis says "36k"; no English of Streamlit's chrome that the app can replace is
visible. At 1440 px the key columns of the wide tables are in view without scrolling
sideways. At 390 px a tapped chart's mode bar leaves the title readable. Printing hides the
sidebar and the header, and lets the page run over several sheets without cutting a table.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode, urlparse

import pytest
from playwright.sync_api import Locator, Page, expect

from lib.metrics import INDICATORS
from lib.ui.nav import SECTIONS

from .streamlit_app import assert_no_exception, full_page_screenshot, wait_for_app_run

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
WIDTHS = {1440: 900, 1280: 800, 390: 844}  # width: height of the window
# (url path, file name); the overview is the default page at "/"
PAGES = [
    ("" if path == "resumen" else path, path)
    for items in SECTIONS.values()
    for _file, _title, path, _icon in items
]
# Streamlit strings a page can replace (placeholder=, the uploader's CSS in
# lib/ui/assets/mirador.css); docs/architecture.md lists those no API reaches.
ENGLISH = ("Choose an option", "Upload", "per file", "Drag and drop", "Browse files")

# The text a reader sees: text nodes that are rendered, not hidden, at a font size above 0
# (the uploader's English is kept in the DOM at font size 0 behind a Spanish ::after).
VISIBLE_TEXT_JS = """root => {
  const out = [];
  const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const el = walk.currentNode.parentElement;
    if (!el || !el.checkVisibility({visibilityProperty: true, opacityProperty: true})) continue;
    if (parseFloat(getComputedStyle(el).fontSize) === 0) continue;
    out.push(walk.currentNode.textContent);
  }
  return out.join(" ");
}"""

# Boxes of a plotly chart's parts, in page pixels: [left, top, right, bottom] lists.
CHART_BOXES_JS = """el => {
  const boxes = sel => [...el.querySelectorAll(sel)].map(n => n.getBoundingClientRect())
    .filter(b => b.width > 0 && b.height > 0).map(b => [b.left, b.top, b.right, b.bottom]);
  return {
    title: boxes('.gtitle'),
    legend: boxes('.legend .bg'),
    xlabels: boxes('.xaxislayer-above .xtick text'),
    xtitle: boxes('.g-xtitle text'),
    modebar: boxes('.modebar'),
    chart: [el.getBoundingClientRect()].map(b => [b.left, b.top, b.right, b.bottom])[0],
    ticks: [...el.querySelectorAll('.xtick text, .ytick text')].map(n => n.textContent),
  };
}"""


def _overlap(a: list[float], b: list[float], tolerance: float = 1.0) -> bool:
    return (
        a[0] < b[2] - tolerance
        and b[0] < a[2] - tolerance
        and a[1] < b[3] - tolerance
        and b[1] < a[3] - tolerance
    )


def visible_text(page: Page) -> str:
    return page.get_by_test_id("stMain").evaluate(VISIBLE_TEXT_JS)


def visible_headers(grid: Locator) -> list[str]:
    """The column headers a st.dataframe has in view: its grid (a canvas) keeps an accessible
    table in the DOM with only the columns it draws, under their on-screen labels."""
    expect(grid.locator("canvas").first).to_be_visible()
    grid.scroll_into_view_if_needed()
    headers = grid.locator("th, [role=columnheader]")
    expect(headers.first).to_be_attached()  # drawn a moment after the canvas
    return [t.strip() for t in headers.all_text_contents()]


def check_charts(page: Page, where: str) -> None:
    """Every drawn chart: the title fits in the chart's width; the legend covers neither the
    x axis (its labels and title) nor the title; no tick says 36k."""
    for chart in page.get_by_test_id("stPlotlyChart").all():
        if not chart.is_visible():
            continue
        expect(chart.locator(".main-svg").first).to_be_visible()
        boxes = chart.evaluate(CHART_BOXES_JS)
        for legend in boxes["legend"]:
            for other in boxes["xlabels"] + boxes["xtitle"] + boxes["title"]:
                assert not _overlap(legend, other), f"{where}: la leyenda tapa {other}: {boxes}"
        for title in boxes["title"]:  # plotly does not wrap a title: it runs off the edge
            assert title[2] <= boxes["chart"][2] + 1, f"{where}: título cortado {boxes}"
        si = [t for t in boxes["ticks"] if re.fullmatch(r"-?[\d.]+[kMG]", t.strip())]
        assert not si, f"{where}: abreviaturas en inglés en los ejes: {si}"


def open_page(page: Page, base_url: str, path: str) -> None:
    page.goto(f"{base_url}/{path}")
    wait_for_app_run(page, timeout=90_000)
    # on a freshly started server the first page reruns once through the router
    # (lib.ui.context._leave_legacy_routing): the run above may be that empty first one
    expect(page.get_by_test_id("stMain").locator("h1").first).to_be_visible(timeout=90_000)
    wait_for_app_run(page, timeout=90_000)
    assert_no_exception(page)


def check_key_columns(page: Page, path: str) -> None:
    """At 1440 px the figures a reader compares are in view without scrolling sideways."""
    wanted = {
        "canales": ("Canal", "Resolución %", "Satisfechos %", "CSAT", "NPS", "Espera min"),
        "evaluacion": ("Canal", "Satisfechos %", "CSAT", "NPS", "Esfuerzo", "Respuestas"),
        "campanas": ("Código", "Campaña", "Inicio", "Fin", "Tratados", "Control"),
        "diccionario": ("Métrica", "Unidad", "Fórmula", "Advertencias"),
    }.get(path)
    if wanted is None:
        return
    grid = page.get_by_test_id("stMain").get_by_test_id("stDataFrame").first
    shown = visible_headers(grid)
    missing = [c for c in wanted if c not in shown]
    assert not missing, f"/{path} a 1440 px: columnas fuera de la vista {missing}; se ven {shown}"


def check_uploader(page: Page) -> None:
    """Importar: the uploader's button and line read in Spanish (same button, same drop box)."""
    box = page.get_by_test_id("stFileUploaderDropzone")
    expect(box).to_be_visible()
    after = box.locator("button p").evaluate("e => getComputedStyle(e, '::after').content")
    assert "Elegir archivo" in after, after
    line = box.get_by_test_id("stFileUploaderDropzoneInstructions").locator("span").first
    assert "arrastre" in line.evaluate("e => getComputedStyle(e, '::after').content")
    expect(box.locator("input[type=file]")).to_have_count(1)  # still a file chooser


@pytest.mark.browser
@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_page_at_width(page: Page, base_url: str, width: int):
    page.set_viewport_size({"width": width, "height": WIDTHS[width]})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    app_host = urlparse(base_url).hostname
    for path, name in PAGES:
        where = f"/{path} a {width} px"
        open_page(page, base_url, path)
        icon = page.locator("link[rel~='icon']").first.get_attribute("href") or ""
        assert icon.startswith(("data:", "/", base_url)), f"{where}: favicon externo {icon}"
        text = visible_text(page)
        english = [w for w in ENGLISH if w in text]
        assert not english, f"{where}: texto en inglés visible {english}"
        check_charts(page, where)
        if width == 1440:
            check_key_columns(page, path)
        if path == "importar":
            check_uploader(page)
        if width == 390 and page.get_by_test_id("stPlotlyChart").count():
            chart = page.get_by_test_id("stPlotlyChart").first
            chart.scroll_into_view_if_needed()
            chart.hover()  # a tap on a phone: plotly shows its mode bar
            expect(chart.locator(".modebar").first).to_be_visible()
            boxes = chart.evaluate(CHART_BOXES_JS)
            for bar in boxes["modebar"]:
                for title in boxes["title"]:
                    assert not _overlap(bar, title), f"{where}: el menú tapa el título {boxes}"
        full_page_screenshot(page, SHOTS / str(width) / f"{name}.png")
    outside = sorted(
        {
            u
            for u in requests
            if not u.startswith(("data:", "blob:")) and urlparse(u).hostname != app_host
        }
    )
    assert not outside, f"solicitudes fuera de {app_host}: {outside}"


@pytest.mark.browser
def test_explorer_two_dimensions_speaks_spanish_and_says_the_n(page: Page, base_url: str):
    """The explorer by OOAD and channel: the legend is titled «Canal», not channel_label, and
    the reading gives each headline group's n and leaves out groups under 30 responses; the
    dimensions' list has no English "Select all"."""
    page.set_viewport_size({"width": 1440, "height": 900})
    # with one dimension chosen, the list offers the others and no English "Select all"
    open_page(page, base_url, "explorador")
    page.get_by_test_id("stMultiSelect").first.locator("input").click()
    options = page.get_by_role("option")
    expect(options.filter(has_text="Canal")).to_be_visible()
    assert "Select all" not in options.all_inner_texts(), options.all_inner_texts()
    page.keyboard.press("Escape")
    # bound widgets keep their shown labels in the URL
    query = urlencode([("medida", INDICATORS["csat"].label), ("dims", "OOAD"), ("dims", "Canal")])
    open_page(page, base_url, f"explorador?{query}")
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart.locator(".legendtitletext")).to_have_text("Canal")
    expect(chart).not_to_contain_text("_label")
    reading = page.get_by_test_id("stCaptionContainer").filter(has_text="grupos").first
    expect(reading).to_contain_text(re.compile(r"Más alto: .+ \(\d+\.\d%, n = [\d,]+\)"))
    check_charts(page, "explorador (OOAD × canal)")


@pytest.mark.browser
def test_print_hides_the_chrome_and_keeps_the_page(page: Page, base_url: str):
    """Ctrl+P on Canales: no sidebar, no header; tables are marked not to split; the page
    runs over several sheets (it did before the print stylesheet too: a guard that hiding
    the chrome does not cut it to one)."""
    page.set_viewport_size({"width": 1440, "height": 900})
    open_page(page, base_url, "canales")
    page.emulate_media(media="print")
    try:
        expect(page.get_by_test_id("stSidebar")).to_be_hidden()
        expect(page.get_by_test_id("stHeader")).to_be_hidden()
        grid = page.get_by_test_id("stMain").get_by_test_id("stDataFrame").first
        assert grid.evaluate("e => getComputedStyle(e).breakInside") == "avoid", "tabla cortable"
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    finally:
        page.emulate_media(media="screen")
    sheets = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    assert sheets >= 2, f"la impresión cabe en {sheets} hoja: se cortó la página"
