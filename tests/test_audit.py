"""The audit trail on both backends: events are stored, read back newest first, and checked."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import delete

from lib.access import DEMO_USER, User
from lib.audit import audit_events, record_event
from lib.db.schema import AuditEvent


def test_events_are_recorded_and_read_newest_first(db):
    tag = f"prueba-{uuid.uuid4().hex[:8]}"
    analyst = User("ana", "Ana", "analista", ooad_id=14)
    try:
        record_event(db.engine, DEMO_USER, "export", tag, rows=25, details={"page": "x"})
        with db.engine.begin() as conn:
            record_event(conn, analyst, "import", tag, rows=3)
        events = audit_events(db.engine)
        mine = events[events["target"] == tag]
        assert list(mine["action"]) == ["import", "export"]
        assert list(mine["username"]) == ["ana", "demo"]
        assert list(mine["role"]) == ["analista", "administrador"]
        assert list(mine["rows"]) == [3, 25]
        exports = audit_events(db.engine, action="export")
        assert (exports["action"] == "export").all()
    finally:
        with db.engine.begin() as conn:
            conn.execute(delete(AuditEvent).where(AuditEvent.target == tag))


def test_unknown_action_and_role_are_refused():
    with pytest.raises(ValueError, match="Acción de auditoría desconocida"):
        record_event(None, DEMO_USER, "borrar_todo", "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Rol desconocido"):
        User("x", "X", "superusuario")


# --- issue 16: the whole log, paged and filtered in SQL ---------------------------------------

FLOOD = 6000
EARLIER = dt.datetime(2026, 1, 15, 10, 30)


def _flood(engine) -> int:
    """One real export by "ana" on 15/01/2026, then 6,000 failed sign-ins on "titular" from one
    address: the first 40 through authenticate itself, the rest written as authenticate writes
    them once locked (in one transaction: 6,000 argon2-free calls would only be slower).
    Returns the number of events in the log before the flood: none, as the private copy's
    log is emptied first (the shared tiny institute it was copied from holds whatever other
    tests wrote, e.g. refused page visits by "analista", which the filters would also find)."""
    from sqlalchemy import delete, func, insert, select, update

    from lib.users import UserError, authenticate

    with engine.begin() as conn:
        conn.execute(delete(AuditEvent))
        before = conn.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    record_event(engine, ANA, "export", "orientacion_14.xlsx", rows=37, details={"page": "o"})
    with engine.begin() as conn:
        conn.execute(
            update(AuditEvent).where(AuditEvent.target == "orientacion_14.xlsx").values(at=EARLIER)
        )
    for _ in range(40):
        with pytest.raises(UserError):
            authenticate(engine, "titular", "adivinanza", client="203.0.113.7")
    now = dt.datetime.now()
    rest = [
        {
            "at": now,
            "username": "titular",
            "role": None,
            "action": "sign_in_failed",
            "target": "bloqueado",
            "rows": None,
            "details": {"locked": True, "cliente": "203.0.113.7", "bloqueo": "pair"},
        }
        for _ in range(FLOOD - 40)
    ]
    with engine.begin() as conn:
        conn.execute(insert(AuditEvent), rest)
    return before


ANA = User("ana", "Ana", "analista")


def test_a_flood_of_failed_sign_ins_leaves_earlier_events_findable(own_tiny):
    from lib.audit import AuditQuery, audit_page

    _, engine = own_tiny
    before = _flood(engine)
    everything, total = audit_page(engine, AuditQuery(), limit=5000)
    assert total == before + 1 + FLOOD  # hand count: seed + the export + the flood
    assert "orientacion_14.xlsx" not in set(everything["target"])  # the old page's 5,000 rows
    failed = audit_page(engine, AuditQuery(action="sign_in_failed"), limit=0)[1]
    assert failed == FLOOD
    locked = audit_page(engine, AuditQuery(action="sign_in_failed", user_contains="TITU"))[0]
    assert (locked["target"] == "bloqueado").all() and len(locked) == 100  # a page
    for q in (
        AuditQuery(action="export", user_contains="an"),
        AuditQuery(user_contains="AN"),  # case-insensitive; "titular" has no "an"
        AuditQuery(start=EARLIER.date(), end=EARLIER.date()),
        AuditQuery(role="analista", start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31)),
    ):
        found, n = audit_page(engine, q)
        assert n == 1 and list(found["target"]) == ["orientacion_14.xlsx"], q
        assert int(found["rows"].iloc[0]) == 37
    assert audit_page(engine, AuditQuery(user_contains="%"))[1] == 0  # a literal %, escaped
    assert (
        audit_page(engine, AuditQuery(start=dt.date(2026, 1, 16), end=dt.date(2026, 1, 16)))[1] == 0
    )
    # pages: disjoint, in order, and the last one holds what is left
    p1, _ = audit_page(engine, AuditQuery(), limit=100)
    p2, _ = audit_page(engine, AuditQuery(), limit=100, offset=100)
    assert not set(p1["id"]) & set(p2["id"])
    assert p1["at"].min() >= p2["at"].max()
    last, _ = audit_page(engine, AuditQuery(), limit=100, offset=(total // 100) * 100)
    assert len(last) == total % 100


def test_the_audit_page_pages_through_the_flood_and_filters(own_tiny, monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    backend, engine = own_tiny
    before = _flood(engine)
    total = before + 1 + FLOOD
    monkeypatch.setenv("MIRADOR_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    page = str(Path(__file__).resolve().parents[1] / "pages" / "96_auditoria.py")
    at = AppTest.from_file(page, default_timeout=120).run()  # demo mode: the demo administrator
    assert not at.exception, backend
    captions = [c.value for c in at.main.caption]
    assert any(
        c.startswith(f"Eventos 1–100 de {total:,} · página 1 de {-(-total // 100)}")
        for c in captions
    ), captions
    assert len(at.dataframe[0].value) == 100
    at.selectbox(key="accion").set_value("export").run()
    table = at.dataframe[0].value
    assert list(table["Objeto"]) == ["orientacion_14.xlsx"] and list(table["Usuario"]) == ["ana"]
    assert any(c.value.startswith("Eventos 1–1 de 1 ·") for c in at.main.caption)
    assert at.get("download_button")[0].label == "Descargar los 1 eventos filtrados (CSV)"
    # the page number is bound to the URL: a link to page 61 opens the last page
    at = AppTest.from_file(page, default_timeout=120)
    at.query_params["pagina"] = "61"
    at.run()
    assert not at.exception
    assert at.number_input(key="pagina").value == 61
    assert any(
        c.value.startswith(f"Eventos 6,001–{total:,} de {total:,} · página 61 de 61")
        for c in at.main.caption
    )
    assert len(at.dataframe[0].value) == total - 6000
    at.text_input(key="quien").input("ANA").run()  # a new filter goes back to page 1
    assert any(c.value.startswith("Eventos 1–1 de 1 ·") for c in at.main.caption)
    assert at.number_input(key="pagina").value == 1
