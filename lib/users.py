"""The people who may sign in: stored in the shared database (app_user), passwords hashed with
Argon2 (argon2-cffi), never kept or logged in plain text.

Local sign-in is on as soon as the database holds an active user with a password; with none
(and no identity provider configured) the embedded demo runs as the labelled demo user.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, func, insert, or_, select, update

from lib.access import ROLES, User, require
from lib.audit import audit_events, record_event
from lib.db.schema import AppUser, AuditEvent, Ooad, Subdelegacion
from lib.lockout import LOOKBACK, Failure, Verdict, decide, lock_message
from lib.policy import Permission

U = AppUser.__table__
_hasher = PasswordHasher()
MIN_PASSWORD = 10


class UserError(ValueError):
    """A user record that cannot be stored; the message says why, in Spanish."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"La contraseña debe tener al menos {MIN_PASSWORD} caracteres")
    return _hasher.hash(password)


def _as_user(row: Any) -> User:
    return User(
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        ooad_id=row.ooad_id,
        subdelegacion_id=row.subdelegacion_id,
        can_see_identifiers=bool(row.can_see_identifiers),
    )


# When local sign-in was last seen on, per database URL. Asked twice on every page view (the
# menu and the page); under many users the count's round trip was 6 % of a view's time.
# Only "on" is remembered, and briefly: the first account switches sign-in on at once (the
# open demo never outlives it), and with the last account gone sign-in stays required for at
# most this long (the safe side).
SIGN_IN_SEEN_S = 30.0
_sign_in_seen: dict[str, float] = {}


def local_sign_in_enabled(engine: Engine) -> bool:
    key = engine.url.render_as_string(hide_password=True)
    seen = _sign_in_seen.get(key)
    if seen is not None and time.monotonic() - seen < SIGN_IN_SEEN_S:
        return True
    with engine.connect() as conn:
        n = conn.execute(
            select(func.count())
            .select_from(U)
            .where(U.c.active.is_(True), U.c.password_hash.is_not(None))
        ).scalar_one()
    if n > 0:
        _sign_in_seen[key] = time.monotonic()
    else:
        _sign_in_seen.pop(key, None)
    return n > 0


def _failures(
    engine: Engine, username: str, client: str | None, now: dt.datetime
) -> tuple[list[Failure], list[Failure], list[Failure]]:
    """The counted failures (target "local": not the attempts refused while locked) of the
    last 24 hours on this user name or from this client, split per key, and the user name's
    password sign-ins. One indexed read of the audit log (action, at)."""
    t = AuditEvent.__table__
    since = now - LOOKBACK
    cliente = t.c.details["cliente"].as_string()
    same_client = cliente.is_(None) if client is None else cliente == client
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.c.at, t.c.username, cliente.label("client")).where(
                t.c.action == "sign_in_failed",
                t.c.target == "local",
                t.c.at > since,
                or_(t.c.username == username[:120], same_client),
            )
        ).all()
        ok = conn.execute(
            select(t.c.at, t.c.username, cliente.label("client")).where(
                t.c.action == "sign_in",
                t.c.target == "local",
                t.c.username == username[:120],
                t.c.at > since,
            )
        ).all()
    failures = [Failure(r.at, r.username, r.client) for r in rows]
    by_user = [f for f in failures if f.username == username[:120]]
    by_client = [f for f in failures if f.client == client]
    return by_user, by_client, [Failure(r.at, r.username, r.client) for r in ok]


def lock_verdict(
    engine: Engine, username: str, client: str | None = None, now: dt.datetime | None = None
) -> Verdict:
    """Whether ``client`` may try ``username`` now (lib.lockout.decide on the audit log)."""
    now = now or dt.datetime.now()
    username = username.strip()
    by_user, by_client, successes = _failures(engine, username, client, now)
    return decide(now, username[:120], client, by_user, by_client, successes)


def authenticate(engine: Engine, username: str, password: str, client: str | None = None) -> User:
    """The user, when the password matches an active account; records the attempt either way.
    The message does not say whether the user exists (no account discovery).

    ``client`` is the address the attempt comes from (lib.lockout.client_address). While a
    lock runs (lib.lockout: per user name and address, per address, per user name) the
    password is not checked and the attempt is recorded as "bloqueado", which neither counts
    as a failure nor extends the lock."""
    username = username.strip()
    now = dt.datetime.now()
    verdict = lock_verdict(engine, username, client, now)
    if verdict.locked:
        record_event(
            engine,
            username,
            "sign_in_failed",
            "bloqueado",
            details={
                "locked": True,
                "cliente": client,
                "bloqueo": verdict.key,
                "hasta": f"{verdict.locked_until:%Y-%m-%d %H:%M:%S}",
            },
        )
        raise UserError(lock_message(verdict, now))
    with engine.connect() as conn:
        row = conn.execute(select(U).where(U.c.username == username)).first()
    ok = False
    if row is not None and row.active and row.password_hash:
        try:
            ok = _hasher.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
    if not ok:
        record_event(engine, username, "sign_in_failed", "local", details={"cliente": client})
        raise UserError("Usuario o contraseña incorrectos")
    user = _as_user(row)
    record_event(engine, user, "sign_in", "local", details={"cliente": client})
    return user


def active_account(engine: Engine, username: str) -> User | None:
    """The account as stored now, or None once deactivated or deleted. A signed-in session
    re-reads it on every page, so a deactivation, or a change of role or scope, takes effect
    at the next click rather than at the next sign-in."""
    with engine.connect() as conn:
        row = conn.execute(select(U).where(U.c.username == username, U.c.active.is_(True))).first()
    return _as_user(row) if row is not None else None


def user_by_email(engine: Engine, email: str) -> User | None:
    """The active account of an identity-provider user (OIDC), matched on e-mail."""
    with engine.connect() as conn:
        row = conn.execute(
            select(U).where(func.lower(U.c.email) == email.strip().lower(), U.c.active.is_(True))
        ).first()
    return _as_user(row) if row is not None else None


def _check_scope(engine: Engine, role: str, ooad_id: int | None, sub_id: int | None) -> None:
    if role not in ROLES:
        raise UserError(f"Rol desconocido: {role!r}")
    if role == "oficina" and ooad_id is None and sub_id is None:
        raise UserError("Un usuario de oficina necesita una OOAD o una subdelegación")
    with engine.connect() as conn:
        if (
            ooad_id is not None
            and conn.execute(select(Ooad.id).where(Ooad.id == ooad_id)).first() is None
        ):
            raise UserError(f"La OOAD {ooad_id} no existe en el catálogo")
        if sub_id is not None:
            sub = conn.execute(
                select(Subdelegacion.ooad_id).where(Subdelegacion.id == sub_id)
            ).first()
            if sub is None:
                raise UserError(f"La subdelegación {sub_id} no existe en el catálogo")
            if ooad_id is not None and sub.ooad_id != ooad_id:
                raise UserError(f"La subdelegación {sub_id} no pertenece a la OOAD {ooad_id}")


def save_user(
    engine: Engine,
    actor: User,
    username: str,
    display_name: str,
    role: str,
    *,
    email: str | None = None,
    ooad_id: int | None = None,
    subdelegacion_id: int | None = None,
    can_see_identifiers: bool = False,
    active: bool = True,
    password: str | None = None,
) -> None:
    """Create or update an account (and audit the change, without the password)."""
    require(actor, Permission.MANAGE_USERS)
    username = username.strip()
    if not username or len(username) > 120:
        raise UserError("El usuario debe tener entre 1 y 120 caracteres")
    if not display_name.strip():
        raise UserError("Falta el nombre")
    _check_scope(engine, role, ooad_id, subdelegacion_id)
    if subdelegacion_id is not None and ooad_id is None:
        with engine.connect() as conn:
            ooad_id = conn.execute(
                select(Subdelegacion.ooad_id).where(Subdelegacion.id == subdelegacion_id)
            ).scalar_one()
    now = dt.datetime.now()
    values: dict[str, Any] = {
        "display_name": display_name.strip(),
        "email": (email or "").strip() or None,
        "role": role,
        "ooad_id": ooad_id,
        "subdelegacion_id": subdelegacion_id,
        "can_see_identifiers": bool(can_see_identifiers),
        "active": bool(active),
        "updated_at": now,
    }
    if password:
        values["password_hash"] = hash_password(password)
    with engine.begin() as conn:
        exists = conn.execute(select(U.c.username).where(U.c.username == username)).first()
        if exists:
            conn.execute(update(U).where(U.c.username == username).values(**values))
        else:
            conn.execute(insert(U).values(username=username, created_at=now, **values))
        record_event(
            conn,
            actor,
            "user_change",
            username,
            details={
                "alta": not exists,
                "rol": role,
                "ooad": ooad_id,
                "subdelegacion": subdelegacion_id,
                "identificadores": bool(can_see_identifiers),
                "activo": bool(active),
                "contraseña_cambiada": bool(password),
            },
        )
    if not active:  # this process asks again; others within SIGN_IN_SEEN_S (the safe side)
        _sign_in_seen.pop(engine.url.render_as_string(hide_password=True), None)


def list_users(engine: Engine) -> pd.DataFrame:
    """Every account without its password hash, for the administrators' page."""
    cols = [c for c in U.c if c.name != "password_hash"]
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(*cols, U.c.password_hash.is_not(None).label("has_password")).order_by(
                    U.c.username
                )
            )
            .mappings()
            .all()
        )
    return pd.DataFrame(rows, columns=[c.name for c in cols] + ["has_password"])


__all__ = [
    "UserError",
    "audit_events",
    "authenticate",
    "hash_password",
    "list_users",
    "local_sign_in_enabled",
    "lock_verdict",
    "save_user",
    "user_by_email",
]
