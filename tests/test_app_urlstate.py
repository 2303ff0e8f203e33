"""The URL is the state (issue 17) under AppTest: link parameters that are no option are
said, page-local selections narrow the page and their chips remove them, «Ver vencidas»
narrows Quejas only, in-tab controls come from the URL. The pure pieces (lib/urlparams.py,
lib.ui.crossfilter.narrowed) are tested on hand-made inputs."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from lib.filters import Filters
from lib.ui import crossfilter
from lib.urlparams import offered, reversed_period, unknown_values

ROOT = Path(__file__).resolve().parents[1]
# the «Contactos» card counts contacts handled: those abandoned in the queue are not contacts
# (docs/data-contract.md, contact outcome)
PERIOD = "i.month BETWEEN '2025-11-01' AND '2026-10-01' AND i.outcome <> 'abandonado'"


def _app(monkeypatch, url: str, page: str | None = None, **params: str) -> AppTest:
    monkeypatch.setenv("MIRADOR_DATABASE_URL", url)
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _count(engine, sql: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar_one()


def _warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


# ---- pure ----------------------------------------------------------------------------------


def test_unknown_values_names_the_parameter_and_what_is_used():
    options = {"ooad": ["Todas las OOAD", "Jalisco"], "canal": ["Todos los canales", "Web"]}
    used = {"ooad": "Todas las OOAD", "canal": "Todos los canales"}
    problems = unknown_values({"ooad": "Narnia", "canal": "Web", "vista": "x"}, options, used)
    assert [(p.param, p.value, p.used) for p in problems] == [("ooad", "Narnia", "Todas las OOAD")]
    assert problems[0].message == (
        "El enlace pide «ooad=Narnia», que no es una opción de «OOAD»; se usa «Todas las OOAD»."
    )
    assert unknown_values({"ooad": ""}, options, used)[0].value == ""  # empty is no option
    assert unknown_values({}, options, used) == []


def test_reversed_period_is_said_with_both_months():
    labels = {"2026-01": "ene 2026", "2026-10": "oct 2026"}
    assert reversed_period("2026-01", "2026-10", labels) is None
    assert reversed_period("2026-01", "2026-01", labels) is None
    said = reversed_period("2026-10", "2026-01", labels)
    assert "«desde=oct 2026»" in said and "«hasta=ene 2026»" in said
    assert "de ene 2026 a oct 2026" in said


def test_narrowed_applies_each_selection_within_the_scope():
    f = Filters(dt.date(2025, 11, 1), dt.date(2026, 10, 1), ooad_id=14)
    out = crossfilter.narrowed(
        f,
        {"sel_canal": "web", "sel_tamano": "S1", "sel_mes": "2026-06", "sel_subdel": "1439"},
        {1439: 14},
    )
    assert (out.channel_id, out.size_band_id) == ("web", "S1")
    assert (out.start, out.end) == (dt.date(2026, 6, 1), dt.date(2026, 6, 1))
    assert (out.ooad_id, out.subdelegacion_id) == (14, 1439)
    assert out.scope == f.scope  # the user's place is kept: a selection never widens
    assert crossfilter.narrowed(f, {}, {}) == f


@pytest.mark.parametrize(
    ("point", "source", "expected"),
    [
        ({"customdata": {"0": "web", "1": 12}}, "customdata", "web"),  # the browser's shape
        ({"customdata": ["S1", 12]}, "customdata", "S1"),
        ({"customdata": "ventanilla"}, "customdata", "ventanilla"),  # one value per point
        ({"x": "2026-03-01"}, "x", "2026-03-01"),
        ({"x": "2026-03-01"}, "customdata", None),  # nothing to filter by
    ],
)
def test_a_clicked_point_gives_its_value(point, source, expected):
    assert crossfilter._value(point, source) == expected


# ---- pages, on both backends -----------------------------------------------------------------


def test_invalid_link_parameters_are_said(db, monkeypatch):
    at = _app(
        monkeypatch,
        db.url,
        ooad="Narnia",
        canal="Paloma",
        tamano="XXL",
        desde="ene 2019",
        subdel="Atlántida",
    )
    said = " ".join(_warnings(at))
    assert "«ooad=Narnia»" in said and "se usa «Todas las OOAD»" in said
    assert "«canal=Paloma»" in said and "«Todos los canales»" in said
    assert "«tamano=XXL»" in said
    assert "«desde=ene 2019»" in said and "se usa «nov 2025»" in said
    assert "«subdel=Atlántida»" in said
    assert at.sidebar.selectbox(key="ooad").value == "todas"
    assert at.caption[0].value.startswith("Nacional")

    at = _app(monkeypatch, db.url, desde="oct 2026", hasta="ene 2026")
    assert any("«desde=oct 2026»" in w and "«hasta=ene 2026»" in w for w in _warnings(at))
    assert len([w for w in _warnings(at) if "posterior" in w]) == 1  # said once

    # a valid link says nothing
    at = _app(
        monkeypatch, db.url, ooad="Jalisco", subdel="Libertad Reforma", canal="Contact center"
    )
    assert not [w for w in _warnings(at) if "enlace" in w]


def test_a_page_selection_narrows_the_page_and_its_chip_removes_it(db, monkeypatch):
    channel = _count(db.engine, "SELECT id FROM channel ORDER BY sort_order LIMIT 1")
    name = _count(db.engine, f"SELECT name FROM channel WHERE id = '{channel}'")
    national = _count(db.engine, f"SELECT COUNT(*) FROM interaction i WHERE {PERIOD}")
    one = _count(
        db.engine,
        f"SELECT COUNT(*) FROM interaction i WHERE {PERIOD} AND i.channel_id = '{channel}'",
    )
    at = _app(monkeypatch, db.url, sel_canal=channel)
    assert _metric(at, "Contactos") == f"{one:,}"
    chip = at.button(key="chip_sel_canal")
    assert chip.label == f"Canal: {name}"
    assert at.sidebar.selectbox(key="canal").value == "todos"  # the sidebar is untouched
    chip.click().run()
    assert not at.exception
    assert "sel_canal" not in at.query_params
    assert _metric(at, "Contactos") == f"{national:,}"
    assert not [b for b in at.button if b.key == "chip_sel_canal"]

    # a value that is no channel is said and dropped
    at = _app(monkeypatch, db.url, sel_canal="paloma")
    assert any("«sel_canal=paloma»" in w for w in _warnings(at))
    assert "sel_canal" not in at.query_params
    assert _metric(at, "Contactos") == f"{national:,}"


def test_ver_vencidas_narrows_quejas_only(db, monkeypatch):
    at = _app(monkeypatch, db.url, page="pages/5_quejas.py", vista="Lo inusual")
    next(b for b in at.button if b.label == "Ver vencidas").click().run()
    assert not at.exception, at.exception
    assert at.query_params.get("sel_subdel") == "1439"  # Libertad Reforma, planted surge
    assert at.query_params.get("sel_mes") == "2026-06"
    # the sidebar filters, which every page shares, are untouched
    assert at.sidebar.selectbox(key="ooad").value == "todas"
    assert at.sidebar.selectbox(key="desde").value == "2025-11"
    labels = {b.label for b in at.button}
    assert "Subdelegación: Libertad Reforma" in labels and "Mes: jun 2026" in labels
    said = [m.value for m in at.markdown if m.value.startswith("**Vencidas abiertas:")]
    assert said and said[0] != "**Vencidas abiertas: 0**", said
    overdue = at.dataframe[-1].value
    assert set(overdue["Subdelegación"]) == {"Libertad Reforma"}


def test_in_tab_controls_come_from_the_url(db, monkeypatch):
    at = _app(monkeypatch, db.url, page="pages/5_quejas.py", vista="Volumen", desglose="Canal")
    assert "Canal" in at.dataframe[0].value.columns
    at = _app(monkeypatch, db.url, page="pages/3_evaluacion.py", vista="Puntajes", ver_por="OOAD")
    assert "OOAD" in at.dataframe[0].value.columns


# ---- a click only narrows (review of click to filter) ------------------------------------


def test_outside_says_a_selection_that_would_replace_the_filters():
    f = Filters(dt.date(2025, 11, 1), dt.date(2026, 10, 1), ooad_id=14, channel_id="web")
    ooad_of = {1439: 14, 205: 2}
    assert crossfilter.outside(f, crossfilter.CANAL, "web", ooad_of) is None
    assert "canal" in crossfilter.outside(f, crossfilter.CANAL, "ventanilla", ooad_of)
    assert crossfilter.outside(f, crossfilter.SUBDEL, "1439", ooad_of) is None
    assert "OOAD" in crossfilter.outside(f, crossfilter.SUBDEL, "205", ooad_of)
    banded = replace(f, size_band_id="S1", subdelegacion_id=1439)
    assert crossfilter.outside(banded, crossfilter.TAMANO, "S1", ooad_of) is None
    assert "tamaño" in crossfilter.outside(banded, crossfilter.TAMANO, "S2", ooad_of)
    assert "subdelegación" in crossfilter.outside(banded, crossfilter.SUBDEL, "1440", ooad_of)
    assert "mes" in crossfilter.outside(f, crossfilter.MES, "2019-01", ooad_of)


def test_a_click_on_the_no_band_bar_narrows_nothing(monkeypatch):
    from types import SimpleNamespace

    fake = SimpleNamespace(
        session_state={"k": {"selection": {"points": [{"customdata": ["--", 3]}]}}},
        query_params={},
    )
    monkeypatch.setattr(crossfilter, "st", fake)
    crossfilter.click("k", crossfilter.TAMANO)()
    assert fake.query_params == {}
    fake.session_state["k"] = {"selection": {"points": [{"customdata": ["S1", 3]}]}}
    crossfilter.click("k", crossfilter.TAMANO)()
    assert fake.query_params == {"sel_tamano": "S1"}


def test_a_selection_other_than_the_sidebars_is_dropped_and_said(db, monkeypatch):
    channels = db.engine.connect().execute(text("SELECT id, name FROM channel ORDER BY sort_order"))
    (first, first_name), (second, _) = list(channels)[:2]
    only_first = _count(
        db.engine, f"SELECT COUNT(*) FROM interaction i WHERE {PERIOD} AND i.channel_id = '{first}'"
    )
    at = _app(monkeypatch, db.url, canal=first_name, sel_canal=second)
    assert any("no es el de los filtros" in w for w in _warnings(at))
    assert "sel_canal" not in at.query_params
    assert _metric(at, "Contactos") == f"{only_first:,}"
    # the sidebar on Jalisco, a link to an office of another OOAD: Jalisco stays
    other = _count(db.engine, "SELECT id FROM subdelegacion WHERE ooad_id <> 14 LIMIT 1")
    at = _app(monkeypatch, db.url, ooad="Jalisco", sel_subdel=str(other))
    assert any("fuera de la OOAD de los filtros" in w for w in _warnings(at))
    assert "sel_subdel" not in at.query_params
    assert not [b for b in at.button if b.key == "chip_sel_subdel"]
    assert at.caption[0].value.startswith("OOAD Jalisco")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def scoped_url(request, sqlite_tiny, tmp_path_factory) -> str:
    """The tiny institute with an office account (Tijuana, subdelegación 205), per backend."""
    import shutil

    from lib.access import SYSTEM_USER
    from lib.db.engine import make_engine
    from lib.users import save_user

    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("scoped") / "scoped.db"
        shutil.copy(sqlite_tiny.removeprefix("sqlite:///"), path)
        url = f"sqlite:///{path}"
    else:
        from lib.demo.seed import seed

        url = request.getfixturevalue("pg_database_factory")()
        seed(make_engine(url), "tiny", 1)
    engine = make_engine(url)
    save_user(
        engine,
        SYSTEM_USER,
        "tijuana",
        "Tijuana",
        password=SCOPED_PASSWORD,
        role="oficina",
        subdelegacion_id=205,
    )
    engine.dispose()
    return url


SCOPED_PASSWORD = "clave-de-politica-1"


def test_a_page_selection_outside_the_users_scope_is_refused_and_recorded(scoped_url, monkeypatch):
    from lib.audit import audit_events
    from lib.db.engine import make_engine
    from tests.apptest import signed_in

    at = signed_in(
        monkeypatch, scoped_url, "tijuana", SCOPED_PASSWORD, "Home.py", sel_subdel="1439"
    )
    assert not at.exception, at.exception
    assert any("fuera de su ámbito" in w for w in _warnings(at))
    assert "sel_subdel" not in at.query_params
    shown = " ".join([b.label for b in at.button] + _warnings(at) + [c.value for c in at.caption])
    assert "Libertad Reforma" not in shown
    engine = make_engine(scoped_url)
    forged = audit_events(engine, action="forged_scope", limit=50)
    engine.dispose()
    assert (forged["username"] == "tijuana").any()


def test_the_export_uses_the_chosen_service_level_threshold(db, monkeypatch, downloads):
    import io

    from openpyxl import load_workbook

    _app(monkeypatch, db.url, page="pages/2_canales.py", vista="Exportar", umbral_servicio="60")
    (data,) = [d for name, d in downloads.items() if name.startswith("estudio_canales")]
    sheet = load_workbook(io.BytesIO(data))["Colas"]
    header = [c.value for row in sheet.iter_rows() for c in row if c.value]
    assert any("≤60 s" in str(h) for h in header), header


def test_the_service_level_threshold_stays_in_the_exact_second_range(db, monkeypatch):
    from lib.contact import EXACT_WAIT_S

    at = _app(monkeypatch, db.url, page="pages/2_canales.py", vista="Colas y abandono")
    box = at.number_input(key="umbral_servicio")
    assert box.max == EXACT_WAIT_S - 1
    assert "segundo" in box.help


def test_offered_reads_a_link_value_as_the_bound_widget_does():
    assert offered("Canal", ["Tipo", "Canal"]) and not offered("Paloma", ["Tipo", "Canal"])
    assert offered("true", bool) and offered("False", bool) and not offered("sí", bool)
    assert offered("60", (1, 1199)) and not offered("3000", (1, 1199))
    assert not offered("60.5", (1, 1199)) and not offered("x", (1, 1199))


@pytest.mark.parametrize(
    ("page", "params", "said"),
    [
        ("pages/2_canales.py", {"vista": "Paloma"}, "«vista=Paloma»"),
        ("pages/2_canales.py", {"indicador": "Paloma"}, "«indicador=Paloma»"),
        (
            "pages/2_canales.py",
            {"vista": "Colas y abandono", "umbral_servicio": "3000"},
            "«umbral_servicio=3000»",
        ),
        ("pages/5_quejas.py", {"vista": "Volumen", "desglose": "Paloma"}, "«desglose=Paloma»"),
        ("pages/5_quejas.py", {"vista": "Volumen", "tasa": "quizá"}, "«tasa=quizá»"),
        ("pages/3_evaluacion.py", {"vista": "Puntajes", "ver_por": "Paloma"}, "«ver_por=Paloma»"),
    ],
)
def test_an_in_tab_link_value_that_is_no_option_is_said(db, monkeypatch, page, params, said):
    at = _app(monkeypatch, db.url, page=page, **params)
    assert any(said in w and "se usa" in w for w in _warnings(at)), _warnings(at)


def test_a_valid_in_tab_link_says_nothing(db, monkeypatch):
    at = _app(
        monkeypatch,
        db.url,
        page="pages/5_quejas.py",
        vista="Volumen",
        desglose="Canal",
        tasa="true",
    )
    assert not [w for w in _warnings(at) if "enlace" in w.lower()]
