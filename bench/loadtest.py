"""Load test: many browser sessions going through every page of one app server at once.

``python -m bench.loadtest --database URL [--users 10] [--rounds 1]`` starts ``streamlit run
Home.py`` on the database (PostgreSQL in production), opens ``--users`` Playwright contexts on
one headless Chromium (the system's /usr/bin/chromium, launched as the browser tests do),
and has each one open the app and click through every page of the menu ``--rounds`` times,
all at the same time. A page counts as answered when its title is on screen, the script has
finished and no skeleton is left; its latency is from the click to that moment. Errors are
timeouts, Streamlit exceptions and error boxes. The server's resident memory is sampled every
half second. Prints p50 / p95 / max latency overall and per page, errors and server memory,
and writes ``results/loadtest-<stamp>.json``.

With local accounts (sign-in required), give them: ``--user NAME`` (repeatable; session *i*
uses the *i*-th name, round robin) and the password in the environment variable
``MIRADOR_LOADTEST_PASSWORD`` or on standard input with ``--password-stdin`` (never as an
argument: it would show in the process list and the shell history). Each session signs in
through the form before its first page and goes through the pages of its role's menu; a page
that shows the sign-in form instead counts as an error.

Through a running deployment (deploy/stack), with signed-in users of every role, most of them
on a client that does not render: ``--url http://127.0.0.1:18600`` (the proxy) with
``--database`` the primary's URL (where the test's accounts and remembered sessions are
created), ``--light N --chromium M --minutes T --think A-B``; see bench/stackload.py.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Debian's Chromium, headless, as every browser test launches it (tests/e2e/conftest.py)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGE_TIMEOUT_MS = 120_000
PASSWORD_ENV = "MIRADOR_LOADTEST_PASSWORD"


@dataclass(frozen=True)
class Account:
    """A local account the load test signs in with; its role decides the pages visited."""

    username: str
    password: str = field(repr=False)
    role: str = "administrador"


def load_accounts(database_url: str, usernames: list[str], password: str) -> list[Account]:
    """The named accounts as stored (active, with their role), or a Spanish error."""
    from lib.db.engine import make_engine
    from lib.users import active_account

    engine = make_engine(database_url)
    try:
        accounts = []
        for name in usernames:
            user = active_account(engine, name)
            if user is None:
                raise RuntimeError(f"La cuenta {name!r} no existe o está inactiva")
            accounts.append(Account(name, password, user.role))
        return accounts
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class MemorySampler(threading.Thread):
    """The server's resident memory and, on PostgreSQL, its open connections (the app's
    engines set application_name=mirador), every half second."""

    def __init__(self, pid: int, database_url: str, every_s: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.every_s = pid, every_s
        self.samples: list[float] = []
        self.connections: list[int] = []
        self.stop = threading.Event()
        self.engine = None
        if database_url.startswith("postgresql"):
            from lib.db.engine import make_engine

            self.engine = make_engine(database_url)

    def _connections(self) -> int | None:
        from sqlalchemy import text

        if self.engine is None:
            return None
        try:
            with self.engine.connect() as conn:
                return conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                        "'mirador' AND datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
        except Exception:
            return None

    def run(self) -> None:
        while not self.stop.is_set():
            mb = _rss_mb(self.pid)
            if mb is not None:
                self.samples.append(mb)
            if self.engine is not None and (n := self._connections()) is not None:
                self.connections.append(n)
            self.stop.wait(self.every_s)
        if self.engine is not None:
            self.engine.dispose()


def start_server(database_url: str, port: int, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "MIRADOR_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "Home.py",
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _pages(role: str | None = None) -> list[tuple[str, str]]:
    """(url path, title) of every page in the menu (of ``role``'s menu: restricted pages left
    out); the first is the default page at /."""
    from lib.access import User
    from lib.ui.nav import SECTIONS, pages_for

    sections = SECTIONS if role is None else pages_for(User("carga", "Prueba de carga", role))
    return [(url, title) for items in sections.values() for _, title, url, _ in items]


async def _sign_in(page, base_url: str, account: Account) -> None:
    """The sign-in form, as a person fills it; done when the first page's title shows."""
    from playwright.async_api import expect

    await page.goto(base_url + "/", timeout=PAGE_TIMEOUT_MS)
    main = page.get_by_test_id("stMain")
    await expect(main.get_by_role("heading", name="Iniciar sesión")).to_be_visible(
        timeout=PAGE_TIMEOUT_MS
    )
    await main.get_by_label("Usuario").fill(account.username)
    await main.get_by_label("Contraseña", exact=True).fill(account.password)
    await main.get_by_role("button", name="Entrar").click()


async def _wait_page(page, title: str) -> None:
    from playwright.async_api import expect

    main = page.get_by_test_id("stMain")
    await expect(main.get_by_role("heading", name=title).first).to_be_visible(
        timeout=PAGE_TIMEOUT_MS
    )
    app = page.get_by_test_id("stApp")
    await expect(app).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=PAGE_TIMEOUT_MS
    )
    await expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=PAGE_TIMEOUT_MS)


async def _problems(page) -> str | None:
    main = page.get_by_test_id("stMain")
    if await main.get_by_role("heading", name="Iniciar sesión").count():
        return "formulario de inicio de sesión en la página (sesión no iniciada)"
    if await page.get_by_test_id("stException").count():
        return "excepción de Streamlit en la página"
    errors = page.get_by_test_id("stAlertContentError")
    if await errors.count():
        return "recuadro de error: " + (await errors.first.inner_text())[:120]
    return None


async def _user(
    browser,
    base_url: str,
    user: int,
    rounds: int,
    out: list[dict],
    account: Account | None = None,
) -> None:
    context = await browser.new_context(
        viewport={"width": 1400, "height": 1000},
        locale="es-MX",
        timezone_id="America/Mexico_City",
    )
    page = await context.new_page()
    pages = _pages(account.role if account else None)
    try:
        for rnd in range(rounds):
            for i, (url, title) in enumerate(pages):
                started = time.perf_counter()
                error = None
                try:
                    if rnd == 0 and i == 0 and account is not None:
                        await _sign_in(page, base_url, account)  # lands on the first page
                    elif rnd == 0 and i == 0:
                        await page.goto(base_url + "/", timeout=PAGE_TIMEOUT_MS)
                    else:
                        link = page.get_by_test_id("stSidebarNav").locator(
                            f'a[href$="/{url}"]' if i else "a"
                        )
                        await link.first.click(timeout=PAGE_TIMEOUT_MS)
                    await _wait_page(page, title)
                    error = await _problems(page)
                except Exception as exc:  # timeouts and navigation failures are errors
                    error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
                out.append(
                    {
                        "user": user,
                        "account": account.username if account else None,
                        "round": rnd,
                        "page": url,
                        "ms": round(1000 * (time.perf_counter() - started), 1),
                        "error": error,
                    }
                )
    finally:
        await context.close()


async def _drive(
    base_url: str, users: int, rounds: int, chromium: str, accounts: list[Account] | None = None
) -> list[dict]:
    from playwright.async_api import async_playwright

    out: list[dict] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            await asyncio.gather(
                *(
                    _user(
                        browser,
                        base_url,
                        u,
                        rounds,
                        out,
                        accounts[u % len(accounts)] if accounts else None,
                    )
                    for u in range(users)
                )
            )
        finally:
            await browser.close()
    return out


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def summarise(visits: list[dict]) -> dict:
    ok = [v["ms"] for v in visits if not v["error"]]
    per_page = {}
    for url in dict.fromkeys(v["page"] for v in visits):
        ms = [v["ms"] for v in visits if v["page"] == url and not v["error"]]
        per_page[url] = {
            "visits": sum(v["page"] == url for v in visits),
            "errors": sum(v["page"] == url and bool(v["error"]) for v in visits),
            "p50_ms": round(statistics.median(ms), 1) if ms else None,
            "p95_ms": round(_pct(ms, 0.95), 1) if ms else None,
            "max_ms": round(max(ms), 1) if ms else None,
        }
    return {
        "visits": len(visits),
        "errors": sum(bool(v["error"]) for v in visits),
        "p50_ms": round(statistics.median(ok), 1) if ok else None,
        "p95_ms": round(_pct(ok, 0.95), 1) if ok else None,
        "max_ms": round(max(ok), 1) if ok else None,
        "per_page": per_page,
        "error_messages": sorted({v["error"] for v in visits if v["error"]})[:20],
    }


def write_report(report: dict, results: Path | None, prefix: str, stamp: dt.datetime) -> dict:
    """Write ``report`` as ``<results>/<prefix>-<stamp>.json`` (results/ by default) and
    return it with the file's path under ``file``: every load test's report, one way."""
    results = results or ROOT / "results"
    results.mkdir(parents=True, exist_ok=True)
    path = results / f"{prefix}-{stamp:%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    report["file"] = str(path)
    return report


def run_loadtest(
    database_url: str,
    users: int = 10,
    rounds: int = 1,
    results: Path | None = None,
    chromium: str | None = None,
    warm: bool = True,
    accounts: list[Account] | None = None,
) -> dict:
    """``accounts``: sign in with these (round robin over the sessions); None when the app
    runs without sign-in (the demo)."""
    from bench.pages import _commit, _display, _machine

    chromium = chromium or os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not chromium:
        raise RuntimeError(
            "No hay Chromium: instálelo (apt-get install chromium) o use CHROMIUM_PATH"
        )
    results = results or ROOT / "results"
    results.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().replace(microsecond=0)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = results / f"loadtest-{stamp:%Y%m%dT%H%M%S}-server.log"
    proc = start_server(database_url, port, log_path)
    sampler = MemorySampler(proc.pid, database_url)
    sampler.start()
    try:
        deadline = time.monotonic() + 90
        while not healthy(base_url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Streamlit no arrancó; vea {log_path}")
            time.sleep(0.25)
        idle_mb = _rss_mb(proc.pid)
        warm_visits: list[dict] = []
        if warm:  # one user first: the caches a running server has after its first visitor
            warm_visits = asyncio.run(_drive(base_url, 1, 1, chromium, accounts))
        started = time.perf_counter()
        visits = asyncio.run(_drive(base_url, users, rounds, chromium, accounts))
        wall = time.perf_counter() - started
    finally:
        sampler.stop.set()
        sampler.join(timeout=2)
        stop_server(proc)
    report = {
        "started": stamp.isoformat(),
        "commit": _commit(),
        "machine": _machine(),
        "database": _display(database_url),
        "users": users,
        "rounds": rounds,
        "warm_first": warm,
        "accounts": sorted({a.username for a in accounts}) if accounts else [],
        "wall_s": round(wall, 1),
        "server_rss_mb": {
            "idle": round(idle_mb, 1) if idle_mb else None,
            "peak": round(max(sampler.samples), 1) if sampler.samples else None,
            "end": round(sampler.samples[-1], 1) if sampler.samples else None,
        },
        "db_connections_peak": max(sampler.connections) if sampler.connections else None,
        "warm_up": summarise(warm_visits) if warm_visits else None,
        **summarise(visits),
        "raw": visits,
    }
    return write_report(report, results, "loadtest", stamp)


def run_pages_through(
    base_url: str,
    users: int = 10,
    rounds: int = 2,
    results: Path | None = None,
    chromium: str | None = None,
    warm: bool = True,
    accounts: list[Account] | None = None,
    state_dir: Path | None = None,
) -> dict:
    """The same browser run (every page of the menu, ``users`` × ``rounds``) against servers
    already running at ``base_url`` (deploy/stack's proxy): nothing is started; the CPU and
    memory of the stack's app processes, of its database side and of this process with its
    Chromium are read from /proc (bench.stackload.CpuSampler)."""
    from bench.pages import _commit, _machine
    from bench.stackload import CpuSampler, loadavg, stack_pids

    chromium = chromium or os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not chromium:
        raise RuntimeError("No hay Chromium: instálelo o use CHROMIUM_PATH")
    state_dir = state_dir or Path(os.environ.get("MIRADOR_STACK_DIR", "/tmp/mirador-stack"))
    stamp = dt.datetime.now().replace(microsecond=0)
    warm_visits = asyncio.run(_drive(base_url, 1, 1, chromium, accounts)) if warm else []
    groups = {**stack_pids(state_dir), "generator": [os.getpid()]}
    sampler = CpuSampler(groups)
    load_before = loadavg()
    sampler.start()
    started = time.perf_counter()
    try:
        visits = asyncio.run(_drive(base_url, users, rounds, chromium, accounts))
    finally:
        sampler.stop.set()
        sampler.join(timeout=5)
    wall = time.perf_counter() - started
    resources = sampler.report()
    apps = resources.get("apps") or {}
    assert isinstance(apps, dict)
    report = {
        "started": stamp.isoformat(),
        "commit": _commit(),
        "machine": _machine(),
        "database": base_url,
        "users": users,
        "rounds": rounds,
        "warm_first": warm,
        "accounts": sorted({a.username for a in accounts}) if accounts else [],
        "wall_s": round(wall, 1),
        "server_rss_mb": {
            "idle": apps.get("rss_mb_start"),
            "peak": apps.get("rss_mb_peak"),
            "end": apps.get("rss_mb_end"),
        },
        "db_connections_peak": None,
        "resources": resources,
        "load_average": {"before": load_before, "after": loadavg()},
        "warm_up": summarise(warm_visits) if warm_visits else None,
        **summarise(visits),
        "raw": visits,
    }
    return write_report(report, results, "loadtest-pages", stamp)


def format_report(r: dict) -> str:
    lines = [
        f"Prueba de carga · {r['users']} sesiones × {r['rounds']} vuelta(s) · {r['database']} · "
        f"commit {r['commit']}"
        + (f" · con sesión de {', '.join(r['accounts'])}" if r.get("accounts") else ""),
        f"  visitas {r['visits']}, errores {r['errors']}, p50 {r['p50_ms']} ms, "
        f"p95 {r['p95_ms']} ms, máx {r['max_ms']} ms, {r['wall_s']} s en total",
        f"  memoria del servidor: en reposo {r['server_rss_mb']['idle']} MB, "
        f"pico {r['server_rss_mb']['peak']} MB, al final {r['server_rss_mb']['end']} MB; "
        f"conexiones a PostgreSQL, pico {r['db_connections_peak']}",
    ]
    for group, x in (r.get("resources") or {}).items():
        if isinstance(x, dict):
            lines.append(
                f"  CPU {group}: {x['cpu_s']} s ({x['cores']} núcleos), pico {x['rss_mb_peak']} MB"
            )
    if r.get("load_average"):
        lines.append(
            f"  carga media antes {r['load_average']['before']}, después {r['load_average']['after']}"
        )
    for url, p in r["per_page"].items():
        lines.append(
            f"  {url:<12} p50 {p['p50_ms']} ms  p95 {p['p95_ms']} ms  máx {p['max_ms']} ms  "
            f"errores {p['errors']}/{p['visits']}"
        )
    for m in r["error_messages"]:
        lines.append(f"  ! {m}")
    return "\n".join(lines)


def _accounts(args: argparse.Namespace, parser: argparse.ArgumentParser) -> list[Account] | None:
    """The --user accounts with the password from the environment or standard input."""
    if not args.user:
        return None
    password = (
        sys.stdin.readline().rstrip("\n")
        if args.password_stdin
        else os.environ.get(PASSWORD_ENV, "")
    )
    if not password:
        parser.error(f"falta la contraseña de --user: {PASSWORD_ENV} o --password-stdin")
    try:
        return load_accounts(args.database, args.user, password)
    except RuntimeError as exc:
        parser.error(str(exc))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest", description=__doc__)
    parser.add_argument("--database", default=os.environ.get("MIRADOR_DATABASE_URL"))
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--results", default=str(ROOT / "results"))
    parser.add_argument(
        "--cold", action="store_true", help="sin visita previa: todos llegan con la caché vacía"
    )
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="USUARIO",
        help="cuenta local con la que cada sesión inicia sesión (repetible; por turnos); la "
        f"contraseña, en {PASSWORD_ENV} o con --password-stdin",
    )
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="leer la contraseña de las cuentas de la entrada estándar (una línea)",
    )
    parser.add_argument(
        "--url",
        help="servidores ya en marcha detrás de un proxy (deploy/stack): prueba con sesiones "
        "iniciadas de cada rol, casi todas con el cliente ligero (bench/stackload.py)",
    )
    parser.add_argument(
        "--all-pages",
        action="store_true",
        help="con --url: la prueba de siempre (--users navegadores Chromium por todas las "
        "páginas, --rounds vueltas) contra los servidores en marcha",
    )
    parser.add_argument("--light", type=int, default=48, help="con --url: sesiones ligeras")
    parser.add_argument("--chromium", type=int, default=2, help="con --url: sesiones Chromium")
    parser.add_argument("--minutes", type=float, default=5.0, help="con --url: duración")
    parser.add_argument(
        "--think", default="5-15", help="con --url: pausa entre pasos, segundos (mín-máx)"
    )
    parser.add_argument("--ramp", type=float, default=30.0, help="con --url: llegada escalonada, s")
    args = parser.parse_args(argv)
    if not args.database:
        parser.error("indique --database o MIRADOR_DATABASE_URL")
    if args.url and not args.all_pages:
        from bench.stackload import RunOptions, format_stack_report, run_stack_loadtest

        low, _, high = args.think.partition("-")
        opts = RunOptions(
            base_url=args.url.rstrip("/"),
            database=args.database,
            light=args.light,
            chromium=args.chromium,
            seconds=60 * args.minutes,
            think=(float(low), float(high or low)),
            ramp_s=args.ramp,
        )
        report = run_stack_loadtest(opts, Path(args.results))
        text = format_stack_report(report)
    else:
        run = (
            partial(run_pages_through, args.url.rstrip("/"))
            if args.url
            else partial(run_loadtest, args.database)
        )
        report = run(
            users=args.users,
            rounds=args.rounds,
            results=Path(args.results),
            warm=not args.cold,
            accounts=_accounts(args, parser),
        )
        text = format_report(report)
    print(text)
    print(f"Resultados: {report['file']}")
    return 0 if report["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
