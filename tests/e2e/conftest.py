"""Browser tests: a real `streamlit run` on a tiny demo database, driven by headless Chromium.

Playwright never downloads a browser here: it drives the distribution's Chromium
(``CHROMIUM_PATH`` or ``chromium`` on PATH). Without one the tests are skipped, unless
MIRADOR_REQUIRE_BROWSER=1 (CI), in which case they fail.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.loadtest import CHROMIUM_ARGS, free_port, healthy, start_server, stop_server
from lib.demo.seed import seed_sqlite_file

ROOT = Path(__file__).resolve().parents[2]
SERVER_START_TIMEOUT_S = 60


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    exe = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if exe and Path(exe).exists():
        return exe
    where = f"CHROMIUM_PATH={exe} no existe" if exe else "no hay `chromium` en el PATH"
    reason = f"Chromium no disponible ({where}); instálelo con `apt-get install chromium`"
    if os.environ.get("MIRADOR_REQUIRE_BROWSER") == "1":
        pytest.fail(f"MIRADOR_REQUIRE_BROWSER=1: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict, chromium_executable: str) -> dict:
    """pytest-playwright's launch options, pointed at the system Chromium."""
    return {
        **browser_type_launch_args,
        "executable_path": chromium_executable,
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    """A desktop screen and a user in Mexico."""
    return {
        **browser_context_args,
        "viewport": {"width": 1400, "height": 1000},
        "locale": "es-MX",
        "timezone_id": "America/Mexico_City",
    }


@pytest.fixture(scope="session")
def e2e_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("e2e") / "e2e.db"
    seed_sqlite_file(path, "tiny", 1)
    return f"sqlite:///{path}"


@contextlib.contextmanager
def streamlit_server(database_url: str, log_dir: Path) -> Iterator[str]:
    """`streamlit run Home.py` on a free port of 127.0.0.1 serving ``database_url``."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = log_dir / "streamlit.log"
    proc = start_server(database_url, port, log_path)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-3000:]
                pytest.fail(f"Streamlit no arrancó en {url} (registro {log_path}):\n{tail}")
            time.sleep(0.25)
        yield url
    finally:
        stop_server(proc)


@pytest.fixture(scope="session")
def app_url(
    chromium_executable: str,  # skip before starting a server nobody can look at
    e2e_database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """Base URL of the app serving the tiny demo database (demo mode: no sign-in)."""
    with streamlit_server(e2e_database_url, tmp_path_factory.mktemp("e2e-server")) as url:
        yield url


@pytest.fixture(scope="session")
def base_url(app_url: str) -> str:
    """pytest-playwright's base URL (``page.goto("/")``) is the app under test."""
    return app_url
