"""Pooled PostgreSQL connections are pinged only after sitting idle (lib/db/engine.py).

pool_pre_ping cost a round trip on every checkout; the pool now pings a connection that was
idle for IDLE_PING_S. A server that went away meanwhile is still noticed before use (the
idle case), and a connection cut while in busy use fails once, invalidates the pool, and the
next read connects afresh."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

import lib.db.engine as engine_module
from lib.db.engine import make_engine
from tests.tcp_proxy import TcpProxy


@pytest.fixture
def proxied(pg_tiny):
    real = make_url(pg_tiny)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    proxy.start()
    url = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    engine = make_engine(url)
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    yield proxy, engine, seen
    engine.dispose()
    proxy.stop()


def _one(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT 1")).scalar_one()


def test_a_busy_connection_is_not_pinged(proxied, monkeypatch) -> None:
    _, engine, seen = proxied
    pings: list[object] = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(c) or real_ping(c))
    for _ in range(5):
        assert _one(engine) == 1
    assert len(seen) == 5 and pings == []  # five checkouts, no ping
    monkeypatch.setattr(engine_module, "IDLE_PING_S", 0.0)  # idle long enough from now on
    assert _one(engine) == 1
    assert len(pings) == 1  # the oracle that the counter counts


def test_an_idle_connection_to_a_server_that_went_away_is_replaced_before_use(
    proxied, monkeypatch
) -> None:
    proxy, engine, _ = proxied
    assert _one(engine) == 1
    proxy.stop()
    proxy.start()  # the pooled connection is dead; the server is back
    monkeypatch.setattr(engine_module, "IDLE_PING_S", 0.0)  # it has been idle long enough
    assert _one(engine) == 1  # pinged, found dead, replaced: no error reaches the page


def test_a_busy_connection_cut_fails_once_then_the_pool_recovers(proxied) -> None:
    proxy, engine, _ = proxied
    assert _one(engine) == 1
    proxy.stop()
    proxy.start()
    with pytest.raises(OperationalError):  # the page shows "No se pudo conectar…"
        _one(engine)
    assert _one(engine) == 1  # the failure invalidated the pool: a fresh connection
