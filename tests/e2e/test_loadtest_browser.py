"""The load test itself runs (two sessions on the tiny database), so it cannot rot."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.loadtest import format_report, run_loadtest
from lib.ui.nav import SECTIONS


@pytest.mark.browser
def test_two_sessions_go_through_every_page(e2e_database_url, chromium_executable, tmp_path):
    # Its own thread: the load test drives Playwright's async API with asyncio.run, and the
    # other browser tests leave pytest-playwright's event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        report = pool.submit(
            run_loadtest,
            e2e_database_url,
            users=2,
            rounds=1,
            results=tmp_path,
            chromium=chromium_executable,
            warm=False,
        ).result()
    pages = [url for items in SECTIONS.values() for _, _, url, _ in items]
    assert report["visits"] == 2 * len(pages)
    assert report["errors"] == 0, report["error_messages"]
    assert list(report["per_page"]) == pages
    assert 0 < report["p50_ms"] <= report["p95_ms"] <= report["max_ms"]
    assert report["server_rss_mb"]["peak"] >= report["server_rss_mb"]["idle"] > 0
    assert (tmp_path / report["file"].rsplit("/", 1)[-1]).exists()
    assert "p95" in format_report(report)


@pytest.mark.browser
def test_sessions_sign_in_through_the_form_before_their_pages(
    e2e_database_url, chromium_executable, tmp_path
):
    """Issue 16: on a database with accounts every page asks for a sign-in; the load test signs
    each session in through the form (an administrator and an analyst, round robin), goes
    through its role's menu, and no page it was served shows the sign-in form."""
    import shutil

    from bench.loadtest import load_accounts
    from lib.access import User
    from lib.audit import audit_events
    from lib.db.engine import make_engine
    from lib.ui.nav import pages_for
    from lib.users import save_user

    path = tmp_path / "accounts.db"
    shutil.copy(e2e_database_url.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    admin = User("admin", "Admin", "administrador")
    password = "clave-de-carga-1"
    save_user(engine, admin, "carga_admin", "Carga Admin", "administrador", password=password)
    save_user(engine, admin, "carga_ana", "Carga Analista", "analista", password=password)
    accounts = load_accounts(url, ["carga_admin", "carga_ana"], password)
    assert [a.role for a in accounts] == ["administrador", "analista"]
    with ThreadPoolExecutor(max_workers=1) as pool:
        report = pool.submit(
            run_loadtest,
            url,
            users=2,
            rounds=1,
            results=tmp_path,
            chromium=chromium_executable,
            warm=False,
            accounts=accounts,
        ).result()
    menus = {
        role: [u for items in pages_for(User(role, role, role)).values() for _, _, u, _ in items]
        for role in ("administrador", "analista")
    }
    assert report["errors"] == 0, report["error_messages"]  # incl. "formulario de inicio…"
    assert report["visits"] == len(menus["administrador"]) + len(menus["analista"])
    seen = {a: [v["page"] for v in report["raw"] if v["account"] == a] for a in report["accounts"]}
    assert seen == {"carga_admin": menus["administrador"], "carga_ana": menus["analista"]}
    assert "auditoria" in seen["carga_admin"] and "auditoria" not in seen["carga_ana"]
    sign_ins = audit_events(engine, action="sign_in")
    failed = audit_events(engine, action="sign_in_failed")
    engine.dispose()
    assert sorted(sign_ins["username"]) == ["carga_admin", "carga_ana"]  # one each, by form
    assert set(sign_ins["target"]) == {"local"} and failed.empty
    assert "con sesión de carga_admin, carga_ana" in format_report(report)


@pytest.mark.browser
def test_signed_in_light_sessions_see_the_figures(e2e_database_url, chromium_executable, tmp_path):
    """Issue 20: a short run of the load test with signed-in sessions (bench/stackload.py):
    three on the non-rendering client, signed in by a remembered-session cookie, one in
    Chromium through the form; no error, and the light client received the overview's metric
    elements (so it measured pages with figures, not a sign-in form). No timing assertion."""
    import shutil

    from bench.stackload import RunOptions, format_stack_report, run_stack_loadtest
    from lib.audit import audit_events
    from lib.db.engine import make_engine

    from .conftest import streamlit_server

    path = tmp_path / "accounts.db"
    shutil.copy(e2e_database_url.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    with streamlit_server(url, tmp_path) as base:
        opts = RunOptions(
            base_url=base,
            database=url,
            light=3,
            chromium=1,
            seconds=20,
            think=(1.0, 3.0),
            ramp_s=2.0,
            state_dir=tmp_path,  # no stack: no app process pid files
            chromium_path=chromium_executable,
        )
        with ThreadPoolExecutor(max_workers=1) as pool:
            report = pool.submit(run_stack_loadtest, opts, tmp_path).result()
    assert report["errors"] == 0, report["error_messages"]
    assert report["per_client"]["light"]["visits"] >= 3
    assert report["per_client"]["chromium"]["visits"] >= 1
    first = [v for v in report["raw"] if v["client"] == "light" and v["step"] == "signin"]
    assert len(first) == 3 and all(v["page"] == "resumen" and v["metrics"] >= 9 for v in first)
    assert report["resources"]["generator"]["cpu_s"] > 0
    assert "por página" in format_stack_report(report)
    engine = make_engine(url)
    remembered = audit_events(engine, action="sign_in")
    engine.dispose()
    assert set(remembered["target"]) >= {"sesión recordada", "local"}
