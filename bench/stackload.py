"""Load test through a running deployment (deploy/stack): signed-in users of every role.

``python -m bench.loadtest --url http://127.0.0.1:18600 --database PRIMARY_URL --light 48
--chromium 2 --minutes 5`` runs this module against servers already running behind a proxy:

- **Accounts.** One account per role and scope is created (or updated) in the target
  database through lib.users.save_user: ``carga_titular``, ``carga_analista``,
  ``carga_planeador`` and three office users of different OOADs (``carga_oficina_<id>``).
  Sessions take them round robin.
- **Sign-in.** A light session presents a remembered-session cookie whose token is minted by
  lib.sessions.open_session (the database keeps only its hash, as for a person who ticked
  "Mantener la sesión"); a Chromium session signs in through the form with the account's
  password (random for the run, never printed).
- **Journeys.** Each session starts on the first page of its menu, then until the end of the
  run: think (uniform between ``--think`` bounds), and do one step: open another page of its
  menu (in the session, as a click in the menu does), change a filter by URL (``ooad=`` for
  national roles, ``desde=`` for an office), switch a tab by URL (``vista=``), or, once per
  session, export (the Excel of the evaluation page). A URL change is a page load: a new
  Streamlit session that resumes the sign-in from the cookie, as a browser does.
- **Clients.** Most sessions are light (bench.wsclient: Streamlit's WebSocket protocol, no
  rendering), a few are Chromium (as bench.loadtest's browser sessions).
- **Measures.** Each visit's latency (light: request to ``script_finished``; Chromium: to the
  page drawn), errors (exceptions, error boxes, the sign-in form, timeouts), and every second
  the CPU time and resident memory of the app processes (/proc, summed), of the database
  side (PostgreSQL primary and replica, PgBouncer, HAProxy) and of the load generator (this
  process and its children: Chromium). A visit is *cold* when it is the first of its view
  (page, query, role scope) on its app process during the run; the rest are *warm*.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import os
import random
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")

# the roles of issue 20 and the OOADs of the office users (Jalisco, Estado de México
# Oriente, Oaxaca: three differently sized delegations)
OFFICE_OOADS = (14, 15, 21)
# tabs reachable by URL, per page (the first tab is the default, never chosen)
TABS: dict[str, list[str]] = {
    "canales": ["Tendencias", "Segmentos y oficinas", "Trámites", "Colas y abandono"],
    "evaluacion": ["Oficinas", "Cambio en el tiempo", "Metas", "Comentarios"],
    "campanas": ["Dónde funcionó", "Todas las campañas"],
    "quejas": ["Oportunidad", "Lo inusual", "Texto"],
    "orientacion": ["Ficha del modelo"],
    "programa": ["Pronóstico", "Metas", "Capacidad"],
}
FILTER_OOADS = ("14", "15", "9", "19")  # what national roles pick in the OOAD filter
EXPORT_VIEW = ("evaluacion", "vista=Exportar")  # the page whose Excel a session downloads
# pages a journey visits (the administration and import pages are not a reader's day)
JOURNEY_PAGES = (
    "resumen",
    "canales",
    "evaluacion",
    "campanas",
    "quejas",
    "orientacion",
    "explorador",
    "programa",
    "datos",
)


@dataclass(frozen=True)
class LoadAccount:
    username: str
    role: str
    ooad_id: int | None = None
    password: str = field(default="", repr=False)

    @property
    def scope(self) -> str:
        return f"{self.role}:{self.ooad_id or '*'}"


def ensure_accounts(database_url: str, password: str) -> list[LoadAccount]:
    """The load test's accounts, created or updated (active, this run's password) through
    lib.users.save_user, so they carry an audit record like any account."""
    from lib.access import SYSTEM_USER
    from lib.db.engine import make_engine
    from lib.users import save_user

    wanted = [
        LoadAccount("carga_titular", "titular"),
        LoadAccount("carga_analista", "analista"),
        LoadAccount("carga_planeador", "planeador"),
        *(LoadAccount(f"carga_oficina_{o}", "oficina", o) for o in OFFICE_OOADS),
    ]
    engine = make_engine(database_url)
    try:
        out = []
        for a in wanted:
            save_user(
                engine,
                SYSTEM_USER,
                a.username,
                f"Prueba de carga ({a.role})",
                a.role,
                ooad_id=a.ooad_id,
                password=password,
            )
            out.append(LoadAccount(a.username, a.role, a.ooad_id, password))
        return out
    finally:
        engine.dispose()


def mint_tokens(database_url: str, accounts: Iterable[LoadAccount], hours: float = 2) -> list[str]:
    """One remembered-session token per account, through lib.sessions.open_session (its
    SHA-256 is what the database keeps)."""
    from lib.db.engine import make_engine
    from lib.sessions import open_session
    from lib.users import active_account

    engine = make_engine(database_url)
    try:
        tokens = []
        for a in accounts:
            user = active_account(engine, a.username)
            if user is None:
                raise RuntimeError(f"La cuenta {a.username!r} no existe o está inactiva")
            tokens.append(open_session(engine, user, hours)[0])
        return tokens
    finally:
        engine.dispose()


# --- statistics ------------------------------------------------------------------------------
def percentile(values: Iterable[float], q: float) -> float | None:
    """Nearest-rank percentile: the smallest sample with at least ``q`` of the samples at or
    below it (q in [0, 1]); None for no samples."""
    ordered = sorted(values)
    if not ordered:
        return None
    if not 0 <= q <= 1:
        raise ValueError("q debe estar entre 0 y 1")
    k = max(1, math.ceil(q * len(ordered)))
    return ordered[k - 1]


def _stats(ms: list[float]) -> dict:
    return {
        "n": len(ms),
        "p50_ms": _round(percentile(ms, 0.5)),
        "p95_ms": _round(percentile(ms, 0.95)),
        "max_ms": _round(max(ms) if ms else None),
    }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def aggregate(visits: list[dict]) -> dict:
    """Per page and overall: visits, errors, p50/p95/max of the answered ones, all and warm
    only; the same per client kind and per step kind."""

    def block(vs: list[dict]) -> dict:
        ok = [v for v in vs if not v["error"]]
        return {
            "visits": len(vs),
            "errors": sum(bool(v["error"]) for v in vs),
            **_stats([v["ms"] for v in ok]),
            "warm": _stats([v["ms"] for v in ok if not v["cold"]]),
        }

    def grouped(key: str) -> dict:
        return {
            k: block([v for v in visits if v[key] == k]) for k in sorted({v[key] for v in visits})
        }

    return {
        **block(visits),
        "per_page": grouped("page"),
        "per_client": grouped("client"),
        "per_step": grouped("step"),
        "error_messages": sorted({v["error"] for v in visits if v["error"]})[:20],
    }


def mark_cold(visits: list[dict]) -> None:
    """A visit is cold when it is the first of its view (page, query, scope) on its server
    in the run, by the time it was asked for."""
    seen: set[tuple] = set()
    for v in sorted(visits, key=lambda v: v["t"]):
        key = (v["server"], v["page"], v["query"], v["scope"])
        v["cold"] = key not in seen
        seen.add(key)


# --- /proc sampling ------------------------------------------------------------------------------
def _proc_stat(pid: int) -> tuple[int, int, float] | None:
    """(parent pid, CPU ticks user+system, resident MB) of a live process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    # fields[0] is state (field 3): ppid=4, utime=14, stime=15, rss=24 → index n-3
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[21]) * PAGE_SIZE / 2**20


def _tree(roots: Iterable[int]) -> set[int]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (st := _proc_stat(int(entry.name))) is not None:
            parents.setdefault(st[0], []).append(int(entry.name))
    out, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid in out:
            continue
        out.add(pid)
        todo.extend(parents.get(pid, []))
    return out


def stack_pids(state_dir: Path) -> dict[str, list[int]]:
    """The stack's processes by group, from its pid files (deploy/stack)."""

    def read(path: Path) -> int | None:
        try:
            return int(path.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    apps = [p for f in sorted((state_dir / "run").glob("app*.pid")) if (p := read(f))]
    db = [
        p
        for f in (
            state_dir / "pg/primary/postmaster.pid",
            state_dir / "pg/replica/postmaster.pid",
            state_dir / "pgbouncer/pgbouncer.pid",
            state_dir / "run/haproxy.pid",
        )
        if (p := read(f))
    ]
    return {"apps": apps, "database": db}


class CpuSampler(threading.Thread):
    """Every ``every_s``: CPU ticks and RSS of each group's process trees. CPU seconds of a
    group = sum over its processes of (last ticks - first ticks seen), so processes that
    start during the run (PostgreSQL backends, Chromium renderers) count from their start."""

    def __init__(self, groups: dict[str, list[int]], every_s: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.groups, self.every_s = groups, every_s
        self.first: dict[str, dict[int, int]] = {g: {} for g in groups}
        self.last: dict[str, dict[int, int]] = {g: {} for g in groups}
        self.rss: dict[str, list[float]] = {g: [] for g in groups}
        self.stop = threading.Event()
        self.started = self.ended = 0.0

    def sample(self) -> None:
        for group, roots in self.groups.items():
            total = 0.0
            for pid in _tree(roots):
                st = _proc_stat(pid)
                if st is None:
                    continue
                self.first[group].setdefault(pid, st[1] if self.started else 0)
                self.last[group][pid] = st[1]
                total += st[2]
            self.rss[group].append(total)

    def run(self) -> None:
        self.sample()
        self.started = time.monotonic()
        self.first = {g: dict(self.last[g]) for g in self.groups}
        while not self.stop.wait(self.every_s):
            self.sample()
        self.sample()
        self.ended = time.monotonic()

    def report(self) -> dict:
        wall = max(1e-9, self.ended - self.started)
        out: dict[str, dict | float] = {}
        for g in self.groups:
            ticks = sum(self.last[g][p] - self.first[g].get(p, 0) for p in self.last[g])
            cpu_s = ticks / CLK_TCK
            rss = self.rss[g]
            out[g] = {
                "cpu_s": round(cpu_s, 1),
                "cores": round(cpu_s / wall, 2),
                "rss_mb_start": round(rss[0], 1) if rss else None,
                "rss_mb_peak": round(max(rss), 1) if rss else None,
                "rss_mb_end": round(rss[-1], 1) if rss else None,
            }
        out["wall_s"] = round(wall, 1)
        return out


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


# --- journeys ------------------------------------------------------------------------------------
@dataclass
class Journey:
    """The steps of one session: deterministic from its seed."""

    account: LoadAccount
    pages: list[str]
    rng: random.Random
    exported: bool = False
    page: str = ""

    def first(self) -> tuple[str, str, str]:
        self.page = self.pages[0]
        return "open", self.page, ""

    def next(self) -> tuple[str, str, str]:
        """(step kind, page, query): ``open`` stays in the session, the others load a URL."""
        if not self.exported and self.rng.random() < 0.15:
            self.exported = True
            self.page = EXPORT_VIEW[0]
            return "export", *EXPORT_VIEW
        r = self.rng.random()
        if r < 0.25 and self.page in TABS:
            return "tab", self.page, "vista=" + urllib.parse.quote(self.rng.choice(TABS[self.page]))
        if r < 0.5:
            if self.account.ooad_id is not None:
                month = self.rng.choice(("2026-01", "2026-04", "2026-07"))
                return "filter", self.page, f"desde={month}"
            return "filter", self.page, f"ooad={self.rng.choice(FILTER_OOADS)}"
        self.page = self.rng.choice([p for p in self.pages if p != self.page])
        return "open", self.page, ""


def journey_pages(role: str) -> list[str]:
    from bench.loadtest import _pages

    allowed = [url for url, _ in _pages(role)]
    return [p for p in JOURNEY_PAGES if p in allowed]


@dataclass
class RunOptions:
    base_url: str
    database: str
    light: int = 48
    chromium: int = 2
    seconds: float = 300
    think: tuple[float, float] = (5.0, 15.0)
    ramp_s: float = 30.0
    seed: int = 20
    state_dir: Path = Path(os.environ.get("MIRADOR_STACK_DIR", "/tmp/mirador-stack"))
    chromium_path: str | None = None
    timeout_s: float = 120.0


def _visit(
    *,
    client: str,
    n: int,
    account: LoadAccount,
    server: str | None,
    step: str,
    page: str,
    query: str,
    started: float,
    t0: float,
    metrics: int,
    error: str | None,
) -> dict:
    """One visit's record (``t``: when it was asked for, seconds into the run)."""
    return {
        "client": client,
        "session": n,
        "account": account.username,
        "scope": account.scope,
        "server": server,
        "step": step,
        "page": page,
        "query": query,
        "t": started - t0,
        "ms": round(1000 * (time.perf_counter() - started), 1),
        "metrics": metrics,
        "error": error,
    }


def _error_text(exc: BaseException) -> str:
    """A visit's error as the report shows it: the exception's type and first line."""
    text = str(exc)
    return f"{type(exc).__name__}: {text.splitlines()[0][:160] if text else ''}"


async def _think(rng: random.Random, opts: RunOptions, end: float) -> bool:
    """The pause before the next step; False when the run is over."""
    if time.perf_counter() >= end:
        return False
    await asyncio.sleep(min(rng.uniform(*opts.think), max(0.0, end - time.perf_counter())))
    return time.perf_counter() < end


async def _light_session(
    n: int, opts: RunOptions, account: LoadAccount, token: str, out: list[dict], t0: float
) -> None:
    from bench.wsclient import LightSession, sticky_cookie

    rng = random.Random(opts.seed * 1000 + n)
    journey = Journey(account, journey_pages(account.role), rng)
    await asyncio.sleep(rng.uniform(0, opts.ramp_s))
    end = t0 + opts.seconds
    sticky = await asyncio.to_thread(sticky_cookie, opts.base_url)
    cookies = {"mirador_sesion": token, **({"MIRADOR": sticky} if sticky else {})}
    session: LightSession | None = None
    step = journey.first()
    visited = False
    try:
        while True:
            kind, page, query = step
            started = time.perf_counter()
            error, metrics = None, 0
            try:
                if session is None or kind != "open":  # a URL loaded: a new Streamlit session
                    if session is not None:
                        await session.close()
                    session = LightSession(opts.base_url, cookies, timeout=opts.timeout_s)
                    await session.connect()
                result = await session.open(page if page != "resumen" else "", query)
                metrics = result.elements["metric"]
                error = result.problem()
                if kind == "export" and error is None:
                    if not result.downloads:
                        error = "sin botón de descarga en la vista de exportar"
                    else:
                        widget, file_id, _ = result.downloads[0]
                        await session.export(widget, file_id)
            except Exception as exc:
                error = _error_text(exc)
                if session is not None:
                    await session.close()
                session = None
            out.append(
                _visit(
                    client="light",
                    n=n,
                    account=account,
                    server=sticky,
                    step=kind if visited else "signin",
                    page=page,
                    query=query,
                    started=started,
                    t0=t0,
                    metrics=metrics,
                    error=error,
                )
            )
            visited = True
            if not await _think(rng, opts, end):
                break
            step = journey.next()
    finally:
        if session is not None:
            await session.close()


async def _chromium_session(
    browser, n: int, opts: RunOptions, account: LoadAccount, out: list[dict], t0: float
) -> None:
    from bench.loadtest import Account, _pages, _problems, _sign_in, _wait_page

    rng = random.Random(opts.seed * 1000 + n)
    journey = Journey(account, journey_pages(account.role), rng)
    titles = dict(_pages(account.role))
    await asyncio.sleep(rng.uniform(0, opts.ramp_s))
    end = t0 + opts.seconds
    context = await browser.new_context(
        viewport={"width": 1400, "height": 1000}, locale="es-MX", timezone_id="America/Mexico_City"
    )
    page = await context.new_page()
    step = journey.first()
    signed = visited = False
    try:
        while True:
            kind, url, query = step
            started = time.perf_counter()
            error, metrics = None, 0
            try:
                if not signed:
                    await _sign_in(page, opts.base_url, Account(account.username, account.password))
                    signed = True
                elif kind == "open" and url != "resumen":
                    link = page.get_by_test_id("stSidebarNav").locator(f'a[href$="/{url}"]')
                    await link.first.click(timeout=opts.timeout_s * 1000)
                else:
                    path = "" if url == "resumen" else url
                    await page.goto(
                        f"{opts.base_url}/{path}" + (f"?{query}" if query else ""),
                        timeout=opts.timeout_s * 1000,
                    )
                await _wait_page(page, titles[url])
                error = await _problems(page)
                metrics = await page.get_by_test_id("stMetric").count()
                if kind == "export" and error is None:
                    async with page.expect_download(timeout=opts.timeout_s * 1000) as dl:
                        await (
                            page.get_by_test_id("stMain")
                            .get_by_role("button", name="Descargar")
                            .first.click()
                        )
                    await (await dl.value).path()
            except Exception as exc:
                error = _error_text(exc) + await _on_screen(page)
            cookies = await context.cookies()
            server = next((c["value"] for c in cookies if c["name"] == "MIRADOR"), None)
            out.append(
                _visit(
                    client="chromium",
                    n=n,
                    account=account,
                    server=server,
                    step=kind if visited else "signin",
                    page=url,
                    query=query,
                    started=started,
                    t0=t0,
                    metrics=metrics,
                    error=error,
                )
            )
            visited = True
            if not await _think(rng, opts, end):
                break
            step = journey.next()
    finally:
        await context.close()


async def _on_screen(page) -> str:
    """What the page shows when a step failed (toasts, alerts, the script's state), so a
    failure is told apart from the client's own timeout."""
    try:
        shown = []
        for test_id in ("stToast", "stAlertContainer", "stException"):
            items = page.get_by_test_id(test_id)
            for i in range(min(await items.count(), 3)):
                shown.append(f"{test_id}: {(await items.nth(i).inner_text())[:100]}")
        state = await page.get_by_test_id("stApp").get_attribute("data-test-script-state")
        shown.append(f"script {state}")
        return " · en pantalla: " + "; ".join(shown)
    except Exception:  # the page itself is gone
        return ""


async def _drive(opts: RunOptions, accounts: list[LoadAccount], tokens: list[str]) -> list[dict]:
    out: list[dict] = []
    t0 = time.perf_counter()
    light = [
        _light_session(n, opts, accounts[n % len(accounts)], tokens[n], out, t0)
        for n in range(opts.light)
    ]
    if opts.chromium <= 0:
        await asyncio.gather(*light)
        return out
    from playwright.async_api import async_playwright

    from bench.loadtest import CHROMIUM_ARGS

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=opts.chromium_path, args=CHROMIUM_ARGS)
        try:
            chrome = [
                _chromium_session(
                    browser,
                    opts.light + k,
                    opts,
                    accounts[(opts.light + k) % len(accounts)],
                    out,
                    t0,
                )
                for k in range(opts.chromium)
            ]
            await asyncio.gather(*light, *chrome)
        finally:
            await browser.close()
    return out


def run_stack_loadtest(opts: RunOptions, results: Path | None = None) -> dict:
    import shutil

    from bench.loadtest import write_report
    from bench.pages import _commit, _display, _machine

    if opts.chromium > 0:
        opts.chromium_path = (
            opts.chromium_path or os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
        )
        if not opts.chromium_path:
            raise RuntimeError("No hay Chromium: instálelo o use CHROMIUM_PATH (o --chromium 0)")
    password = secrets.token_urlsafe(16)
    accounts = ensure_accounts(opts.database, password)
    session_accounts = [accounts[n % len(accounts)] for n in range(opts.light)]
    tokens = mint_tokens(opts.database, session_accounts)
    groups = stack_pids(opts.state_dir)
    groups["generator"] = [os.getpid()]
    sampler = CpuSampler(groups)
    load_before = loadavg()
    stamp = dt.datetime.now().replace(microsecond=0)
    sampler.start()
    started = time.perf_counter()
    try:
        visits = asyncio.run(_drive(opts, accounts, tokens))
    finally:
        sampler.stop.set()
        sampler.join(timeout=5)
    wall = time.perf_counter() - started
    mark_cold(visits)
    report = {
        "started": stamp.isoformat(),
        "commit": _commit(),
        "machine": _machine(),
        "url": opts.base_url,
        "database": _display(opts.database),
        "sessions": {"light": opts.light, "chromium": opts.chromium},
        "seconds": opts.seconds,
        "think_s": list(opts.think),
        "ramp_s": opts.ramp_s,
        "seed": opts.seed,
        "accounts": sorted({a.username for a in accounts}),
        "app_processes": len(groups["apps"]),
        "wall_s": round(wall, 1),
        "load_average": {"before": load_before, "after": loadavg()},
        "resources": sampler.report(),
        "light_saw_metrics": sum(
            v["metrics"] for v in visits if v["client"] == "light" and v["page"] == "resumen"
        ),
        **aggregate(visits),
        "raw": visits,
    }
    return write_report(report, results, "loadtest-stack", stamp)


def format_stack_report(r: dict) -> str:
    res = r["resources"]
    lines = [
        f"Prueba de carga por el proxy {r['url']} · {r['app_processes']} procesos · "
        f"{r['sessions']['light']} sesiones ligeras + {r['sessions']['chromium']} Chromium · "
        f"{r['seconds']:.0f} s · pausa {r['think_s'][0]:g}–{r['think_s'][1]:g} s · commit {r['commit']}",
        f"  visitas {r['visits']}, errores {r['errors']}; p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, "
        f"máx {r['max_ms']} ms; en caliente p50 {r['warm']['p50_ms']} ms, p95 {r['warm']['p95_ms']} ms "
        f"({r['warm']['n']} visitas)",
        f"  carga media antes {r['load_average']['before']}, después {r['load_average']['after']}",
    ]
    for g in ("apps", "database", "generator"):
        if g in res:
            x = res[g]
            lines.append(
                f"  CPU {g}: {x['cpu_s']} s ({x['cores']} núcleos); memoria {x['rss_mb_start']} → "
                f"pico {x['rss_mb_peak']} MB"
            )
    for title, block in (
        ("por página", r["per_page"]),
        ("por paso", r["per_step"]),
        ("por cliente", r["per_client"]),
    ):
        lines.append(f"  {title}:")
        for k, p in block.items():
            lines.append(
                f"    {k:<12} {p['visits']:>5} visitas, errores {p['errors']}; p50 {p['p50_ms']}  "
                f"p95 {p['p95_ms']}  máx {p['max_ms']} ms; caliente p95 {p['warm']['p95_ms']} ms"
            )
    for m in r["error_messages"]:
        lines.append(f"  ! {m}")
    return "\n".join(lines)
