"""The audit trail: who exported, imported, trained or signed in, when, and how many rows.

An event never carries patron identifiers (fiscal data): counts, filters, table and file
names only. Writing an event is part of the action: if it cannot be recorded, the action fails.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, func, insert, select

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


@dataclass(frozen=True)
class AuditQuery:
    """What the audit page filters on; every condition runs in SQL over the whole log."""

    action: str | None = None
    user_contains: str | None = None  # case-insensitive substring of the user name
    start: dt.date | None = None  # first day, inclusive
    end: dt.date | None = None  # last day, inclusive
    role: str | None = None

    def conditions(self) -> list:
        t = AuditEvent.__table__
        out = []
        if self.action:
            out.append(t.c.action == self.action)
        if self.user_contains and self.user_contains.strip():
            needle = self.user_contains.strip().lower()
            out.append(func.lower(t.c.username).contains(needle, autoescape=True))
        if self.start is not None:
            out.append(t.c.at >= dt.datetime.combine(self.start, dt.time()))
        if self.end is not None:
            out.append(t.c.at < dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time()))
        if self.role:
            out.append(t.c.role == self.role)
        return out


def _read(bind: Engine | Connection, fn):
    if isinstance(bind, Connection):
        return fn(bind)
    with bind.connect() as conn:
        return fn(conn)


def audit_page(
    bind: Engine | Connection, query: AuditQuery, *, limit: int = 100, offset: int = 0
) -> tuple[pd.DataFrame, int]:
    """One page of the events ``query`` selects, newest first (ties by id), and how many it
    selects in all. LIMIT/OFFSET over the (at, id) order: the page a number names is stable
    while no event is added."""
    t = AuditEvent.__table__
    where = query.conditions()
    stmt = (
        select(t)
        .where(*where)
        .order_by(t.c.at.desc(), t.c.id.desc())
        .limit(max(0, limit))
        .offset(max(0, offset))
    )
    count = select(func.count()).select_from(t).where(*where)

    def run(conn: Connection) -> tuple[pd.DataFrame, int]:
        total = conn.execute(count).scalar_one()
        rows = conn.execute(stmt).mappings().all()
        return pd.DataFrame(rows, columns=list(t.c.keys())), total

    return _read(bind, run)


def export_totals(bind: Engine | Connection, query: AuditQuery) -> tuple[int, int]:
    """(downloads, rows downloaded) among the events ``query`` selects."""
    t = AuditEvent.__table__
    stmt = select(func.count(), func.coalesce(func.sum(t.c.rows), 0)).where(
        *query.conditions(), t.c.action == "export"
    )
    n, rows = _read(bind, lambda conn: conn.execute(stmt).one())
    return int(n), int(rows)
