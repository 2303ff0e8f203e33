"""The audit trail on both backends: events are stored, read back newest first, and checked."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete

from lib.access import DEMO_USER, User
from lib.audit import audit_events, record_event
from lib.db.schema import AuditEvent


def test_events_are_recorded_and_read_newest_first(db):  # noqa: ANN001
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
