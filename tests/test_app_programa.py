"""The work-program page under AppTest: renders each tab, edits, saves, reloads, refuses
invalid edits and concurrent overwrites.

AppTest cannot type into st.data_editor's grid, so an edit is made the way the page's
on_change callback makes it: on the page's working copy in session state (``pat_work``).
The browser test (tests/e2e/test_programa_browser.py) types into the real grid."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from lib.db.engine import make_engine
from lib.planning import drafts as dr

ROOT = Path(__file__).resolve().parents[1]
DIGITAL = "Participación digital"


@pytest.fixture
def url(tmp_path, sqlite_tiny) -> str:
    """A private copy of the tiny database: these tests write drafts."""
    src = Path(sqlite_tiny.removeprefix("sqlite:///"))
    dst = tmp_path / "programa.db"
    dst.write_bytes(src.read_bytes())
    return f"sqlite:///{dst}"


def _page(monkeypatch, url: str, vista: str = "Metas", draft: int | None = None) -> AppTest:
    monkeypatch.setenv("MIRADOR_DATABASE_URL", url)
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)
    at.query_params["vista"] = vista
    at.run()
    at.switch_page("pages/7_programa.py").run()
    assert not at.exception, at.exception
    if draft is not None:
        at.selectbox(key="pat_draft").set_value(draft).run()
        assert not at.exception, at.exception
    return at


def _edit_target(at: AppTest, indicator: str, column: str, value) -> None:
    t = at.session_state["pat_work"]["targets"]
    t.loc[t["indicator"] == indicator, column] = value


def _save(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Guardar versión").click().run()
    assert not at.exception, at.exception
    return at


def _contacts_last12(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.execute(
            text(
                "SELECT COUNT(*) FROM interaction WHERE outcome <> 'abandonado' "
                "AND month BETWEEN '2025-11-01' AND '2026-10-01'"
            )
        ).scalar_one()
    engine.dispose()
    return n


def test_baseline_shows_the_last_twelve_months(url, monkeypatch):
    at = _page(monkeypatch, url, vista="Línea base")
    assert at.title[0].value == "Programa anual de trabajo"
    table = at.dataframe[0].value.set_index("Indicador")
    assert table.loc["Contactos (todos los canales)", "Últimos 12 meses"] == _contacts_last12(url)
    assert 0 < table.loc[DIGITAL, "Últimos 12 meses"] < 100


def test_forecast_tab_shows_the_backtest_error(url, monkeypatch):
    at = _page(monkeypatch, url, vista="Pronóstico")
    labels = [m.label for m in at.metric]
    assert "Contactos pronosticados 2027" in labels
    mape = next(m.value for m in at.metric if m.label == "Error del contraste (MAPE)")
    assert mape.endswith("%") and 0 < float(mape[:-1]) < 50
    assert len(at.get("plotly_chart")) == 2
    at.toggle(key="pat_ooad").set_value(True).run()
    assert not at.exception, at.exception
    by_ooad = at.dataframe[-1].value
    assert by_ooad["OOAD"].notna().all() and len(by_ooad) == by_ooad["OOAD"].nunique() > 1
    assert (by_ooad["Inferior (90 %)"] <= by_ooad["Pronóstico 2027"]).all()


def test_edit_save_and_reload(url, monkeypatch):
    at = _page(monkeypatch, url)
    _edit_target(at, DIGITAL, "target", 45.5)
    _edit_target(at, DIGITAL, "due_on", pd.Timestamp("2027-11-30"))
    at = _save(at)
    assert any("versión 1" in s.value for s in at.success)
    engine = make_engine(url)
    draft_id = int(at.session_state["pat_work"]["draft_id"])
    drafts = dr.list_drafts(engine, 2027).set_index("id")
    assert drafts.loc[draft_id, "author"] == "demo" and drafts.loc[draft_id, "version"] == 1
    saved = dr.load_draft(engine, draft_id).targets.set_index("indicator")
    assert saved.loc[DIGITAL, "target"] == 45.5 and saved.loc[DIGITAL, "due_on"] == "2027-11-30"
    audit = pd.read_sql("SELECT action, username, target FROM audit_event", engine)
    mine = audit[(audit["action"] == "draft_save") & (audit["target"] == f"programa {draft_id} v1")]
    assert mine["username"].tolist() == ["demo"]
    engine.dispose()

    # a new session (a reload) picks the draft and sees the saved numbers in the editor
    again = _page(monkeypatch, url, draft=draft_id)
    grid = again.dataframe[0].value.set_index("indicator")
    assert grid.loc[DIGITAL, "target"] == 45.5
    assert grid.loc[DIGITAL, "due_on"].date() == dt.date(2027, 11, 30)
    assert any("Versión 1" in c.value for c in again.caption)
    # a second save makes version 2
    _edit_target(again, DIGITAL, "target", 46.0)
    again = _save(again)
    assert any("versión 2" in s.value for s in again.success)


def test_invalid_edits_show_spanish_messages_and_save_nothing(url, monkeypatch):
    engine = make_engine(url)
    before = len(dr.list_drafts(engine))
    at = _page(monkeypatch, url)
    _edit_target(at, DIGITAL, "target", 120.0)
    _edit_target(at, "Patrones orientados", "owner_unit", None)
    _edit_target(at, "Patrones orientados", "due_on", pd.Timestamp("2028-02-01"))
    at = _save(at)
    message = at.error[0].value
    assert "No se guardó nada" in message
    assert f"({DIGITAL}), Meta: 120 está fuera de 0–100 para un porcentaje" in message
    assert "(Patrones orientados), Unidad responsable: falta la unidad responsable" in message
    assert "01/02/2028 es posterior al cierre del año 2027" in message
    assert len(dr.list_drafts(engine)) == before
    assert at.session_state["pat_work"]["draft_id"] is None
    engine.dispose()


def test_concurrent_saves_do_not_overwrite_each_other(url, monkeypatch):
    first = _save(_page(monkeypatch, url))
    draft_id = int(first.session_state["pat_work"]["draft_id"])
    ana = _page(monkeypatch, url, draft=draft_id)
    beto = _page(monkeypatch, url, draft=draft_id)
    _edit_target(ana, DIGITAL, "target", 44.0)
    _save(ana)
    _edit_target(beto, DIGITAL, "target", 48.0)
    beto = _save(beto)
    assert "El borrador cambió mientras lo editaba" in beto.error[0].value
    changes = beto.dataframe[-1].value
    row = changes[(changes["Elemento"] == DIGITAL) & (changes["Campo"] == "target")]
    assert row[["Antes", "Después"]].values.tolist() == [["—", "44"]]
    engine = make_engine(url)
    latest = dr.load_draft(engine, draft_id)
    assert latest.version == 2
    assert latest.targets.set_index("indicator").loc[DIGITAL, "target"] == 44.0
    engine.dispose()
    # Beto loads the current version and can save on top of it
    next(b for b in beto.button if b.label.startswith("Cargar la versión 2")).click().run()
    assert beto.session_state["pat_work"]["version"] == 2
    _edit_target(beto, DIGITAL, "target", 48.0)
    beto = _save(beto)
    assert any("versión 3" in s.value for s in beto.success)


def test_export_tab_offers_the_saved_version(url, monkeypatch):
    at = _save(_page(monkeypatch, url))
    draft_id = int(at.session_state["pat_work"]["draft_id"])
    at = _page(monkeypatch, url, vista="Exportar", draft=draft_id)
    assert any("versión guardada 1" in m.value for m in at.markdown)
    # the Word button is clicked in the browser test (AppTest 1.67 drops this click)
    assert any(b.label == "Preparar documento Word (con gráficas)" for b in at.button)
    assert [d.label for d in at.get("download_button")] == ["Descargar Excel"]


def test_save_and_reload_on_each_backend(clean_db, monkeypatch):
    db = clean_db
    at = _page(monkeypatch, db.url)
    _edit_target(at, DIGITAL, "target", 41.25)
    at = _save(at)
    draft_id = int(at.session_state["pat_work"]["draft_id"])
    again = _page(monkeypatch, db.url, draft=draft_id)
    grid = again.dataframe[0].value.set_index("indicator")
    assert grid.loc[DIGITAL, "target"] == 41.25


def test_the_chosen_draft_is_in_the_url(clean_db, monkeypatch):
    """A saved or chosen draft is ``?borrador=<id>`` (its label changes with each version),
    so a copied link opens it; an id that does not exist is said."""
    db = clean_db
    at = _page(monkeypatch, db.url)
    _edit_target(at, DIGITAL, "target", 41.25)
    at = _save(at)
    draft_id = int(at.session_state["pat_work"]["draft_id"])
    assert at.query_params.get("borrador") == str(draft_id)

    monkeypatch.setenv("MIRADOR_DATABASE_URL", db.url)
    link = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)
    link.query_params.update({"vista": "Metas", "borrador": str(draft_id)})
    link.run()
    link.switch_page("pages/7_programa.py").run()
    assert not link.exception, link.exception
    assert link.selectbox(key="pat_draft").value == draft_id
    assert link.dataframe[0].value.set_index("indicator").loc[DIGITAL, "target"] == 41.25

    # back to a new draft: the parameter leaves the URL
    link.selectbox(key="pat_draft").set_value(None).run()
    assert "borrador" not in link.query_params

    missing = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)
    missing.query_params.update({"vista": "Metas", "borrador": "99999"})
    missing.run()
    missing.switch_page("pages/7_programa.py").run()
    assert not missing.exception, missing.exception
    assert any("«borrador=99999»" in w.value for w in missing.warning)
    assert missing.selectbox(key="pat_draft").value is None


def test_a_new_untouched_draft_follows_the_filters_place(url, monkeypatch):
    at = _page(monkeypatch, url, vista="Línea base")
    national = at.dataframe[0].value.set_index("Indicador").loc["Contactos (todos los canales)"]
    at.sidebar.selectbox(key="ooad").set_value("14").run()
    assert not at.exception
    jalisco = at.dataframe[0].value.set_index("Indicador").loc["Contactos (todos los canales)"]
    assert jalisco["Últimos 12 meses"] < national["Últimos 12 meses"]
    targets = at.session_state["pat_work"]["targets"].set_index("indicator")
    assert targets.loc["Contactos (todos los canales)", "baseline"] == jalisco["Últimos 12 meses"]


def test_campaign_returns_are_the_campaign_pages_stored_results(url, monkeypatch):
    """The plan's measured effect of each campaign is the one the campaign page shows (the
    result the refresh stored), not a second estimate on another window."""
    from lib.analysis import campaign_report as R
    from lib.format import fmt_num
    from lib.queries import campaigns as qc

    engine = make_engine(url)
    stored = {cid: R.from_stored(row) for cid, row in qc.stored_results(engine).items()}
    catalog = qc.campaign_catalog(engine).set_index("code")
    at = _page(monkeypatch, url, vista="Campañas")
    shown = next(
        df.value for df in at.dataframe if "Retorno medido (pesos por peso)" in df.value.columns
    )
    assert len(shown) > 0
    for row in shown.itertuples(index=False):
        res = stored[int(catalog.loc[row[0], "id"])]
        e = res.effects["on_time"]
        assert row[2] == pytest.approx(100 * e.effect)
        if res.return_per_peso is None:
            assert row[3] == "—"  # not measured: a dash, as in the interval column
        else:
            assert row[3] == fmt_num(res.return_per_peso[0], 1)


def _grid_edit(at: AppTest, part: str, delta: dict) -> AppTest:
    """An edit made through a grid: ``delta`` is st.data_editor's edit record as Streamlit
    keeps it in session state ({"edited_rows": {position: {column: value}}, "added_rows",
    "deleted_rows"}), folded into the working copy as the page's on_change does (AppTest
    cannot fire a data_editor's on_change), then a rerun."""
    from lib.planning.editor import fold_edits

    fold_edits(at.session_state["pat_work"], part, delta)
    at.run()
    assert not at.exception, at.exception
    return at


def test_grid_edits_are_checked_when_typed_and_the_baseline_is_locked(url, monkeypatch):
    import json

    at = _page(monkeypatch, url)
    t = at.session_state["pat_work"]["targets"]
    digital = int(t.index[t["indicator"] == DIGITAL][0])
    contacts = int(t.index[t["indicator"] == "Contactos (todos los canales)"][0])
    baseline = float(t.loc[contacts, "baseline"])
    # the grid itself: baseline read-only, missing cells drawn as "—"
    proto = at.dataframe[0].proto
    assert (
        "baseline" in json.loads(proto.columns)
        and json.loads(proto.columns)["baseline"]["disabled"]
    )
    assert proto.placeholder == "—"
    _grid_edit(
        at,
        "targets",
        {
            "edited_rows": {
                digital: {"target": -5, "q1": "abc", "q2": 30},
                contacts: {"baseline": 1},
            }
        },
    )
    message = at.error[0].value
    assert f"({DIGITAL}), Meta: -5 es negativo; se dejó el valor anterior" in message
    assert f"({DIGITAL}), Hito T1: «abc» no es un número" in message
    assert "(Contactos (todos los canales)), Línea base: no se edita" in message
    t = at.session_state["pat_work"]["targets"]
    assert pd.isna(t.loc[digital, "target"]) and pd.isna(t.loc[digital, "q1"])
    assert t.loc[digital, "q2"] == 30.0 and t.loc[contacts, "baseline"] == baseline
    at = _save(at)
    draft_id = int(at.session_state["pat_work"]["draft_id"])
    engine = make_engine(url)
    saved = dr.load_draft(engine, draft_id).targets.set_index("indicator")
    engine.dispose()
    assert saved.loc["Contactos (todos los canales)", "baseline"] == baseline
    assert pd.isna(saved.loc[DIGITAL, "target"]) and saved.loc[DIGITAL, "q2"] == 30.0
    # a good edit afterwards clears the list of refused ones
    _grid_edit(at, "targets", {"edited_rows": {digital: {"target": 45}}})
    assert not at.error


def _capacity_reading(at: AppTest) -> str:
    return next(
        c.value for c in at.caption if "Faltan horas" in c.value or "queda corto" in c.value
    )


def test_capacity_without_hours_says_which_channels_are_short(url, monkeypatch):
    at = _page(monkeypatch, url, vista="Capacidad")
    reading = _capacity_reading(at)
    assert reading.startswith("Aún no se capturan horas disponibles")
    assert "Asistencia personalizada (" in reading and "sin horas disponibles" in reading
    assert "ningún canal queda corto" not in reading
    cap = at.session_state["pat_work"]["capacity"]
    pos = int(cap.index[cap["channel_id"] == "asistencia"][0])
    _grid_edit(at, "capacity", {"edited_rows": {pos: {"hours_available": -10}}})
    assert "Horas disponibles: -10 es negativo" in at.error[0].value
    _grid_edit(at, "capacity", {"edited_rows": {pos: {"hours_available": 10_000_000}}})
    reading = _capacity_reading(at)
    assert "Asistencia personalizada" not in reading and "Faltan horas en:" in reading
