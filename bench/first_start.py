"""How long a newcomer waits: from `streamlit run` answering on a fresh clone (no data/ yet)
to the overview's first figures in Chromium, and until the full demo institute has moved in
(lib/demo/growth.py).

    python -m bench.first_start --runs 3 [--json results/first-start.json] [--no-growth]

Each run clones this repository (committed files only) into a temporary folder, starts the
same command ``./mirador run`` ends in (this interpreter's Streamlit on Home.py, no database
URL: the embedded SQLite demo) and opens the overview in the system Chromium, as a user does.
The package cache is warm (this virtual environment); the seeding and the model are not.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from bench.loadtest import CHROMIUM_ARGS, free_port, healthy, stop_server

ROOT = Path(__file__).resolve().parents[1]
BANNER = "instituto de demostración reducido"


@dataclass
class FirstStart:
    server_answered_s: float  # from the process start to /_stcore/health answering
    first_kpis_s: float  # from the server answering to the overview's cards on screen
    grown_s: float | None  # from the server answering to the banner gone (full demo in)
    banner_seen: bool
    errors: list[str]


def _start(clone: Path, port: int, log_path: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIRADOR_")}
    env["PYTHONUNBUFFERED"] = "1"
    cmd = [
        sys.executable, "-m", "streamlit", "run", "Home.py",
        "--browser.gatherUsageStats", "false", "--server.headless", "true",
        "--server.address", "127.0.0.1", "--server.port", str(port),
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            cmd, cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def measure(
    workdir: Path,
    wait_growth: bool = True,
    growth_timeout_s: float = 900,
    browser: Browser | None = None,
) -> FirstStart:
    """One first start on a fresh clone under ``workdir``, in ``browser`` (a test passes
    pytest-playwright's: one sync Playwright per process) or in a Chromium of its own."""

    clone = workdir / "mirador"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    proc = _start(clone, port, workdir / "streamlit.log")
    try:
        while not healthy(url):
            if proc.poll() is not None or time.monotonic() - started > 120:
                raise RuntimeError((workdir / "streamlit.log").read_text(errors="replace")[-2000:])
            time.sleep(0.1)
        answered = time.monotonic()
        if browser is not None:
            return _visit(browser, url, answered - started, answered, wait_growth, growth_timeout_s)
        with sync_playwright() as pw:
            own = pw.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
            try:
                return _visit(own, url, answered - started, answered, wait_growth, growth_timeout_s)
            finally:
                own.close()
    finally:
        stop_server(proc)


def _visit(
    browser: Browser,
    url: str,
    server_s: float,
    answered: float,
    wait_growth: bool,
    growth_timeout_s: float,
) -> FirstStart:
    """The newcomer's visit: the overview's first cards, then (``wait_growth``) the banner of
    the small institute gone and the cards back on the full one."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="es-MX")
    try:
        page = context.new_page()
        page.goto(url)
        main = page.get_by_test_id("stMain")
        main.get_by_test_id("stMetric").first.wait_for(timeout=300_000)
        first_kpis = time.monotonic() - answered
        banner = main.get_by_text(BANNER)
        banner_seen = banner.count() > 0
        grown = None
        if wait_growth and banner_seen:
            banner.first.wait_for(state="detached", timeout=growth_timeout_s * 1000)
            main.get_by_test_id("stMetric").first.wait_for(timeout=120_000)
            grown = time.monotonic() - answered
        errors = [e.inner_text() for e in page.get_by_test_id("stException").all()]
    finally:
        context.close()
    return FirstStart(round(server_s, 1), round(first_kpis, 1),
                      None if grown is None else round(grown, 1), banner_seen, errors)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.first_start", description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-growth", action="store_true", help="no esperar al instituto completo")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    runs = []
    for i in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="mirador-first-start-") as tmp:
            load = os.getloadavg()[0]
            run = measure(Path(tmp), wait_growth=not args.no_growth)
            runs.append({**asdict(run), "load_before": round(load, 2)})
            print(
                f"run {i + 1}: server {run.server_answered_s} s, first KPIs {run.first_kpis_s} s "
                f"after it answered, full demo {run.grown_s} s, load before {load:.2f}, "
                f"errors {len(run.errors)}",
                flush=True,
            )
    if args.json:
        args.json.write_text(
            json.dumps(
                {"machine": platform.node(), "cpus": os.cpu_count(), "runs": runs},
                indent=2,
                ensure_ascii=False,
            )
        )
    return 0 if all(not r["errors"] for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
