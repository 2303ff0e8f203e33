"""Issue 11: who sees what. Scope is cut in lib (enforce_scope → Filters → every query), roles
decide lists and identifiers, sign-in uses hashed passwords, forged URLs are logged, and text
that looks like SQL or HTML is stored and shown as text."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import inspect, text

from lib.access import (
    DEMO_USER,
    User,
    enforce_scope,
    mask_identifier,
    sees_identifiers,
    sees_patron_lists,
)
from lib.audit import audit_events
from lib.db.engine import make_engine
from lib.filters import Filters
from lib.queries import overview
from lib.users import UserError, authenticate, list_users, save_user

ROOT = Path(__file__).resolve().parents[1]
F = Filters(dt.date(2025, 11, 1), dt.date(2026, 10, 1))
OOAD_OF = {1412: 14, 1415: 14, 2001: 20}
ADMIN = User("admin", "Administración", "administrador")
OFFICE_14 = User("jal", "Oficina Jalisco", "oficina", ooad_id=14)
OFFICE_SUB = User("gdl", "Subdelegación", "oficina", ooad_id=14, subdelegacion_id=1412)
HOSTILE = "x'); DROP TABLE app_user; --"
HTML = "<script>alert('xss')</script><b>negrita</b>"


def test_national_roles_keep_the_requested_place() -> None:
    for role in ("titular", "analista", "planeador", "administrador"):
        user = User("u", "U", role)
        asked = Filters(F.start, F.end, ooad_id=20)
        assert enforce_scope(asked, user, OOAD_OF) == asked


def test_office_scope_cannot_be_widened_or_moved() -> None:
    assert enforce_scope(F, OFFICE_14, OOAD_OF).ooad_id == 14  # national → own OOAD
    moved = enforce_scope(Filters(F.start, F.end, ooad_id=20), OFFICE_14, OOAD_OF)
    assert (moved.ooad_id, moved.subdelegacion_id) == (14, None)
    inside = enforce_scope(Filters(F.start, F.end, 14, 1415), OFFICE_14, OOAD_OF)
    assert (inside.ooad_id, inside.subdelegacion_id) == (14, 1415)  # narrower: kept
    other = enforce_scope(Filters(F.start, F.end, 20, 2001), OFFICE_14, OOAD_OF)
    assert (other.ooad_id, other.subdelegacion_id) == (14, None)
    for asked in (F, Filters(F.start, F.end, 14, 1415), Filters(F.start, F.end, 20, 2001)):
        cut = enforce_scope(asked, OFFICE_SUB, OOAD_OF)
        assert (cut.ooad_id, cut.subdelegacion_id) == (14, 1412)


def test_role_rules_for_lists_and_identifiers() -> None:
    assert not sees_patron_lists(User("p", "P", "planeador"))
    assert all(sees_patron_lists(User("u", "U", r)) for r in ("titular", "analista", "oficina"))
    assert not sees_identifiers(User("t", "T", "titular"))
    assert not sees_identifiers(User("a", "A", "analista"))
    assert sees_identifiers(User("a", "A", "analista", can_see_identifiers=True))
    assert sees_identifiers(OFFICE_14) and not sees_identifiers(DEMO_USER)
    assert mask_identifier("Y1234567890") == "Y12•••••890"
    assert mask_identifier("ABC") == "•••"


def test_scoped_queries_return_only_the_office(db) -> None:
    """What an office user's page asks lib for: only its OOAD, whatever the request was."""
    national = overview.monthly_indicators(db.engine, F, F.start)
    cut = enforce_scope(Filters(F.start, F.end, ooad_id=20), OFFICE_14, OOAD_OF)
    office = overview.monthly_indicators(db.engine, cut, F.start)
    own = overview.monthly_indicators(db.engine, Filters(F.start, F.end, ooad_id=14), F.start)
    assert office.equals(own)
    assert office["contacts"].sum() < national["contacts"].sum()
    with db.engine.connect() as conn:
        jalisco = conn.execute(
            text(
                "SELECT COUNT(*) FROM interaction i JOIN subdelegacion s "
                "ON s.id = i.subdelegacion_id WHERE s.ooad_id = 14 AND i.outcome <> 'abandonado' "
                "AND i.month BETWEEN '2025-11-01' AND '2026-10-01'"
            )
        ).scalar_one()
    assert office["contacts"].sum() == jalisco


@pytest.fixture
def users_db(db, tmp_path, request):
    """A private copy of the tiny institute on the same backend, for tests that write."""
    from lib.demo.seed import seed

    if db.name == "sqlite":
        path = tmp_path / "users.db"
        shutil.copy(db.url.removeprefix("sqlite:///"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_database_factory")()
        seed(make_engine(url), "tiny", 1)
    engine = make_engine(url)
    yield url, engine
    engine.dispose()


def test_passwords_are_hashed_and_sign_in_is_audited(users_db) -> None:
    _, engine = users_db
    save_user(engine, ADMIN, "ana", "Ana", "analista", password="una clave larga 1")
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM app_user")).scalar_one()
    assert stored.startswith("$argon2") and "una clave" not in stored
    assert authenticate(engine, "ana", "una clave larga 1").role == "analista"
    with pytest.raises(UserError, match="Usuario o contraseña incorrectos"):
        authenticate(engine, "ana", "otra")
    with pytest.raises(UserError, match="Usuario o contraseña incorrectos"):
        authenticate(engine, "nadie", "otra")  # same message: no account discovery
    actions = list(audit_events(engine)["action"])
    assert actions.count("sign_in") == 1 and actions.count("sign_in_failed") == 2
    assert "user_change" in actions
    for _ in range(4):
        with pytest.raises(UserError):
            authenticate(engine, "ana", "mal")
    with pytest.raises(UserError, match="Acceso bloqueado"):
        authenticate(engine, "ana", "una clave larga 1")  # locked even with the right one
    with pytest.raises(UserError, match="al menos 10"):
        save_user(engine, ADMIN, "beto", "Beto", "titular", password="corta")
    with pytest.raises(UserError, match="necesita una OOAD"):
        save_user(engine, ADMIN, "ofi", "Ofi", "oficina")
    with pytest.raises(UserError, match="no pertenece"):
        save_user(engine, ADMIN, "ofi", "Ofi", "oficina", ooad_id=20, subdelegacion_id=1412)


def test_a_flood_from_one_address_locks_that_address_only_and_never_extends(users_db) -> None:
    """Issue 16: lockout per user name and address; attempts while locked are recorded as
    "bloqueado" but are not failures, so the lock ends 1 minute after the 5th failure however
    many attempts follow; the same user signs in from another address meanwhile."""
    import datetime as dt

    from lib.users import lock_verdict

    _, engine = users_db
    save_user(engine, ADMIN, "titular", "Titular", "titular", password="clave del titular")
    attacker, office = "203.0.113.7", "10.20.30.40"
    for _ in range(5):
        with pytest.raises(UserError, match="incorrectos"):
            authenticate(engine, "titular", "adivinanza", client=attacker)
    fifth = audit_events(engine, action="sign_in_failed")["at"].max()
    for _ in range(30):  # the flood goes on while locked
        with pytest.raises(UserError, match="Acceso bloqueado.*desde este equipo"):
            authenticate(engine, "titular", "adivinanza", client=attacker)
    with pytest.raises(UserError, match="Acceso bloqueado"):
        authenticate(engine, "titular", "clave del titular", client=attacker)
    assert authenticate(engine, "titular", "clave del titular", client=office).role == "titular"
    failed = audit_events(engine, action="sign_in_failed")
    assert (failed["target"] == "local").sum() == 5  # hand count: the 5 wrong passwords
    assert (failed["target"] == "bloqueado").sum() == 31  # 30 + the right password, refused
    assert set(failed["details"].map(lambda d: d["cliente"])) == {attacker}
    # the lock is computed from the 5th failure, not from the latest attempt, and the
    # office's sign-in above did not free the attacker's address
    fifth = pd.Timestamp(fifth).to_pydatetime()
    still = lock_verdict(engine, "titular", attacker, now=fifth + dt.timedelta(seconds=59))
    assert still.locked and still.locked_until == fifth + dt.timedelta(minutes=1)
    assert not lock_verdict(
        engine, "titular", attacker, now=fifth + dt.timedelta(seconds=61)
    ).locked
    assert not lock_verdict(engine, "titular", office).locked


def test_remembered_sessions_resume_until_expiry_sign_out_or_deactivation(
    users_db, monkeypatch
) -> None:
    from lib import sessions

    _, engine = users_db
    save_user(engine, ADMIN, "ana", "Ana", "analista", password="una clave larga 1")
    ana = authenticate(engine, "ana", "una clave larga 1")
    token, seconds = sessions.open_session(engine, ana, 8)
    assert seconds == 8 * 3600 and len(token) >= 40
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash, username FROM app_session")).one()
    assert stored.username == "ana" and token not in stored.token_hash  # only its SHA-256
    assert sessions.resumed_user(engine, token) == ana
    assert sessions.resumed_user(engine, token + "x") is None
    assert sessions.resumed_user(engine, stored.token_hash) is None  # the hash is no key
    assert sessions.resumed_user(engine, None) is None

    assert sessions.session_open(engine, token)
    sessions.close_session(engine, token)  # sign-out
    assert sessions.resumed_user(engine, token) is None
    assert not sessions.session_open(engine, token) and not sessions.session_open(engine, None)

    other, _ = sessions.open_session(engine, ana, 8)
    with engine.begin() as conn:
        conn.execute(text("UPDATE app_session SET expires_at = :t"), {"t": dt.datetime(2020, 1, 1)})
    assert sessions.resumed_user(engine, other) is None  # expired
    third, _ = sessions.open_session(engine, ana, 8)  # purges sessions ended over a day ago
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM app_session")).scalar_one() == 1
    save_user(engine, ADMIN, "ana", "Ana", "titular", password=None)
    assert sessions.resumed_user(engine, third).role == "titular"  # the account as it is now
    save_user(engine, ADMIN, "ana", "Ana", "titular", active=False, password=None)
    assert sessions.resumed_user(engine, third) is None  # deactivated

    assert sessions.session_hours() == sessions.DEFAULT_HOURS
    monkeypatch.setenv("MIRADOR_SESSION_HOURS", "0")
    assert sessions.session_hours() == 0
    for bad in ("ocho", "-1", "1000"):
        monkeypatch.setenv("MIRADOR_SESSION_HOURS", bad)
        with pytest.raises(ValueError, match="MIRADOR_SESSION_HOURS"):
            sessions.session_hours()


def test_sql_and_html_in_text_inputs_are_stored_as_text(users_db) -> None:
    """Parameterised everywhere: hostile user names, display names and audit text are data."""
    _, engine = users_db
    save_user(engine, ADMIN, HOSTILE, HTML, "titular", email=HOSTILE, password="0123456789ab")
    with pytest.raises(UserError):
        authenticate(engine, HOSTILE, "' OR '1'='1")
    users = list_users(engine)
    row = users[users["username"] == HOSTILE].iloc[0]
    assert row["display_name"] == HTML and row["email"] == HOSTILE
    assert "app_user" in inspect(engine).get_table_names()
    failed = audit_events(engine, action="sign_in_failed")
    assert failed["username"].iloc[0] == HOSTILE
    scoped = overview.monthly_indicators(
        engine, Filters(F.start, F.end, channel_id=HOSTILE), F.start
    )
    assert scoped["contacts"].sum() == 0  # a filter value is compared, never executed


def _statements(sql: str) -> list[str]:
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


def test_read_only_role_can_read_pages_and_cannot_write(pg_database_factory) -> None:
    """The documented PostgreSQL roles (docs/sql/roles.sql): pages read through a SELECT-only
    role and cannot write; the writer role can record what the app writes."""
    import uuid

    from sqlalchemy.engine import make_url

    from lib.audit import record_event
    from lib.demo.seed import seed

    url = pg_database_factory()
    owner = make_engine(url)
    seed(owner, "tiny", 1)
    tag = uuid.uuid4().hex[:8]
    reader_group, writer_group = f"mrd_reader_{tag}", f"mrd_writer_{tag}"
    reader_login, writer_login = f"mrd_r_{tag}", f"mrd_w_{tag}"
    name = make_url(url).database
    sql = (ROOT / "docs" / "sql" / "roles.sql").read_text()
    sql = sql.replace("mirador_reader", reader_group).replace("mirador_writer", writer_group)
    sql = sql.replace(":dbname", f'"{name}"')
    with owner.begin() as conn:
        for statement in _statements(sql):
            conn.execute(text(statement))
        conn.execute(text(f"CREATE ROLE {reader_login} LOGIN IN ROLE {reader_group}"))
        conn.execute(text(f"CREATE ROLE {writer_login} LOGIN IN ROLE {writer_group}"))
    reader = make_engine(make_url(url).set(username=reader_login).render_as_string(False))
    writer = make_engine(make_url(url).set(username=writer_login).render_as_string(False))
    try:
        assert overview.monthly_indicators(reader, F, F.start)["contacts"].sum() > 0
        with pytest.raises(Exception, match="permission denied"):
            save_user(reader, ADMIN, "x", "X", "titular")
        with pytest.raises(Exception, match="permission denied"):
            record_event(reader, ADMIN, "export", "x.xlsx", rows=1)
        record_event(writer, ADMIN, "export", "x.xlsx", rows=1)
        save_user(writer, ADMIN, "x", "X", "titular")
        assert audit_events(reader, action="export")["rows"].tolist() == [1]
    finally:
        reader.dispose()
        writer.dispose()
        with owner.begin() as conn:
            for role in (reader_login, writer_login, reader_group, writer_group):
                conn.execute(text(f"DROP OWNED BY {role}"))
                conn.execute(text(f"DROP ROLE {role}"))
        owner.dispose()


def test_sql_and_html_in_draft_text_are_stored_as_text(users_db) -> None:
    """Work-program drafts: title, notes, indicator, owner unit and target notes carrying SQL
    or HTML come back exactly as typed, and every table is still there."""
    from lib.planning import drafts as dr

    _, engine = users_db
    target = {
        "indicator": HOSTILE,
        "unit": "%",
        "baseline": 38.2,
        "target": 45.5,
        "owner_unit": HTML,
        "q1": 40,
        "q2": 42,
        "q3": 44,
        "q4": 45.5,
        "due_on": dt.date(2027, 12, 15),
        "notes": "'; DELETE FROM work_program; --",
    }
    content = dr.prepare_content(2027, HTML, "borrador", HOSTILE, [target])
    saved = dr.create_draft(engine, ADMIN, content)
    back = dr.load_draft(engine, saved.id).content
    assert back["title"] == HTML and back["notes"] == HOSTILE
    row = back["targets"][0]
    assert row["indicator"] == HOSTILE and row["owner_unit"] == HTML
    assert row["notes"] == "'; DELETE FROM work_program; --"
    assert {"work_program", "app_user", "audit_event"} <= set(inspect(engine).get_table_names())


def _complaint_csv(header: str, folio: str, description: str) -> bytes:
    row = f"{folio};queja;2;ventanilla;1412;;13/01/2026;25/03/2026;13/02/2026;cerrada;{description}"
    return f"{header}\n{row}\n".encode()


HEADER = (
    "numero_de_folio;tipo;categoria;canal;subdelegacion;registro;fecha_recepcion;"
    "fecha_limite;fecha_cierre;estado;descripcion"
)


def test_sql_and_html_in_import_headers_and_values_are_text(users_db) -> None:
    """An import header carrying SQL is reported, as text, among the ignored columns; a text
    value carrying SQL and HTML is loaded and read back exactly (on PostgreSQL this also needs
    the id sequence moved past the bulk-loaded complaints)."""
    from lib.ingest.load import import_file

    _, engine = users_db
    with engine.connect() as conn:
        before = conn.execute(text("SELECT COUNT(*) FROM complaint")).scalar_one()
    bad = HEADER + ';"x""); DROP TABLE complaint; --"'
    result = import_file(
        engine, "complaint", _complaint_csv(bad, "Q-X-1", "x;y"), file_name="a.csv", dry_run=True
    )
    assert result.status == "prueba"  # checked, nothing written
    assert any("DROP TABLE complaint" in note for note in result.notes)  # named, as text
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM complaint")).scalar_one() == before
    hostile = f"{HOSTILE} {HTML}".replace(";", ",")  # ';' is the file's separator
    result = import_file(
        engine, "complaint", _complaint_csv(HEADER, "Q-X-2", hostile), file_name="b.csv"
    )
    assert result.status == "cargado", result.problems
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT description FROM complaint WHERE folio = :f"), {"f": "Q-X-2"}
        ).scalar_one()
        assert conn.execute(text("SELECT COUNT(*) FROM complaint")).scalar_one() == before + 1
    assert stored == hostile


def test_streamlit_security_settings_are_written_out() -> None:
    """Issue 16: Streamlit's own protections are on in .streamlit/config.toml, explicitly."""
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    server, client = config["server"], config["client"]
    assert server["enableXsrfProtection"] is True and server["enableCORS"] is True
    assert server["enableStaticServing"] is False and server["enableAgentApi"] is False
    assert client["showErrorDetails"] == "none" and client["disableDataExport"] is True
