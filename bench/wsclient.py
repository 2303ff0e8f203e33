"""A Streamlit client that does not render: the app's own WebSocket protocol.

It does what the browser's front end does on the wire and nothing else: opens
``ws://host/_stcore/stream`` with the browser's cookies (the proxy's sticky cookie and the
remembered-session cookie, lib/sessions.py), sends a ``BackMsg`` ``rerun_script`` with the
page and the query string, and reads ``ForwardMsg`` until the script has finished. The page's
elements are counted by type (metrics, charts, exceptions, error boxes...) so a caller can
tell a page with figures from a sign-in form or an error. Nothing is drawn: the time measured
is the server's (script run, serialisation, transfer), not a renderer's.

An export is what a click on a deferred download button does: a ``backend_operation_request``
for the file, an HTTP GET of the URL it answers with, then the rerun with the button's
trigger that runs its ``on_click`` (the audit record).
"""

from __future__ import annotations

import asyncio
import time
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.BackMsg_pb2 import (
    BackendOperationRequest,
    BackMsg,
    DeferredFileRequestPayload,
)
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

STICKY_COOKIE = "MIRADOR"  # deploy/haproxy.cfg: cookie MIRADOR insert
FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR}


@dataclass
class PageResult:
    """What one script run sent: element counts, problems, seconds to ``script_finished``."""

    seconds: float
    elements: Counter = field(default_factory=Counter)
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # headings and markdown bodies, shortened
    downloads: list[tuple[str, str, str]] = field(
        default_factory=list
    )  # (widget id, file id, label)
    bytes: int = 0
    compile_error: bool = False

    @property
    def signed_out(self) -> bool:
        """The sign-in form instead of the page (lib/ui/auth.py _sign_in_form)."""
        return any(t.startswith("Iniciar sesión") for t in self.texts)

    def problem(self) -> str | None:
        if self.compile_error:
            return "error de compilación del script"
        if self.exceptions:
            return "excepción de Streamlit: " + self.exceptions[0][:160]
        if self.signed_out:
            return "formulario de inicio de sesión en la página (sesión no iniciada)"
        if self.errors:
            return "recuadro de error: " + self.errors[0][:120]
        return None


def _element_text(kind: str, el: Any) -> str | None:
    if kind == "heading":
        return el.heading.body
    if kind == "markdown":
        return el.markdown.body[:200]
    return None


def read_element(result: PageResult, element: Any) -> None:
    """Count one ``Element`` (a ``new_element`` delta) into ``result``."""
    kind = element.WhichOneof("type")
    if kind is None:
        return
    result.elements[kind] += 1
    if kind == "exception":
        result.exceptions.append(f"{element.exception.type}: {element.exception.message}")
    elif kind == "alert" and element.alert.format == element.alert.ERROR:
        result.errors.append(element.alert.body)
    elif kind == "download_button" and element.download_button.deferred_file_id:
        b = element.download_button
        result.downloads.append((b.id, b.deferred_file_id, b.label))
    text = _element_text(kind, element)
    if text:
        result.texts.append(text.lstrip("# ").strip())


def sticky_cookie(base_url: str, timeout: float = 30) -> str | None:
    """The proxy's sticky cookie for a new browser (its first GET of the page), or None
    when there is no proxy in front."""
    with urllib.request.urlopen(base_url + "/", timeout=timeout) as resp:
        for header in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name.strip() == STICKY_COOKIE:
                return rest.split(";", 1)[0]
    return None


class LightSession:
    """One browser tab's Streamlit session, without a browser."""

    def __init__(
        self,
        base_url: str,
        cookies: dict[str, str],
        timeout: float = 120,
        locale: str = "es-MX",
        timezone: str = "America/Mexico_City",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.cookies = dict(cookies)
        self.timeout = timeout
        self.locale, self.timezone = locale, timezone
        self.session_id = ""
        self.page = ""
        self.query = ""
        self._ws: Any = None

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        u = urllib.parse.urlsplit(self.base_url)
        scheme = "wss" if u.scheme == "https" else "ws"
        self._ws = await connect(
            f"{scheme}://{u.netloc}{u.path}/_stcore/stream",
            subprotocols=["streamlit"],  # type: ignore[list-item]
            additional_headers={"Cookie": self.cookie_header, "Origin": self.base_url},
            max_size=None,
            open_timeout=self.timeout,
            ping_interval=None,
        )

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    async def _send(self, msg: BackMsg) -> None:
        await self._ws.send(msg.SerializeToString())

    def _client_state(self, widgets: list[WidgetState] | None = None) -> ClientState:
        cs = ClientState(query_string=self.query, page_name=self.page)
        cs.context_info.locale = self.locale
        cs.context_info.timezone = self.timezone
        cs.context_info.url = f"{self.base_url}/{self.page}" + (
            f"?{self.query}" if self.query else ""
        )
        if widgets:
            cs.widget_states.widgets.extend(widgets)
        return cs

    async def _read_run(self, started: float) -> PageResult:
        """ForwardMsgs until a run has finished (a run that ends early for a rerun, e.g. after
        ``st.rerun()``, is followed by the next one on the server, which is waited for)."""
        result = PageResult(seconds=0.0)
        deadline = started + self.timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"sin script_finished en {self.timeout:.0f} s")
            raw = await asyncio.wait_for(self._ws.recv(), timeout=left)
            result.bytes += len(raw)
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.session_id = msg.new_session.initialize.session_id or self.session_id
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                read_element(result, msg.delta.new_element)
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    result.compile_error = True
                if msg.script_finished in FINISHED:
                    result.seconds = time.perf_counter() - started
                    return result

    async def open(self, page: str = "", query: str = "") -> PageResult:
        """A page as a URL opens it (``page`` is its url path, "" for the default one)."""
        self.page, self.query = page, query
        started = time.perf_counter()
        await self._send(BackMsg(rerun_script=self._client_state()))
        return await self._read_run(started)

    async def export(self, widget_id: str, file_id: str) -> tuple[float, int]:
        """Click a deferred download button: (seconds until the file is in, its size)."""
        started = time.perf_counter()
        request_id = str(uuid.uuid4())
        await self._send(
            BackMsg(
                backend_operation_request=BackendOperationRequest(
                    request_id=request_id,
                    session_id=self.session_id,
                    deferred_file=DeferredFileRequestPayload(file_id=file_id),
                )
            )
        )
        url = None
        deadline = started + self.timeout
        while url is None:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError("sin respuesta a la descarga")
            msg = ForwardMsg()
            msg.ParseFromString(await asyncio.wait_for(self._ws.recv(), timeout=left))
            if msg.WhichOneof("type") == "backend_operation_response":
                resp = msg.backend_operation_response
                if resp.request_id != request_id:
                    continue
                if resp.error_msg:
                    raise RuntimeError(f"descarga: {resp.error_msg}")
                url = resp.deferred_file.url
        size = await asyncio.to_thread(self._get, url)
        seconds = time.perf_counter() - started
        # the click's rerun with the button's trigger: its on_click records the export
        await self._send(
            BackMsg(
                rerun_script=self._client_state([WidgetState(id=widget_id, trigger_value=True)])
            )
        )
        result = await self._read_run(time.perf_counter())
        if problem := result.problem():
            raise RuntimeError(f"tras la descarga: {problem}")
        return seconds, size

    def _get(self, url: str) -> int:
        full = url if url.startswith("http") else self.base_url + "/" + url.lstrip("/")
        req = urllib.request.Request(full, headers={"Cookie": self.cookie_header})
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            return len(resp.read())
