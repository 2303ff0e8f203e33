"""The audit trail: who exported, imported, trained or signed in, when, and how many rows.

An event never carries patron identifiers (fiscal data): counts, filters, table and file
names only. Writing an event is part of the action: if it cannot be recorded, the action fails.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select

from lib.access import User
from lib.db.schema import AuditEvent

ACTIONS = {
    "sign_in": "Inicio de sesión",
    "sign_in_failed": "Inicio de sesión fallido",
    "sign_out": "Cierre de sesión",
    "session_revoked": "Sesión cerrada por baja de la cuenta",
    "export": "Exportación",
    "import": "Importación",
    "train": "Entrenamiento de modelo",
    "score": "Calificación de patrones",
    "draft_save": "Guardado de programa de trabajo",
    "user_change": "Cambio de usuario o rol",
    "forged_scope": "Alcance alterado en la URL",
    "access_denied": "Acceso denegado por rol",
}


def record_event(
    bind: Engine | Connection,
    user: User | str,
    action: str,
    target: str,
    rows: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one event (in the caller's transaction when given a Connection)."""
    if action not in ACTIONS:
        raise ValueError(f"Acción de auditoría desconocida: {action!r}")
    username = user.username if isinstance(user, User) else str(user)
    role = user.role if isinstance(user, User) else None
    values = {
        "at": dt.datetime.now(),
        "username": username[:120],
        "role": role,
        "action": action,
        "target": target[:200],
        "rows": rows,
        "details": details or {},
    }
    if isinstance(bind, Connection):
        bind.execute(insert(AuditEvent).values(**values))
    else:
        with bind.begin() as conn:
            conn.execute(insert(AuditEvent).values(**values))


def audit_events(
    bind: Engine | Connection, *, action: str | None = None, limit: int = 500
) -> pd.DataFrame:
    """Latest events first, for the administrators' audit view and for tests."""
    t = AuditEvent.__table__
    stmt = select(t).order_by(t.c.at.desc(), t.c.id.desc()).limit(limit)
    if action is not None:
        stmt = stmt.where(t.c.action == action)
    if isinstance(bind, Connection):
        return pd.DataFrame(bind.execute(stmt).mappings().all(), columns=list(t.c.keys()))
    with bind.connect() as conn:
        return pd.DataFrame(conn.execute(stmt).mappings().all(), columns=list(t.c.keys()))
