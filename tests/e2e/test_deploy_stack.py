"""The deployment on loopback, for real (issue 20): `deploy/stack up` brings up a PostgreSQL
primary and streaming replica, PgBouncer, two Streamlit processes and HAProxy; headless
Chromium signs in through the proxy; one app process is killed mid-session and the browser
carries on on the other with the same view; the replica lags and then stops, and the pages
keep showing figures that match the version they state.

Skipped, with the reason, when the Debian packages (haproxy, pgbouncer, postgresql-15) are
missing and cannot be installed (not root, no apt-get, or apt-get failed), or when there is
no Chromium. The stack is always taken down, even when a test fails.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.streamlit_app import (
    assert_no_exception,
    metric,
    metric_int,
    scope_caption,
    wait_for_app_run,
)

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "deploy" / "stack"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
# ports of their own, so that a stack someone brought up by hand (18600…) is left alone
PROXY_PORT, PG_PORT, PGBOUNCER_PORT = 18700, 15532, 16532
REPLICA_PORT = PG_PORT + 1
PASSWORD = "clave-de-despliegue-20"
JALISCO = 14
KPI_COUNT = 9  # the overview's cards (tests/e2e/test_overview_browser.py KPI_LABELS)

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


@dataclass
class Stack:
    state: Path
    env: dict[str, str]
    up_seconds: float

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{PROXY_PORT}"

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [str(STACK), *args], env=self.env, capture_output=True, text=True, timeout=300
        )
        if check and done.returncode != 0:
            pytest.fail(f"deploy/stack {' '.join(args)} → {done.returncode}\n{done.stderr}")
        return done

    def app_pid(self, name: str) -> int:
        return int((self.state / "run" / f"{name}.pid").read_text().split()[0])

    def log(self, name: str) -> str:
        return (self.state / "logs" / f"{name}.log").read_text(errors="replace")

    def sql(self, port: int, statement: str) -> list[tuple]:
        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{port}/mirador", autocommit=True
        ) as conn:
            cur = conn.execute(statement)
            return cur.fetchall() if cur.description else []


def _packages_or_skip() -> None:
    have = (
        all(
            shutil.which(exe) or Path("/usr/sbin", exe).exists() for exe in ("haproxy", "pgbouncer")
        )
        and (PG_BIN / "initdb").exists()
    )
    if not have and (os.geteuid() != 0 or not shutil.which("apt-get")):
        pytest.skip(
            "haproxy, pgbouncer o postgresql-15 no están instalados y no se pueden instalar "
            "aquí (hace falta root y apt-get): deploy/stack no puede levantarse"
        )


@pytest.fixture(scope="module")
def stack(chromium_executable: str) -> Iterator[Stack]:
    _packages_or_skip()
    # under /tmp, not pytest's own (mode 700) folder: the postgres user must reach its data
    parent = Path(tempfile.mkdtemp(prefix="mirador-stack-test-"))
    parent.chmod(0o755)
    state = parent / "state"
    env = {
        **os.environ,
        "MIRADOR_STACK_DIR": str(state),
        "MIRADOR_STACK_PROXY_PORT": str(PROXY_PORT),
        "MIRADOR_STACK_PG_PORT": str(PG_PORT),
        "MIRADOR_STACK_PGBOUNCER_PORT": str(PGBOUNCER_PORT),
        "MIRADOR_STACK_PASSWORD": PASSWORD,
        "MIRADOR_STACK_PYTHON": str(ROOT / ".venv" / "bin" / "python"),
    }
    stack = Stack(state, env, 0.0)
    started = time.perf_counter()
    try:
        up = stack.run("up", "--apps", "2", check=False)
        if up.returncode == 4:
            pytest.skip(f"deploy/stack: paquetes de Debian no disponibles\n{up.stderr}")
        if up.returncode != 0:
            pytest.fail(f"deploy/stack up → {up.returncode}\n{up.stderr}")
        stack.up_seconds = time.perf_counter() - started
        print(f"\ndeploy/stack up: {stack.up_seconds:.1f} s")
        yield stack
    finally:
        down = stack.run("down", check=False)
        shutil.rmtree(parent, ignore_errors=True)
        assert down.returncode == 0, down.stderr


@pytest.fixture
def tab(browser: Browser) -> Iterator[Page]:
    """A page in a new browser context (no cookies), through the proxy; at the end, nothing
    in the console about the proxy's Content Security Policy."""
    # pytest-playwright's browser (tests/e2e/conftest.py: the system Chromium): a second
    # sync Playwright in the same process fails once its event loop runs
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000},
        locale="es-MX",
        timezone_id="America/Mexico_City",
    )
    page = context.new_page()
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield page
    context.close()
    assert refused == []


def _sign_in(page: Page, url: str) -> None:
    page.goto(url)
    wait_for_app_run(page, timeout=90_000)
    main = page.get_by_test_id("stMain")
    main.get_by_label("Usuario").fill("admin")
    main.get_by_label("Contraseña", exact=True).fill(PASSWORD)
    main.get_by_role("button", name="Entrar").click()
    expect(main.get_by_role("heading", name="Resumen ejecutivo")).to_be_visible(timeout=90_000)
    wait_for_app_run(page, timeout=90_000)


def _overview_shown(page: Page) -> None:
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Resumen ejecutivo")).to_be_visible(timeout=60_000)
    expect(main.get_by_role("heading", name="Iniciar sesión")).to_have_count(0)
    expect(page.get_by_test_id("stMetric")).to_have_count(KPI_COUNT, timeout=60_000)
    assert_no_exception(page)


def _serving(page: Page) -> str:
    """The app process the proxy's sticky cookie names (app1, app2)."""
    [value] = [c["value"] for c in page.context.cookies() if c["name"] == "MIRADOR"]
    return value


def test_stack_up_sign_in_through_the_proxy(stack: Stack, tab: Page):
    page = tab
    status = stack.run("status")
    for part in ("primary", "replica", "pgbouncer", "app1", "app2", "haproxy"):
        assert re.search(rf"^{part}\s+up\b", status.stdout, re.M), status.stdout
    again = stack.run("up", "--apps", "2")  # idempotent: everything is already running
    assert "listo" in again.stderr and "creando" not in again.stderr

    with urllib.request.urlopen(f"{stack.url}/", timeout=10) as answer:
        headers = answer.headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["Server"] is None
    cookies = headers.get_all("Set-Cookie") or []
    assert any(re.match(r"MIRADOR=app\d; path=/; HttpOnly", c) for c in cookies), cookies

    _sign_in(page, stack.url)
    _overview_shown(page)
    assert metric_int(page, "Contactos") > 0
    assert _serving(page) in ("app1", "app2")
    # the page reads went to the replica: the app's connections are there
    on_replica = stack.sql(
        REPLICA_PORT,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = 'mirador' "
        "AND application_name = 'mirador'",
    )
    assert on_replica[0][0] >= 1


def test_killing_the_serving_process_keeps_the_view_and_the_sign_in(stack: Stack, tab: Page):
    page = tab
    _sign_in(page, f"{stack.url}/?ooad=Jalisco")
    _overview_shown(page)
    expect(scope_caption(page)).to_have_text(re.compile(r"^OOAD Jalisco · "))
    before_url, contacts = page.url, metric_int(page, "Contactos")
    digital = metric(page, "Participación digital").get_by_test_id("stMetricValue").inner_text()
    victim = _serving(page)
    os.killpg(stack.app_pid(victim), signal.SIGKILL)
    killed = time.perf_counter()
    app = page.get_by_test_id("stApp")
    expect(app).not_to_have_attribute("data-test-connection-state", "CONNECTED", timeout=10_000)
    wait_for_app_run(page, timeout=60_000)
    _overview_shown(page)
    reconnected = time.perf_counter() - killed
    print(f"\nfailover: {victim} killed, view back in {reconnected:.1f} s")
    assert page.url == before_url
    expect(scope_caption(page)).to_have_text(re.compile(r"^OOAD Jalisco · "))
    assert metric_int(page, "Contactos") == contacts
    expect(metric(page, "Participación digital").get_by_test_id("stMetricValue")).to_have_text(
        digital
    )
    assert _serving(page) != victim
    assert reconnected < 30
    # `up` again restarts only the process that died
    again = stack.run("up", "--apps", "2")
    assert f"Streamlit {victim}" in again.stderr and "creando" not in again.stderr


def _bump_version_and_contacts(stack: Stack, extra: int) -> str:
    """A write on the primary that changes Jalisco's contacts and the dataset version together
    (as a refresh does: the overview reads this rollup); returns the date the pages will show as the rollups' date."""
    stack.sql(
        PG_PORT,
        f"""
        BEGIN;
        UPDATE agg_interaction_unit_month SET contacts = contacts + {extra}
         WHERE (month, subdelegacion_id, channel_id, size_band_id) = (
               SELECT month, subdelegacion_id, channel_id, size_band_id
                 FROM agg_interaction_unit_month WHERE ooad_id = {JALISCO} AND month = '2026-10-01'
                ORDER BY 2, 3, 4 LIMIT 1);
        UPDATE dataset_info SET value = '2027-01-15 10:00:00'
         WHERE key = 'rollups_refreshed_at';
        COMMIT;
        """,
    )
    return "15/01/2027"


def test_a_lagging_replica_is_not_read(stack: Stack, tab: Page):
    page = tab
    _sign_in(page, f"{stack.url}/?ooad=Jalisco")
    _overview_shown(page)
    contacts = metric_int(page, "Contactos")
    app = _serving(page)
    stack.sql(REPLICA_PORT, "SELECT pg_wal_replay_pause()")
    try:
        shown = _bump_version_and_contacts(stack, 1000)
        page.reload()  # a new page view: the version is read again, from the primary
        _overview_shown(page)
        expect(scope_caption(page)).to_contain_text(f"agregados actualizados el {shown}")
        # the replica still has the old rollups; the figures are the new version's
        assert metric_int(page, "Contactos") == contacts + 1000
        replica_still = stack.sql(
            REPLICA_PORT, "SELECT value FROM dataset_info WHERE key = 'rollups_refreshed_at'"
        )
        assert not replica_still[0][0].startswith("2027-01-15")
        log = stack.log(app)
        assert log.count("has not replayed the primary's dataset version") == 1, log[-2000:]
    finally:
        stack.sql(REPLICA_PORT, "SELECT pg_wal_replay_resume()")
    # caught up: the replica serves the page reads again (said once in the log)
    deadline = time.monotonic() + 30
    while (
        stack.sql(
            REPLICA_PORT, "SELECT value FROM dataset_info WHERE key = 'rollups_refreshed_at'"
        )[0][0]
        != "2027-01-15 10:00:00"
    ):
        assert time.monotonic() < deadline, "la réplica no se puso al día"
        time.sleep(0.2)
    time.sleep(1.1)  # the router keeps its decision for a version one second
    page.goto(f"{stack.url}/?ooad=Sonora")  # a view no process has cached yet
    _overview_shown(page)
    assert "read replica in use for page reads" in stack.log(_serving(page))


def test_a_stopped_replica_leaves_the_pages_to_the_primary(stack: Stack, tab: Page):
    page = tab
    _sign_in(page, stack.url)
    _overview_shown(page)
    app = _serving(page)
    subprocess.run(
        ["runuser", "-u", "postgres", "--"] * (os.geteuid() == 0)
        + [str(PG_BIN / "pg_ctl"), "-D", str(stack.state / "pg" / "replica"), "-m", "fast"]
        + ["-w", "stop"],
        check=True,
        capture_output=True,
    )
    for place in ("Chihuahua", "Yucatán"):  # views not cached yet: they must be read now
        page.goto(f"{stack.url}/?ooad={place}")
        _overview_shown(page)
        expect(scope_caption(page)).to_have_text(re.compile(rf"^OOAD {place} · "))
        assert metric_int(page, "Contactos") > 0
    status = stack.run("status", check=False)
    assert status.returncode == 3 and re.search(r"^replica\s+down\b", status.stdout, re.M)
    log = stack.log(app)
    assert log.count("read replica unavailable") == 1, log[-2000:]
    line = next(x for x in log.splitlines() if "read replica unavailable" in x)
    assert "patron" not in line.lower() and "select" not in line.lower()
