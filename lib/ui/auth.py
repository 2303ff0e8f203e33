"""The sign-in gate every page passes through (called by page_setup).

Three modes, chosen by configuration, never by the page:
- an identity provider in secrets ([auth], Streamlit's st.login/st.user, OIDC): the account
  is matched on e-mail to an active app_user row, which gives role and scope;
- local accounts: the database holds an active user with a password (lib.users);
- neither: the embedded demo runs as the demo user, labelled as such on every page.
"""

from __future__ import annotations

import json

import streamlit as st
from sqlalchemy import Engine

from lib.access import DEMO_USER, ROLES, User, may
from lib.audit import record_event
from lib.db.engine import DEFAULT_SQLITE_PATH, database_target, write_url
from lib.format import fmt_num
from lib.lockout import ProxySettingError, client_address, trusted_proxies
from lib.policy import POLICY, Permission
from lib.sessions import (
    COOKIE,
    SettingError,
    close_session,
    open_session,
    resumed_user,
    session_hours,
    session_open,
)
from lib.ui.data import engine_for
from lib.ui.session import current_user, session_user, set_current_user
from lib.users import (
    UserError,
    active_account,
    authenticate,
    local_sign_in_enabled,
    user_by_email,
)

_SIGNED = "_mirador_signed_in"
_TOKEN = "_mirador_session_token"  # this session's remembered sign-in (lib.sessions)
_COOKIE_OP = "_mirador_cookie"  # what the browser's cookie must become: (token, seconds)


def _client() -> str | None:
    """The address this session's sign-in attempts are counted against (lib.lockout): the
    connection's, or X-Forwarded-For's when the connection comes from a proxy listed in
    MIRADOR_TRUSTED_PROXIES."""
    try:
        trusted = trusted_proxies()
    except ProxySettingError as exc:
        raise SettingError(str(exc)) from None
    try:
        peer = st.context.ip_address
        forwarded = st.context.headers.get("X-Forwarded-For") if trusted else None
    except Exception:  # no browser (bare script)
        return None
    peer = peer if isinstance(peer, str) else None  # AppTest's context is a mock
    forwarded = forwarded if isinstance(forwarded, str) else None
    return client_address(peer, forwarded, trusted)


def _browser_token() -> str | None:
    """The remembered-session cookie the browser sent when this session opened."""
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # no browser (bare script): nothing remembered
        return None
    return value if isinstance(value, str) else None  # AppTest's context is a mock


def _write_cookie() -> None:
    """Set or clear the browser's cookie when a sign-in or sign-out asked for it. Streamlit
    has no cookie API: a one-line script does it (path /, SameSite=Strict, Secure on https).
    The value is a random token of URL-safe characters; nothing else is written."""
    op = st.session_state.pop(_COOKIE_OP, None)
    if op is None:
        return
    token, seconds = op
    cookie = json.dumps(f"{COOKIE}={token}; Path=/; Max-Age={seconds}; SameSite=Strict")
    secure = "(location.protocol === 'https:' ? '; Secure' : '')"
    with st.sidebar:
        st.html(f"<script>document.cookie = {cookie} + {secure};</script>",
                unsafe_allow_javascript=True)  # fmt: skip


def _remember(engine: Engine, user: User) -> None:
    """Open a remembered session for a local sign-in (the form offers it only when
    MIRADOR_SESSION_HOURS is above 0)."""
    token, seconds = open_session(engine, user, session_hours())
    st.session_state[_TOKEN] = token
    st.session_state[_COOKIE_OP] = (token, seconds)


def _forget(engine: Engine) -> None:
    """End this session's remembered sign-in, here and in the browser."""
    token = st.session_state.pop(_TOKEN, None) or _browser_token()
    if token:
        close_session(engine, token)
        st.session_state[_COOKIE_OP] = ("", 0)


def _ended_elsewhere(engine: Engine) -> bool:
    """A remembered session signed out in another tab, or past its hours: this tab closes
    too, at its next click (one primary-key lookup)."""
    token = st.session_state.get(_TOKEN)
    if token is None or session_open(engine, token):
        return False
    st.session_state.pop(_TOKEN, None)
    st.session_state[_SIGNED] = "out"
    set_current_user(None)
    st.info("Su sesión se cerró en otra pestaña o venció. Inicie sesión de nuevo.")
    return True


def _resumed(engine: Engine) -> User | None:
    """A reload of a signed-in browser: the account its cookie stands for, if still valid."""
    token = _browser_token()
    if not token or session_hours() == 0:
        return None
    user = resumed_user(engine, token)
    if user is not None:
        set_current_user(user)
        st.session_state[_SIGNED] = "local"
        st.session_state[_TOKEN] = token
        record_event(engine, user, "sign_in", "sesión recordada")
    return user


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _sign_in_form(engine: Engine) -> None:
    st.title("Mirador")
    st.subheader("Iniciar sesión")
    st.caption(
        "Los datos de patrones son información fiscal: cada acceso y cada descarga quedan "
        "registrados."
    )
    hours = session_hours()
    with st.form("acceso"):
        username = st.text_input("Usuario", key="acceso_usuario")
        password = st.text_input("Contraseña", type="password", key="acceso_clave")
        keep = hours > 0 and st.checkbox(
            f"Mantener la sesión en este navegador ({fmt_num(hours, 0 if hours.is_integer() else 1)} h)",
            value=True,
            key="acceso_recordar",
            help="Al recargar la página o abrir otra pestaña no se vuelve a pedir la "
            "contraseña. Desmárquelo en una computadora compartida.",
        )
        sent = st.form_submit_button("Entrar", icon=":material/login:")
    if sent:
        try:
            user = authenticate(engine, username, password, client=_client())
        except UserError as exc:
            st.error(str(exc), icon=":material/lock:")
        else:
            set_current_user(user)
            st.session_state[_SIGNED] = "local"
            # a sign-in replaces whatever this browser remembered (someone else's, on a
            # shared computer): otherwise a reload would resume that other session
            _forget(engine)
            if keep:
                _remember(engine, user)
            st.rerun()
    st.stop()


def _oidc_user(engine: Engine) -> User:
    if not st.user.is_logged_in:
        st.title("Mirador")
        st.write("Ingrese con su cuenta institucional.")
        st.button("Iniciar sesión", on_click=st.login, icon=":material/login:")
        st.stop()
    user = current_user()
    if st.session_state.get(_SIGNED) == "oidc" and not user.is_demo:
        still = _revalidated(engine, user)
        if still is not None:
            return still
    email = str(st.user.get("email") or "")
    found = user_by_email(engine, email) if email else None
    if found is None:
        record_event(engine, email or "(sin correo)", "sign_in_failed", "oidc")
        st.error(
            "Su cuenta institucional no está dada de alta en Mirador. Pida acceso a un "
            "administrador de la división.",
            icon=":material/lock:",
        )
        st.button("Salir", on_click=st.logout)
        st.stop()
    record_event(engine, found, "sign_in", "oidc")
    set_current_user(found)
    st.session_state[_SIGNED] = "oidc"
    return found


def _revalidated(engine: Engine, user: User) -> User | None:
    """The session's user as the database has it now; None (and the session closed, with the
    reason on screen and in the audit log) when the account was deactivated meanwhile."""
    now = active_account(engine, user.username)
    if now is None:
        record_event(engine, user, "session_revoked", "cuenta inactiva")
        _forget(engine)
        set_current_user(None)
        st.session_state.pop(_SIGNED, None)
        st.warning(
            "Su cuenta fue dada de baja o ya no existe, y su sesión se cerró. Si es un error, "
            "pida a un administrador que la reactive.",
            icon=":material/lock:",
        )
        return None
    if now != user:  # role, scope or permissions changed: they apply from this page on
        set_current_user(now)
    return now


def signed_in_user(engine: Engine) -> User:
    """The user this session acts as; stops the page with a sign-in form when one is needed."""
    if oidc_configured():
        user = _oidc_user(engine)
    elif local_sign_in_enabled(engine):
        user = current_user()
        if not user.is_demo and st.session_state.get(_SIGNED) == "local":
            if _ended_elsewhere(engine):
                user = DEMO_USER
            else:
                user = _revalidated(engine, user) or DEMO_USER
        elif _SIGNED not in st.session_state:  # a new browser session: a reload, a new tab
            user = _resumed(engine) or DEMO_USER
        _write_cookie()
        if user.is_demo or st.session_state.get(_SIGNED) != "local":
            set_current_user(None)
            _sign_in_form(engine)
    else:
        user = DEMO_USER
        set_current_user(None)
    _sidebar(engine, user)
    return user


def _sign_out(engine: Engine, user: User) -> None:
    record_event(engine, user, "sign_out", st.session_state.get(_SIGNED, "local"))
    _forget(engine)
    set_current_user(None)
    st.session_state[_SIGNED] = "out"  # signed out on purpose: the cookie is not tried again


def _sidebar(engine: Engine, user: User) -> None:
    sb = st.sidebar
    if user.is_demo:
        sb.caption(":material/science: Sesión de demostración (sin inicio de sesión configurado)")
        return
    sb.caption(f":material/person: **{user.display_name}** · {ROLES[user.role]}")
    if st.session_state.get(_SIGNED) == "oidc":
        if sb.button("Cerrar sesión", key="salir"):
            _sign_out(engine, user)
            st.logout()
    else:
        sb.button("Cerrar sesión", key="salir", on_click=_sign_out, args=(engine, user))


def menu_user() -> User | None:
    """Whom the menu is built for, before any page has run: the signed-in user, the account a
    remembered cookie or the identity provider's session stands for (so the first menu after
    a reload is already the right one), the demo user when no sign-in is configured, and
    otherwise nobody.
    A database that cannot be reached yet gives nobody: the page then says what is wrong."""
    user = session_user()
    if user is not None:
        return user
    target = database_target()
    if target.is_default and not DEFAULT_SQLITE_PATH.exists() and not oidc_configured():
        return DEMO_USER  # first start: the demo is being created, no account can exist
    try:
        engine = engine_for(write_url(target))
        if oidc_configured():  # the provider's session, matched as the page will match it
            email = str(st.user.get("email") or "") if st.user.is_logged_in else ""
            return user_by_email(engine, email) if email else None
        if not local_sign_in_enabled(engine):
            return DEMO_USER
        if st.session_state.get(_SIGNED) is None:
            return _resumed(engine)
    except Exception:
        return None
    return None


def require(user: User, permission: Permission, engine: Engine | None = None) -> None:
    """Stop the page when the policy refuses ``permission`` to this user: the menu hides such
    pages, so whoever lands here typed or forged a URL, which is recorded when ``engine``
    (the write engine) is given."""
    if may(user, permission):
        return
    if engine is not None:
        record_event(engine, user, "access_denied", str(permission.value))
    st.error(
        f"Su rol no tiene acceso a esta página. {POLICY[permission].why} Si lo necesita, "
        "pídalo a un administrador.",
        icon=":material/lock:",
    )
    st.stop()


def permitted(user: User, permission: Permission, message: str) -> bool:
    """For a tab or section inside a page: whether to draw it; if not, ``message`` says why."""
    if may(user, permission):
        return True
    st.info(message, icon=":material/lock:")
    return False
