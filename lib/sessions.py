"""Local sign-ins remembered across a browser reload (app_session).

After a local sign-in the browser keeps a random token in a cookie; the database keeps only
its SHA-256, so neither a copy of the table nor a log line can sign anyone in. A reload (a new
Streamlit session) presents the cookie and resumes the sign-in while the session is within its
hours, not signed out, and the account is still active. Identity-provider sign-ins do not use
this: Streamlit's own cookie does the same for them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets

from sqlalchemy import Engine, delete, insert, select, update

from lib.access import User
from lib.db.schema import AppSession
from lib.users import active_account

S = AppSession.__table__
DEFAULT_HOURS = 8.0  # a working day; MIRADOR_SESSION_HOURS changes it, 0 turns reloads off
COOKIE = "mirador_sesion"


class SettingError(ValueError):
    """A setting of the environment that cannot be used (message in Spanish, for the user)."""


def session_hours() -> float:
    """How long a remembered sign-in lasts (MIRADOR_SESSION_HOURS; 0: a reload asks again)."""
    raw = os.environ.get("MIRADOR_SESSION_HOURS", "").strip()
    if not raw:
        return DEFAULT_HOURS
    try:
        hours = float(raw)
    except ValueError:
        raise SettingError(
            f"MIRADOR_SESSION_HOURS debe ser un número de horas (0 la desactiva), no {raw!r}"
        ) from None
    if not 0 <= hours <= 24 * 30:
        raise SettingError(f"MIRADOR_SESSION_HOURS debe estar entre 0 y 720 horas, no {raw!r}")
    return hours


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(engine: Engine, user: User, hours: float) -> tuple[str, int]:
    """A new remembered session for ``user``: (token for the cookie, its lifetime in seconds).
    Sessions that ended more than a day ago are purged on the way."""
    now = dt.datetime.now().replace(microsecond=0)
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(delete(S).where(S.c.expires_at < now - dt.timedelta(days=1)))
        conn.execute(
            insert(S).values(
                token_hash=_digest(token),
                username=user.username,
                created_at=now,
                expires_at=now + dt.timedelta(hours=hours),
                revoked_at=None,
            )
        )
    return token, int(hours * 3600)


def _open_username(engine: Engine, token: str | None) -> str | None:
    if not token:
        return None
    with engine.connect() as conn:
        return conn.execute(
            select(S.c.username).where(
                S.c.token_hash == _digest(token),
                S.c.revoked_at.is_(None),
                S.c.expires_at > dt.datetime.now(),
            )
        ).scalar_one_or_none()


def session_open(engine: Engine, token: str | None) -> bool:
    """Whether a remembered session still holds: not expired, not signed out (in any tab)."""
    return _open_username(engine, token) is not None


def resumed_user(engine: Engine, token: str | None) -> User | None:
    """The account a cookie's token stands for, as stored now; None when there is no such
    session, it expired or was closed, or the account is no longer active."""
    username = _open_username(engine, token)
    return active_account(engine, username) if username is not None else None


def close_session(engine: Engine, token: str | None) -> None:
    """End a remembered session (sign-out, or the account was deactivated)."""
    if not token:
        return
    with engine.begin() as conn:
        conn.execute(
            update(S)
            .where(S.c.token_hash == _digest(token), S.c.revoked_at.is_(None))
            .values(revoked_at=dt.datetime.now().replace(microsecond=0))
        )
