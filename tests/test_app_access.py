"""AppTest of sign-in, roles and scope, and of the orientation page's model card and feedback
(issues 7 and 11), on a tiny institute with a trained model and local accounts."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib.access import SYSTEM_USER, User
from lib.audit import audit_events
from lib.db.engine import make_engine
from lib.users import save_user
from tests.apptest import signed_in

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "clave-de-prueba-1"
ADMIN = User("admin", "Admin", "administrador")
ACCOUNTS = {
    "titular": {"role": "titular"},
    "analista": {"role": "analista"},
    "planeador": {"role": "planeador"},
    "jalisco": {"role": "oficina", "ooad_id": 14},
    "admin": {"role": "administrador"},
}


@pytest.fixture(scope="module")
def trained_url(sqlite_tiny, tmp_path_factory) -> str:
    """The tiny institute with a trained, scored model: no accounts yet (demo mode)."""
    from lib.model.pipeline import train_store_and_score

    path = tmp_path_factory.mktemp("trained") / "trained.db"
    shutil.copy(sqlite_tiny.removeprefix("sqlite:///"), path)
    engine = make_engine(f"sqlite:///{path}")
    train_store_and_score(engine, dt.date(2026, 4, 1), dt.date(2026, 11, 1), actor=SYSTEM_USER)
    engine.dispose()
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def accounts_url(trained_url, tmp_path_factory) -> str:
    """The same, with one local account per role: sign-in is now required."""
    path = tmp_path_factory.mktemp("accounts") / "accounts.db"
    shutil.copy(trained_url.removeprefix("sqlite:///"), path)
    engine = make_engine(f"sqlite:///{path}")
    for name, spec in ACCOUNTS.items():
        save_user(engine, ADMIN, name, name.capitalize(), password=PASSWORD, **spec)
    engine.dispose()
    return f"sqlite:///{path}"


def _app(monkeypatch, url: str, page: str | None = None, **params: str) -> AppTest:
    monkeypatch.setenv("MIRADOR_DATABASE_URL", url)
    at = AppTest.from_file(str(ROOT / (page or "Home.py")), default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def _sign_in(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    at.text_input(key="acceso_usuario").input(username)
    at.text_input(key="acceso_clave").input(password)
    return at.button[0].click().run()


def _as(monkeypatch, url: str, username: str, **params: str) -> AppTest:
    """Home.py with the session already signed in as ``username``."""
    return signed_in(monkeypatch, url, username, PASSWORD, **params)


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_without_accounts_the_demo_user_is_labelled(trained_url, monkeypatch):
    at = _app(monkeypatch, trained_url)
    assert not at.exception
    assert any("Sesión de demostración" in c.value for c in at.sidebar.caption)


def test_accounts_require_sign_in_and_wrong_passwords_are_refused(accounts_url, monkeypatch):
    at = _app(monkeypatch, accounts_url, "pages/1_resumen.py")
    assert not at.exception
    assert at.subheader[0].value == "Iniciar sesión" and not at.metric  # no data before sign-in
    at = _sign_in(at, "titular", "equivocada")
    assert any("incorrectos" in e.value for e in at.error) and not at.metric
    at = _sign_in(at, "titular")
    assert not at.exception and at.title[0].value == "Resumen ejecutivo"
    assert any("Titular" in c.value for c in at.sidebar.caption)
    engine = make_engine(accounts_url)
    actions = audit_events(engine)["action"].tolist()
    engine.dispose()
    assert "sign_in" in actions and "sign_in_failed" in actions


def test_office_user_sees_only_its_ooad_and_a_forged_url_is_logged(accounts_url, monkeypatch):
    at = _as(monkeypatch, accounts_url, "jalisco", ooad="20")
    assert not at.exception
    assert at.caption[0].value.startswith("OOAD Jalisco")
    assert at.sidebar.selectbox(key="ooad").options == ["Jalisco"]
    engine = make_engine(accounts_url)
    forged = audit_events(engine, action="forged_scope")
    engine.dispose()
    assert len(forged) >= 1 and forged["username"].iloc[0] == "jalisco"
    assert forged["details"].iloc[0]["ooad"] == 20


def test_roles_on_the_orientation_list(accounts_url, monkeypatch):
    seen = {}
    for username in ("titular", "planeador", "jalisco"):
        at = _as(monkeypatch, accounts_url, username)
        at.switch_page("pages/6_orientacion.py").run()
        assert not at.exception, username
        seen[username] = at
    assert seen["titular"].dataframe[0].value["Registro patronal"].str.contains("•").all()
    assert any("agregados" in i.value for i in seen["planeador"].info)
    assert not seen["planeador"].dataframe or "Registro patronal" not in (
        seen["planeador"].dataframe[0].value.columns
    )
    office = seen["jalisco"].dataframe[0].value
    assert not office["Registro patronal"].str.contains("•").any()  # offices call their patrons
    engine = make_engine(accounts_url)
    with engine.connect() as conn:
        import pandas as pd

        jal = pd.read_sql("SELECT name FROM subdelegacion WHERE ooad_id = 14", conn)[
            "name"
        ].tolist()
    engine.dispose()
    assert set(office["Subdelegación"]) <= set(jal)


def test_admin_pages_are_for_administrators_only(accounts_url, monkeypatch):
    at = _as(monkeypatch, accounts_url, "analista")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/96_auditoria.py")  # not in the analyst's menu
    typed = AppTest.from_file(str(ROOT / "pages/96_auditoria.py"), default_timeout=90)
    typed.session_state["_mirador_user"] = at.session_state["_mirador_user"]
    typed.session_state["_mirador_signed_in"] = "local"
    typed.run()  # the page opened directly (a typed URL) refuses the role itself
    assert any("no tiene acceso" in e.value for e in typed.error) and not typed.dataframe
    at = _as(monkeypatch, accounts_url, "admin")
    at.switch_page("pages/96_auditoria.py").run()
    assert not at.exception
    log = at.dataframe[0].value
    assert {"Inicio de sesión", "Cambio de usuario o rol"} <= set(log["Acción"])
    at.text_input(key="quien").input("nadie-con-este-nombre").run()
    assert not at.dataframe
    assert any(c.value == "Ningún evento coincide con la búsqueda." for c in at.main.caption)
    at.switch_page("pages/95_usuarios.py").run()
    assert not at.exception
    assert set(at.dataframe[0].value["username"]) == set(ACCOUNTS)


def test_orientation_model_card_and_feedback_tabs(trained_url, monkeypatch):
    at = _app(monkeypatch, trained_url, vista="Ficha del modelo")
    at.switch_page("pages/6_orientacion.py").run()
    assert not at.exception
    charts = at.get("plotly_chart")
    assert len(charts) == 2  # gain and calibration
    segments = at.dataframe[1].value
    assert {"Tamaño", "División económica", "OOAD"} <= set(segments["Segmento"])
    assert any("Ganancia" in str(c.proto.spec) for c in charts)
    at = _app(monkeypatch, trained_url, vista="Retroalimentación")
    at.switch_page("pages/6_orientacion.py").run()
    assert not at.exception
    effect = _metric(at, "Efecto en la probabilidad de pagar tarde")
    assert effect.endswith(" pp")
    assert any("selección" in c.value for c in at.caption)


def test_a_deactivated_or_changed_account_applies_at_the_next_page(
    accounts_url, tmp_path, monkeypatch
):
    """A session signed in before an administrator changes the account does not keep the old
    rights: a new role applies at the next page, a deactivation closes the session."""
    path = tmp_path / "changed.db"
    shutil.copy(accounts_url.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    at = _as(monkeypatch, url, "analista")
    assert not at.exception and any("Analista" in c.value for c in at.sidebar.caption)

    engine = make_engine(url)
    save_user(engine, ADMIN, "analista", "Analista", "planeador", password=None)
    at.run()
    assert not at.exception
    assert any("Planeador" in c.value for c in at.sidebar.caption)
    assert at.session_state["_mirador_user"].role == "planeador"

    save_user(engine, ADMIN, "analista", "Analista", "planeador", active=False, password=None)
    at.run()
    assert not at.exception
    assert any("dada de baja" in w.value for w in at.warning)
    assert at.subheader[0].value == "Iniciar sesión" and not at.metric
    revoked = audit_events(engine, action="session_revoked")
    engine.dispose()
    assert revoked["username"].tolist() == ["analista"]


def _oidc(monkeypatch, url: str, user: dict) -> AppTest:
    """Home.py with an identity provider configured ([auth] in secrets) and ``st.user`` as
    the provider would give it: the path the division uses in production, without a live
    provider (Streamlit's own st.login/st.logout handshake is theirs to test)."""
    monkeypatch.setenv("MIRADOR_DATABASE_URL", url)
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=90)
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "prueba",
        "client_id": "mirador",
        "client_secret": "prueba",
        "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
    }
    at.user = user
    return at.run()


def test_identity_provider_sign_in_matches_the_account_by_email(
    accounts_url, tmp_path, monkeypatch
):
    """OIDC: signed out, only the sign-in button; an e-mail with an active account (any case)
    gets that account's role and scope, audited; an unknown e-mail is refused and logged; a
    deactivated account's session closes at the next page."""
    path = tmp_path / "oidc.db"
    shutil.copy(accounts_url.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    save_user(engine, ADMIN, "jalisco", "Oficina Jalisco", "oficina", ooad_id=14,
              email="jalisco@imss.gob.mx")  # fmt: skip

    at = _oidc(monkeypatch, url, {"is_logged_in": False})
    assert not at.exception
    assert [b.label for b in at.button] == ["Iniciar sesión"] and not at.metric

    at = _oidc(monkeypatch, url, {"is_logged_in": True, "email": "Jalisco@IMSS.gob.mx"})
    assert not at.exception
    assert any("Oficina Jalisco" in c.value for c in at.sidebar.caption)
    assert at.session_state["_mirador_user"].ooad_id == 14 and at.metric
    assert [o for o in at.selectbox(key="ooad").options] == ["Jalisco"]
    # the very first menu is the office's (the provider's session is matched before the
    # menu is built), not the demo administrator's
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/92_importar.py")
    signed = audit_events(engine, action="sign_in")  # the copy holds other tests' events too
    assert ((signed["username"] == "jalisco") & (signed["target"] == "oidc")).sum() == 1

    stranger = _oidc(monkeypatch, url, {"is_logged_in": True, "email": "otro@imss.gob.mx"})
    assert not stranger.exception and not stranger.metric
    assert any("no está dada de alta" in e.value for e in stranger.error)
    failed = audit_events(engine, action="sign_in_failed")
    assert failed["username"].tolist().count("otro@imss.gob.mx") == 1
    assert failed[failed["username"] == "otro@imss.gob.mx"]["target"].tolist() == ["oidc"]

    save_user(engine, ADMIN, "jalisco", "Oficina Jalisco", "oficina", ooad_id=14,
              email="jalisco@imss.gob.mx", active=False)  # fmt: skip
    at.run()
    assert not at.exception and not at.metric
    assert any("dada de baja" in w.value for w in at.warning)
    assert "jalisco" in audit_events(engine, action="session_revoked")["username"].tolist()
    engine.dispose()


TOKEN = "_mirador_session_token"


def _cookie_scripts(at: AppTest) -> list[str]:
    return [h.proto.body for h in at.get("html") if "mirador_sesion=" in h.proto.body]


def test_a_reload_resumes_a_local_sign_in_until_sign_out(accounts_url, tmp_path, monkeypatch):
    """A local sign-in writes a session cookie; a new session (a reload) presenting it is
    signed in without the form; after sign-out the same cookie signs nobody in."""
    import lib.ui.auth as auth

    path = tmp_path / "sessions.db"
    shutil.copy(accounts_url.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    at = _sign_in(_app(monkeypatch, url, "pages/1_resumen.py"), "analista")
    assert not at.exception and at.title[0].value == "Resumen ejecutivo"
    token = at.session_state[TOKEN]
    [script] = _cookie_scripts(at)
    assert f"mirador_sesion={token}; Path=/; Max-Age=28800; SameSite=Strict" in script

    monkeypatch.setattr(auth, "_browser_token", lambda: token)  # the reload sends the cookie
    reload = _app(monkeypatch, url, "pages/1_resumen.py")
    assert not reload.exception and reload.title[0].value == "Resumen ejecutivo"
    assert any("Analista" in c.value for c in reload.sidebar.caption) and reload.metric
    assert not _cookie_scripts(reload)  # the browser already holds it
    engine = make_engine(url)
    resumed = audit_events(engine, action="sign_in")
    assert "sesión recordada" in resumed["target"].tolist()

    reload.sidebar.button(key="salir").click().run()
    assert reload.subheader[0].value == "Iniciar sesión" and not reload.metric
    [cleared] = _cookie_scripts(reload)
    assert "mirador_sesion=; Path=/; Max-Age=0" in cleared
    again = _app(monkeypatch, url, "pages/1_resumen.py")  # the old cookie, after sign-out
    assert again.subheader[0].value == "Iniciar sesión" and not again.metric
    at.run()  # the first tab, still open: its next click finds the session closed
    assert at.subheader[0].value == "Iniciar sesión" and not at.metric
    assert any("se cerró en otra pestaña" in i.value for i in at.info)

    # a shared computer: someone else is remembered here, the next person unticks the box
    other = _sign_in(_app(monkeypatch, url, "pages/1_resumen.py"), "titular")
    monkeypatch.setattr(auth, "_browser_token", lambda: other.session_state[TOKEN])
    form = _app(monkeypatch, url, "pages/1_resumen.py")
    assert any("Titular" in c.value for c in form.sidebar.caption)  # resumed: sign out first
    form.sidebar.button(key="salir").click().run()
    assert form.checkbox(key="acceso_recordar").value is True  # offered, on by default
    form.checkbox(key="acceso_recordar").uncheck()
    at = _sign_in(form, "analista")
    assert at.title[0].value == "Resumen ejecutivo"
    assert TOKEN not in at.session_state
    [cleared] = _cookie_scripts(at)  # the titular's cookie is cleared, nothing new is set
    assert "mirador_sesion=; Path=/; Max-Age=0" in cleared
    assert _app(monkeypatch, url, "pages/1_resumen.py").subheader[0].value == "Iniciar sesión"

    monkeypatch.setenv("MIRADOR_SESSION_HOURS", "ocho")  # a bad setting: said, not a crash
    bad = _app(monkeypatch, url, "pages/1_resumen.py")
    assert not bad.exception and not bad.metric
    assert "Un ajuste de Mirador no es válido" in bad.error[0].value
    assert "MIRADOR_SESSION_HOURS" in bad.error[0].value

    monkeypatch.setattr(auth, "_browser_token", lambda: None)  # a browser with no cookie
    monkeypatch.setenv("MIRADOR_SESSION_HOURS", "0")  # remembering turned off
    form = _app(monkeypatch, url, "pages/1_resumen.py")
    assert not form.checkbox  # not even offered
    at = _sign_in(form, "analista")
    assert at.title[0].value == "Resumen ejecutivo" and not _cookie_scripts(at)
    assert TOKEN not in at.session_state
    engine.dispose()
