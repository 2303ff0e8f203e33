"""The URL is the state (issue 17), in a real browser: a link copied after following the menu
reproduces the view, a click on a chart filters the page as a removable chip, Back undoes a
drill-down, and a parameter that is no option is said."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from .streamlit_app import assert_no_exception, metric_int, scope_caption, wait_for_app_run


def _ooad_box(page: Page):
    return page.get_by_test_id("stSidebar").get_by_role("combobox", name="OOAD")


@pytest.mark.browser
def test_link_copied_after_sidebar_navigation_reproduces_the_view(
    page: Page, context: BrowserContext, browser: Browser, base_url: str
):
    page.goto("/?ooad=Jalisco")
    wait_for_app_run(page)
    expect(scope_caption(page)).to_have_text(re.compile(r"^OOAD Jalisco · "))

    # follow the sidebar menu: the URL keeps the filter (it used to land on a bare /canales)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Canales de atención").click()
    expect(page).to_have_url(re.compile(r"/canales\?(.*&)?ooad=Jalisco(&|$)"))
    wait_for_app_run(page)
    expect(scope_caption(page)).to_contain_text("OOAD Jalisco")

    # «Copiar enlace» copies the address bar
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page.get_by_test_id("stSidebar").get_by_role("button", name="Copiar enlace").click()
    expect(page.get_by_test_id("stSidebar").get_by_text("Enlace copiado")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert re.search(r"/canales\?(.*&)?ooad=Jalisco(&|$)", copied), copied

    # the copied link, opened by someone else (a new browser context: no shared session)
    other = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="es-MX")
    try:
        shared = other.new_page()
        shared.goto(copied)
        wait_for_app_run(shared)
        main = shared.get_by_test_id("stMain")
        expect(main.get_by_role("heading", name="Canales de atención")).to_be_visible()
        expect(scope_caption(shared)).to_contain_text("OOAD Jalisco")
        expect(_ooad_box(shared)).to_have_value("Jalisco")
        assert_no_exception(shared)
    finally:
        other.close()
    assert_no_exception(page)


@pytest.mark.browser
def test_a_click_on_a_bar_filters_the_page_and_the_chip_removes_it(page: Page):
    page.goto("/")
    wait_for_app_run(page)
    national = metric_int(page, "Contactos")
    chart = page.get_by_test_id("stPlotlyChart").filter(has_text="Contactos por canal")
    chart.locator(".bars .point path").first.click(force=True)
    expect(page).to_have_url(re.compile(r"[?&]sel_canal=[a-z_]+"))
    chip = page.get_by_test_id("stMain").get_by_role("button", name=re.compile(r"Canal: "))
    expect(chip).to_be_visible()
    wait_for_app_run(page)
    one = metric_int(page, "Contactos")
    assert 0 < one < national
    # page-local: the sidebar filter is untouched
    expect(page.get_by_test_id("stSidebar").get_by_role("combobox", name="Canal")).to_have_value(
        "Todos los canales"
    )

    chip.click()
    expect(page).not_to_have_url(re.compile(r"sel_canal="))
    expect(chip).to_have_count(0)
    wait_for_app_run(page)
    assert metric_int(page, "Contactos") == national
    assert_no_exception(page)


@pytest.mark.browser
def test_back_undoes_a_drill_down(page: Page):
    page.goto("/canales?vista=Segmentos+y+oficinas")
    wait_for_app_run(page)
    expect(scope_caption(page)).to_contain_text("Nacional")
    chart = page.get_by_test_id("stPlotlyChart").filter(has_text="Adopción digital por OOAD")
    chart.locator(".bars .point path").last.click(force=True)
    expect(page).to_have_url(re.compile(r"[?&]ooad=[^&]+"))
    expect(scope_caption(page)).to_contain_text("OOAD ")
    wait_for_app_run(page)

    page.go_back()
    expect(page).not_to_have_url(re.compile(r"[?&]ooad="))
    expect(scope_caption(page)).to_contain_text("Nacional")
    wait_for_app_run(page)
    expect(_ooad_box(page)).to_have_value("Todas las OOAD")
    assert_no_exception(page)


@pytest.mark.browser
def test_an_invalid_parameter_is_said(page: Page):
    page.goto("/?ooad=Narnia&canal=Paloma")
    wait_for_app_run(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("«ooad=Narnia»", exact=False)).to_be_visible()
    expect(main.get_by_text("se usa «Todas las OOAD»", exact=False)).to_be_visible()
    expect(main.get_by_text("«canal=Paloma»", exact=False)).to_be_visible()
    expect(scope_caption(page)).to_have_text(re.compile(r"^Nacional · "))
    assert_no_exception(page)
