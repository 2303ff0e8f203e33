"""Sign-in and the orientation journey in a real browser (issues 7 and 11): an office user
signs in, sees only its OOAD even from a forged link, works its orientation list within its
capacity and downloads it, and the download is in the audit log."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from lib.access import SYSTEM_USER, User
from lib.audit import audit_events
from lib.db.engine import make_engine
from lib.users import save_user

from .conftest import streamlit_server
from .streamlit_app import (
    assert_no_exception,
    full_page_screenshot,
    scope_caption,
    wait_for_app_run,
)

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "clave-de-oficina-14"


@pytest.fixture(scope="module")
def accounts_db(e2e_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    from lib.model.pipeline import train_store_and_score

    path = tmp_path_factory.mktemp("e2e-accounts") / "accounts.db"
    shutil.copy(e2e_database_url.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    train_store_and_score(engine, dt.date(2026, 4, 1), dt.date(2026, 11, 1), actor=SYSTEM_USER)
    admin = User("admin", "Admin", "administrador")
    save_user(engine, admin, "jalisco", "Oficina Jalisco", "oficina", ooad_id=14, password=PASSWORD)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def accounts_url(
    chromium_executable: str, accounts_db: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with streamlit_server(accounts_db, tmp_path_factory.mktemp("e2e-accounts-server")) as url:
        yield url


def _sign_in(page: Page, url: str) -> None:
    page.goto(url)
    wait_for_app_run(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Iniciar sesión")).to_be_visible()
    expect(page.get_by_test_id("stMetric")).to_have_count(0)  # nothing before signing in
    main.get_by_label("Usuario").fill("jalisco")
    main.get_by_label("Contraseña", exact=True).fill(PASSWORD)
    main.get_by_role("button", name="Entrar").click()
    expect(main.get_by_role("heading", name="Resumen ejecutivo")).to_be_visible(timeout=60_000)
    wait_for_app_run(page)


@pytest.mark.browser
def test_office_user_signs_in_and_sees_only_its_office(page: Page, accounts_url: str, accounts_db):
    _sign_in(page, f"{accounts_url}/?ooad=20")  # a link forged to another OOAD
    expect(scope_caption(page)).to_contain_text("OOAD Jalisco")
    expect(page.get_by_text("fuera de su ámbito", exact=False)).to_be_visible()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Oficina Jalisco", exact=False)).to_be_visible()
    expect(sidebar.get_by_role("link", name="Bitácora de auditoría")).to_have_count(0)
    assert_no_exception(page)
    engine = make_engine(accounts_db)
    forged = audit_events(engine, action="forged_scope")
    engine.dispose()
    assert (forged["username"] == "jalisco").any()


@pytest.mark.browser
def test_orientation_journey_capacity_and_audited_download(
    page: Page, accounts_url: str, accounts_db: str, tmp_path: Path
):
    _sign_in(page, accounts_url)
    page.get_by_test_id("stSidebar").get_by_role("link", name="Orientación proactiva").click()
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Orientación proactiva")).to_be_visible()
    wait_for_app_run(page, timeout=60_000)
    heading = main.get_by_text(re.compile(r"Lista de orientación: [\d,]+ patrones"))
    expect(heading).to_be_visible()
    ten = int(re.search(r"([\d,]+) patrones", heading.inner_text()).group(1).replace(",", ""))
    box = main.get_by_label("Patrones que cada oficina puede orientar al mes", exact=True)
    box.fill("3")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]capacidad=3"))
    wait_for_app_run(page, timeout=60_000)
    expect(heading).not_to_have_text(re.compile(rf"\b{ten} patrones"))
    three = int(re.search(r"([\d,]+) patrones", heading.inner_text()).group(1).replace(",", ""))
    assert 0 < three < ten
    wait_for_app_run(page, timeout=60_000)
    # the workbook is built on the server when clicked (lib/ui/layout.excel_button): allow for
    # a busy machine
    with page.expect_download(timeout=90_000) as info:
        main.get_by_role("button", name="Descargar lista (Excel)").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    sheet = load_workbook(saved, read_only=True)["Lista"]
    rows = list(sheet.iter_rows(values_only=True))
    registros = [r[0] for r in rows if r and r[0] and str(r[0]) != "Registro patronal"]
    assert len(registros) == three  # the list as shown, and nothing masked for an office
    assert not any("•" in str(r) for r in registros)
    full_page_screenshot(page, ROOT / "docs" / "screenshots" / "orientacion.png")
    assert_no_exception(page)
    wait_for_app_run(page)
    engine = make_engine(accounts_db)
    exports = audit_events(engine, action="export")
    engine.dispose()
    mine = exports[exports["username"] == "jalisco"]
    assert len(mine) >= 1 and int(mine["rows"].iloc[0]) == three
    assert mine["target"].iloc[0].startswith("orientacion_")


@pytest.mark.browser
def test_a_reload_keeps_the_sign_in_and_sign_out_ends_it(page: Page, accounts_url: str):
    _sign_in(page, accounts_url)
    [cookie] = [c for c in page.context.cookies() if c["name"] == "mirador_sesion"]
    assert cookie["sameSite"] == "Strict" and cookie["path"] == "/" and len(cookie["value"]) > 40
    main = page.get_by_test_id("stMain")
    page.reload()  # a new Streamlit session: the cookie resumes the sign-in, no form
    wait_for_app_run(page)
    expect(main.get_by_role("heading", name="Resumen ejecutivo")).to_be_visible(timeout=60_000)
    expect(main.get_by_role("heading", name="Iniciar sesión")).to_have_count(0)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Oficina Jalisco", exact=False)).to_be_visible()
    # the first menu after the reload is the office's, not the demo administrator's (the
    # menu used to be built before the remembered session was resumed)
    expect(sidebar.get_by_role("link", name="Orientación proactiva")).to_be_visible()
    for admin_page in ("Importar datos", "Usuarios y roles", "Bitácora de auditoría"):
        expect(sidebar.get_by_role("link", name=admin_page)).to_have_count(0)
    sidebar.get_by_role("button", name="Cerrar sesión").click()
    expect(main.get_by_role("heading", name="Iniciar sesión")).to_be_visible(timeout=60_000)
    page.wait_for_function("!document.cookie.includes('mirador_sesion=')")
    page.reload()  # signed out: the form again, and no data
    wait_for_app_run(page)
    expect(main.get_by_role("heading", name="Iniciar sesión")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stMetric")).to_have_count(0)
    assert_no_exception(page)
