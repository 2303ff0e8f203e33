"""AppTest of the explorer, the data dictionary and the import page."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from streamlit.testing.v1 import AppTest

from lib.access import SYSTEM_USER, User
from lib.db.engine import make_engine
from lib.db.schema import ImportLoad, Patron
from lib.filters import Filters
from lib.metrics import INDICATORS
from lib.queries.explorer import explore

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "examples"
PERIOD = Filters(dt.date(2025, 11, 1), dt.date(2026, 10, 1))  # the default last 12 months


def _app(monkeypatch, url: str, page: str, user: User | None = None, **params) -> AppTest:
    monkeypatch.setenv("MIRADOR_DATABASE_URL", url)
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    if user is not None:
        at.session_state["_mirador_user"] = user
    at.run()
    return at.switch_page(page).run()


@pytest.fixture
def tiny_copy(sqlite_tiny, tmp_path) -> str:
    """A private copy of the tiny demo, for tests that load files into it."""
    src = Path(sqlite_tiny.removeprefix("sqlite:///"))
    dst = tmp_path / "copia.db"
    shutil.copy(src, dst)
    return f"sqlite:///{dst}"


def test_explorer_shows_the_sql_numbers(db, monkeypatch):
    at = _app(monkeypatch, db.url, "pages/8_explorador.py")
    assert not at.exception, at.exception
    assert at.title[0].value == "Explorador"
    assert at.selectbox(key="medida").value == "contacts"
    expected = explore(db.engine, PERIOD, "contacts", ("month",))
    table = at.dataframe[0].value
    assert len(table) == len(expected) == 12
    assert table["Contactos (contactos)"].sum() == expected["value"].sum()
    assert list(table.columns) == ["Mes", "Contactos (contactos)"]  # a sum: no ratio parts
    assert at.get("plotly_chart")
    assert any(c.value.startswith("De ") for c in at.main.caption)  # the one-line reading


def test_explorer_view_comes_from_the_url(db, monkeypatch):
    at = _app(monkeypatch, db.url, "pages/8_explorador.py", medida="NPS", dims=["Canal"])
    assert not at.exception, at.exception
    assert at.selectbox(key="medida").value == "nps"
    assert at.multiselect(key="dims").value == ["channel"]
    expected = explore(db.engine, PERIOD, "nps", ("channel",))
    table = at.dataframe[0].value
    assert list(table["Canal"]) == list(expected["channel_label"])
    assert (
        table["NPS (puntos (−100 a 100))"].round(6).tolist() == expected["value"].round(6).tolist()
    )
    assert table["Denominador"].tolist() == expected["denominator"].tolist()  # a ratio: its parts
    # a dimension the metric lacks is dropped with a note, not an error
    at.multiselect(key="dims").set_value(["channel", "category"]).run()
    assert not at.exception
    assert "no tiene la dimensión Categoría de queja" in at.info[0].value


def test_explorer_without_dimensions_shows_one_number(sqlite_tiny, monkeypatch):
    at = _app(
        monkeypatch, sqlite_tiny, "pages/8_explorador.py", medida="Satisfacción (CSAT) promedio"
    )
    at.multiselect(key="dims").set_value([]).run()
    assert not at.exception
    engine = make_engine(sqlite_tiny)
    value = explore(engine, PERIOD, "csat_mean", ())["value"].iloc[0]
    engine.dispose()
    assert at.metric[0].value == f"{value:,.2f} puntos de 1 a 5"


def test_dictionary_lists_metrics_tables_and_latest_loads(tiny_copy, monkeypatch):
    from lib.ingest.load import import_file

    engine = make_engine(tiny_copy)
    r = import_file(
        engine, "patron", EXAMPLES / "patron.csv", user=User("ana", "Ana", "administrador")
    )
    assert r.status == "cargado"
    with engine.connect() as conn:
        patrons = conn.execute(select(func.count()).select_from(Patron)).scalar_one()
    engine.dispose()
    at = _app(monkeypatch, tiny_copy, "pages/91_diccionario.py", tabla="complaint")
    assert not at.exception, at.exception
    metrics, tables, columns = (d.value for d in at.dataframe)
    assert len(metrics) == len(INDICATORS)
    assert "100 × (Σ promotores 9–10 − Σ detractores 0–6) / Σ respuestas" in set(metrics["Fórmula"])
    row = tables.set_index("Tabla").loc["patron"]
    assert row["Filas"] == patrons
    assert row["Archivo"] == "patron.csv" and row["Cargó"] == "ana"
    assert tables.set_index("Tabla").loc["interaction", "Archivo"] == ""
    assert "folio" in set(columns["Columna"]) and "days_to_close" in set(columns["Columna"])
    assert columns.set_index("Columna").loc["days_to_close", "Descripción"] == "calculada al cargar"


def test_import_page_loads_a_file_and_reports_problems(tiny_copy, monkeypatch):
    engine = make_engine(tiny_copy)
    with engine.begin() as conn:  # a database nothing was imported into (the shared tiny
        conn.execute(delete(ImportLoad))  # institute may hold other tests' loads)
    engine.dispose()
    at = _app(monkeypatch, tiny_copy, "pages/92_importar.py")
    assert not at.exception, at.exception
    # nothing imported yet: a sentence in Spanish, not Streamlit's empty grid marked "empty"
    assert [d.value.columns[0] for d in at.dataframe] == ["Columna"]  # only the contract's
    assert any(c.value.startswith("Todavía no se ha importado") for c in at.caption)
    at.selectbox(key="imp_tabla").set_value("patron").run()
    new = (EXAMPLES / "patron.csv").read_text(encoding="utf-8-sig").replace("\nZ", "\nY")
    at.file_uploader(key="imp_archivo").set_value(("patron.csv", new.encode(), "text/csv")).run()
    at.toggle(key="imp_prueba").set_value(False).run()
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.success[0].value.startswith("Carga aceptada")
    values = {m.label: m.value for m in at.metric}
    assert values["Filas leídas"] == "12" and values["Nuevas"] == "12"
    # the same file again changes nothing
    at.button[0].click().run()
    values = {m.label: m.value for m in at.metric}
    assert (values["Nuevas"], values["Actualizadas"], values["Sin cambio"]) == ("0", "0", "12")
    # a broken file: rejected, with the problem list and its download
    bad = new.replace(";S2;", ";S9;", 1)
    at.file_uploader(key="imp_archivo").set_value(("malo.csv", bad.encode(), "text/csv")).run()
    at.button[0].click().run()
    assert at.error[0].value.startswith("Carga rechazada")
    problems = at.dataframe[1].value  # [0] is the contract columns, in the expander
    assert problems.iloc[0]["Columna"] == "size_band_id"
    assert "catálogo de tamaños de patrón" in problems.iloc[0]["Problema"]
    assert at.get("download_button")
    recent = at.dataframe[-1].value
    assert list(recent["Estado"][:3]) == ["Rechazado", "Cargado", "Cargado"]


def test_import_page_is_for_administrators_only(tiny_copy, monkeypatch):
    """With accounts (sign-in on), an analyst has no import page in the menu, and opening it
    by its URL is refused by the page itself."""
    from lib.users import save_user

    engine = make_engine(tiny_copy)
    save_user(engine, SYSTEM_USER, "ana", "Ana", "analista", password="clave-larga-de-ana")
    engine.dispose()
    analyst = User("ana", "Ana", "analista")
    monkeypatch.setenv("MIRADOR_DATABASE_URL", tiny_copy)
    home = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=90)
    home.session_state["_mirador_user"] = analyst
    home.session_state["_mirador_signed_in"] = "local"
    home.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        home.switch_page("pages/92_importar.py")  # not in the analyst's menu
    at = AppTest.from_file(str(ROOT / "pages/92_importar.py"), default_timeout=90)
    at.session_state["_mirador_user"] = analyst
    at.session_state["_mirador_signed_in"] = "local"
    at.run()  # opened by its URL, the page itself refuses
    assert not at.exception
    assert "no tiene acceso" in at.error[0].value
    assert "Cargar datos cambia la base compartida" in at.error[0].value
    assert not at.file_uploader


def test_import_page_shows_running_and_interrupted_loads(tiny_copy, monkeypatch):
    """A load «en curso» whose table lock is held stays so; one whose lock is free (its process
    died) is shown «Interrumpida», with its audit event written by the page."""
    from sqlalchemy import insert

    from lib.audit import audit_events
    from lib.ingest.attempts import try_lock

    engine = make_engine(tiny_copy)
    with engine.begin() as conn:
        conn.execute(delete(ImportLoad))
        for table, user in (("patron", "muerto"), ("channel", "vivo")):
            conn.execute(
                insert(ImportLoad).values(
                    started_at=dt.datetime.now(),
                    username=user,
                    table_name=table,
                    file_name=f"{table}.csv",
                    file_sha256="0" * 64,
                    status="en curso",
                    details={},
                )
            )
    lock = try_lock(engine, "channel")  # a live load of the channels, in another session
    assert lock is not None
    try:
        at = _app(monkeypatch, tiny_copy, "pages/92_importar.py")
        assert not at.exception, at.exception
        recent = at.dataframe[-1].value.set_index("Usuario")
        assert recent.loc["muerto", "Estado"] == "Interrumpida"
        assert recent.loc["vivo", "Estado"] == "En curso"
        assert any("32,767 caracteres por celda" in c.value for c in at.caption)
    finally:
        lock.release()
    event = audit_events(engine, action="import", limit=1).iloc[0]
    assert (event["username"], event["details"]["estado"]) == ("muerto", "interrumpida")
    engine.dispose()
    monkeypatch.setenv("MIRADOR_IMPORT_MAX_BYTES", "mucho")
    at = _app(monkeypatch, tiny_copy, "pages/92_importar.py")
    assert not at.exception
    assert "MIRADOR_IMPORT_MAX_BYTES debe ser un número entero positivo" in at.error[0].value
