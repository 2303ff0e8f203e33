"""Every page under Streamlit's AppTest: renders, shows the right numbers, reads the URL,
and turns database failures into Spanish messages."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from lib.access import SYSTEM_USER
from lib.db.engine import make_engine
from lib.demo.seed import seed
from tests.close import assert_close

ROOT = Path(__file__).resolve().parents[1]
KPI_LABELS = [
    "Contactos",
    "Participación digital",
    "Resolución al primer contacto",
    "Satisfacción (CSAT)",
    "NPS",
    "Quejas recibidas",
    "Quejas cerradas en plazo",
    "Recaudación a tiempo",
    "Patrones con pago oportuno",
]


def _app(monkeypatch, url: str, **params: str) -> AppTest:
    monkeypatch.setenv("MIRADOR_DATABASE_URL", url)
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _contacts(url: str, sql_filter: str = "") -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.execute(
            text(
                "SELECT COUNT(*) FROM interaction i JOIN subdelegacion s ON s.id = i.subdelegacion_id "
                f"WHERE i.outcome <> 'abandonado' AND i.month BETWEEN '2025-11-01' AND '2026-10-01' "
                f"{sql_filter}"
            )
        ).scalar_one()
    engine.dispose()
    return n


def test_overview_renders_with_the_database_numbers(db, monkeypatch):
    at = _app(monkeypatch, db.url)
    assert not at.exception
    assert [m.label for m in at.metric] == KPI_LABELS
    assert _metric(at, "Contactos") == f"{_contacts(db.url):,}"
    assert any("Datos de demostración" in w.value for w in at.warning)
    assert "Datos al 31/10/2026" in at.caption[0].value
    assert at.title[0].value == "Resumen ejecutivo"
    assert at.get("plotly_chart"), "the channel trend chart is drawn"


def test_resumen_indicator_table_shows_each_row_in_its_unit(sqlite_tiny, monkeypatch):
    at = _app(monkeypatch, sqlite_tiny)
    assert not at.exception
    table = at.dataframe[0].value.set_index("Indicador")
    assert list(table.columns) == ["Periodo", "Comparación", "Cambio"]
    assert table.loc["Contactos", "Periodo"] == _metric(at, "Contactos")  # 1,234 (separators)
    for share in ("Participación digital", "Satisfacción (CSAT)", "Patrones con pago oportuno"):
        assert re.fullmatch(r"\d{1,3}\.\d%", table.loc[share, "Periodo"]), share
        # one decimal, or up to three when the change is smaller than 0.05 (lib.format.fmt_signed)
        assert re.fullmatch(r"[+-]\d+\.\d{1,3} pp|—", table.loc[share, "Cambio"]), share
    assert re.fullmatch(r"-?\$\d{1,3}(,\d{3})*", table.loc["Recaudación a tiempo", "Periodo"])
    assert re.fullmatch(r"[+-][\d,]+\.\d{1,3}%|—", table.loc["Contactos", "Cambio"])
    assert re.fullmatch(r"[+-]\d+\.\d{1,3} pts|—", table.loc["NPS", "Cambio"])


def test_changing_a_filter_changes_the_kpis(sqlite_tiny, monkeypatch):
    at = _app(monkeypatch, sqlite_tiny)
    national = _metric(at, "Contactos")
    at.sidebar.selectbox(key="ooad").set_value("14").run()
    assert not at.exception
    jalisco = _metric(at, "Contactos")
    assert jalisco != national
    assert jalisco == f"{_contacts(sqlite_tiny, 'AND s.ooad_id = 14'):,}"
    assert at.caption[0].value.startswith("OOAD Jalisco")
    at.sidebar.selectbox(key="canal").set_value("en_linea").run()
    assert _metric(at, "Participación digital") == "100.0%"


def test_url_parameters_restore_the_view(sqlite_tiny, monkeypatch):
    at = _app(
        monkeypatch,
        sqlite_tiny,
        ooad="Jalisco",
        subdel="Libertad Reforma",
        desde="jun 2026",
        hasta="jun 2026",
    )
    assert not at.exception
    assert at.sidebar.selectbox(key="ooad").value == "14"
    assert at.sidebar.selectbox(key="subdel").value == "1439"
    assert at.caption[0].value.startswith("Subdelegación Libertad Reforma")
    assert "junio 2026" in at.subheader[0].value
    engine = make_engine(sqlite_tiny)
    with engine.connect() as conn:
        complaints = conn.execute(
            text(
                "SELECT COUNT(*) FROM complaint WHERE subdelegacion_id = 1439 "
                "AND month = '2026-06-01'"
            )
        ).scalar_one()
    assert _metric(at, "Quejas recibidas") == f"{complaints:,}"


def test_forged_url_parameters_are_ignored(sqlite_tiny, monkeypatch):
    at = _app(
        monkeypatch,
        sqlite_tiny,
        ooad="Atlántida'; DROP TABLE patron;--",
        desde="<script>",
        canal="x",
    )
    assert not at.exception
    assert at.sidebar.selectbox(key="ooad").value == "todas"
    assert at.caption[0].value.startswith("Nacional")
    assert _metric(at, "Contactos") == f"{_contacts(sqlite_tiny):,}"


def test_data_page(db, monkeypatch):
    at = _app(monkeypatch, db.url)
    at.switch_page("pages/9_datos.py").run()
    assert not at.exception
    assert at.title[0].value == "Datos y cobertura"
    assert at.metric[0].value == "Demostración"
    assert len(at.dataframe) == 2  # table counts and planted truth


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://postgres@127.0.0.1:1/nada", "No se pudo conectar con la base de datos"),
        ("esto no es una url", "La configuración de la base de datos no es válida"),
        ("mysql://u@h/db", "La configuración de la base de datos no es válida"),
    ],
)
def test_bad_database_gives_a_spanish_message(monkeypatch, url, expected):
    at = _app(monkeypatch, url)
    assert not at.exception
    assert expected in at.error[0].value
    assert not at.metric


def test_schema_missing_then_empty_then_recovered(tmp_path, monkeypatch):
    path = tmp_path / "later" / "mirador.db"
    url = f"sqlite:///{path}"
    at = _app(monkeypatch, url)  # directory does not exist: cannot open
    assert not at.exception
    assert "No se pudo conectar" in at.error[0].value
    path.parent.mkdir()
    at.run()  # file is created empty: no schema
    assert "no tiene las tablas de Mirador" in at.error[0].value
    from lib.db.migrate import upgrade_schema

    upgrade_schema(make_engine(url))
    at.run()
    assert "está vacía" in at.error[0].value
    seed(make_engine(url), "tiny", 1)  # data loaded while the app runs
    at.run()  # no restart needed
    assert not at.exception and not at.error
    assert [m.label for m in at.metric] == KPI_LABELS


def test_postgres_outage_and_recovery(pg_tiny, monkeypatch):
    """The server goes away mid-session and comes back: a message, then the page again."""
    from sqlalchemy.engine import make_url

    from tests.tcp_proxy import TcpProxy

    real = make_url(pg_tiny)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    proxy.start()
    url = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    try:
        at = _app(monkeypatch, url)
        assert [m.label for m in at.metric] == KPI_LABELS
        proxy.stop()
        at.sidebar.selectbox(key="ooad").set_value("14").run()  # a new query must go out
        assert not at.exception
        assert "No se pudo conectar con la base de datos" in at.error[0].value
        proxy.start()
        at.run()
        assert not at.exception and not at.error
        assert at.caption[0].value.startswith("OOAD Jalisco")
    finally:
        proxy.stop()


def test_channel_page_national_and_subdelegacion(db, monkeypatch):
    at = _app(monkeypatch, db.url)
    at.switch_page("pages/2_canales.py").run()
    assert not at.exception
    assert at.title[0].value == "Canales de atención"
    verdicts = [m.value for m in at.markdown if m.value.startswith("- **")]
    assert any(
        "Resolución al primer contacto" in v and "Asistencia personalizada" in v for v in verdicts
    )
    # planted medians: contact center 6 min, asistencia 8, ventanilla 22, self-service none
    wait = next(v for v in verdicts if v.startswith("- **Tiempo de espera"))
    assert "Contact center es el mejor canal" in wait
    assert wait.endswith("fuera de la comparación: Buzón IMSS, Servicios en línea y Impresos.")
    table = at.dataframe[0].value
    assert table["Contactos"].sum() == _contacts(db.url)
    at2 = _app(monkeypatch, db.url, ooad="Jalisco", subdel="Libertad Reforma")
    at2.switch_page("pages/2_canales.py").run()
    assert not at2.exception
    assert at2.caption[0].value.startswith(
        "Estudio comparativo de canales · Subdelegación Libertad Reforma"
    )
    assert at2.dataframe[0].value["Contactos"].sum() == _contacts(
        db.url, "AND i.subdelegacion_id = 1439"
    )


def test_channel_page_drills_down_from_a_chart_click(sqlite_tiny, monkeypatch):
    from lib.ui.drill import on_unit_click

    at = _app(monkeypatch, sqlite_tiny)
    at.switch_page("pages/2_canales.py").run()
    at.session_state["canales_unidades"] = {
        "selection": {"points": [{"customdata": [14, 100]}], "point_indices": [0]}
    }
    # the chart's callback runs before the rerun, as in the browser
    import streamlit as st

    with monkeypatch.context() as m:
        m.setattr(st, "session_state", at.session_state)
        on_unit_click("canales_unidades", "ooad")
    at.run()
    assert not at.exception
    assert at.sidebar.selectbox(key="ooad").value == "14"
    assert "Jalisco" in at.caption[0].value


def test_channel_page_export_tab_from_the_url(sqlite_tiny, monkeypatch):
    at = _app(monkeypatch, sqlite_tiny, vista="Exportar")
    at.switch_page("pages/2_canales.py").run()
    assert not at.exception
    assert at.get("download_button")[0].label == "Descargar estudio (Excel)"
    assert not at.dataframe  # the comparison tab is closed: not computed


def test_evaluation_page_national_and_one_ooad(db, monkeypatch):
    for params, scope in (({}, "Nacional"), ({"ooad": "Jalisco"}, "OOAD Jalisco")):
        for vista in (
            "Puntajes",
            "Oficinas",
            "Cambio en el tiempo",
            "Qué mueve la satisfacción",
            "Metas",
            "Comentarios",
            "Exportar",
        ):
            at = _app(monkeypatch, db.url, vista=vista, **params)
            at.switch_page("pages/3_evaluacion.py").run()
            assert not at.exception, (vista, at.exception)
            assert at.title[0].value == "Evaluación del servicio"
            assert scope in at.caption[0].value
            if vista == "Metas":  # effort: lower is better, the delta reads value − target
                effort = next(m for m in at.metric if m.label == "Esfuerzo (1-5)")
                value = float(effort.value)
                assert effort.proto.delta == f"{value - 2.0:+.1f} vs. meta"
                red, green = 0, 1  # Metric.MetricColor
                assert effort.proto.color == (red if value > 2.0 else green)  # red: above
    engine = make_engine(db.url)
    with engine.connect() as conn:
        n = conn.execute(
            text(
                "SELECT COUNT(*) FROM survey_response r JOIN subdelegacion s "
                "ON s.id = r.subdelegacion_id WHERE s.ooad_id = 14 "
                "AND r.month BETWEEN '2025-11-01' AND '2026-10-01'"
            )
        ).scalar_one()
    engine.dispose()
    assert _metric(at, "Respuestas") == f"{n:,}"


def test_evaluation_page_marks_the_weak_offices_on_demo_data(sqlite_demo, monkeypatch):
    at = _app(monkeypatch, sqlite_demo, vista="Oficinas")
    at.switch_page("pages/3_evaluacion.py").run()
    assert not at.exception
    flagged = [m.value for m in at.markdown if "por debajo del límite" in m.value]
    assert flagged == ["**2 oficina(s) por debajo del límite de 99.8 %** (Ecatepec, Sureste)"]
    at = _app(monkeypatch, sqlite_demo, vista="Cambio en el tiempo")
    at.switch_page("pages/3_evaluacion.py").run()
    drops = [m.value for m in at.markdown if m.value.startswith("- **")]
    assert len(drops) == 1 and "Contact center" in drops[0] and "abr 2026" in drops[0]


def test_channel_page_with_a_single_channel_selected(sqlite_tiny, monkeypatch):
    at = _app(monkeypatch, sqlite_tiny, canal="Ventanilla única")
    at.switch_page("pages/2_canales.py").run()
    assert not at.exception
    assert any("Hay un solo canal" in i.value for i in at.info)
    assert list(at.dataframe[0].value["Canal"]) == ["Ventanilla única"]


def test_campaign_page_for_each_campaign(db, monkeypatch):
    for code, evidence in (
        ("DIF-2025-03", "débil"),
        ("DIF-2025-09", "fuerte"),
        ("REG-2026-03", "moderada"),
    ):
        at = _app(monkeypatch, db.url, campana=code)
        at.switch_page("pages/4_campanas.py").run()
        assert not at.exception, (code, at.exception)
        assert at.title[0].value == "Efecto de campañas"
        assert _metric(at, "Efecto en pago oportuno").endswith(" pp")
        assert any(f"Evidencia {evidence}" in c.value for c in at.caption)


CAMPAIGN_VIEWS = [
    ("REG-2026-03", "Mes a mes"),
    ("REG-2026-03", "Dónde funcionó"),
    ("REG-2026-03", "Todas las campañas"),
    ("REG-2026-03", "Exportar"),
    ("DIF-2025-09", "Dónde funcionó"),
    ("DIF-2025-03", "Mes a mes"),
]
LIVE_NOTE = " Resultado calculado al momento"


def _campaign_page(monkeypatch, url: str) -> tuple[dict, bool]:
    """What the campaign page shows in each view (metrics, texts, chart specs, tables), and
    whether any view said it computed the result on the fly."""
    shown, live = {}, False
    for code, vista in CAMPAIGN_VIEWS:
        at = _app(monkeypatch, url, campana=code, vista=vista)
        at.switch_page("pages/4_campanas.py").run()
        assert not at.exception, (code, vista, at.exception)
        captions = [c.value for c in at.caption]
        live = live or any(LIVE_NOTE in c for c in captions)
        shown[(code, vista)] = (
            [(m.label, m.value, m.help) for m in at.metric],
            [c.split(LIVE_NOTE)[0] for c in captions],
            [i.value for i in at.info] + [w.value for w in at.warning],
            [json.loads(c.proto.spec) for c in at.get("plotly_chart")],
            [d.value.to_dict("split") for d in at.dataframe],
        )
    return shown, live


def test_campaign_page_stored_and_live_show_the_same(db, monkeypatch):
    """The page reads the refresh's stored results; without them (a database not refreshed
    since migration 0008) it computes live and says so, showing the very same numbers."""
    import streamlit as st
    from sqlalchemy import delete, insert, select

    from lib.db.schema import CampaignResult

    table = CampaignResult.__table__
    stored, live = _campaign_page(monkeypatch, db.url)
    assert not live
    with db.engine.begin() as conn:
        saved = [dict(r) for r in conn.execute(select(table)).mappings()]
        conn.execute(delete(table))
    try:
        st.cache_data.clear()
        computed, live = _campaign_page(monkeypatch, db.url)
    finally:
        with db.engine.begin() as conn:
            conn.execute(insert(table), saved)
    assert live
    for view in stored:
        assert_close(stored[view], computed[view], str(view))
    # the numbers are really there: effect, panel rows, segments and every campaign
    assert stored[("REG-2026-03", "Mes a mes")][0][0][0] == "Efecto en pago oportuno"
    assert any("filas de panel analizadas" in c for c in stored[("REG-2026-03", "Exportar")][1])
    assert stored[("REG-2026-03", "Dónde funcionó")][3], "effect by size band drawn"
    bands = stored[("REG-2026-03", "Dónde funcionó")][3][-1]["data"][0]["y"]  # named, not S1…
    assert bands and all("puesto" in b for b in bands), bands
    assert len(stored[("REG-2026-03", "Todas las campañas")][4][-1]["data"]) == 3


def test_tables_show_a_missing_value_as_a_dash(sqlite_tiny, monkeypatch):
    """The comparison of every campaign has no return for the outreach campaigns (no
    collection effect measured): the cell reads "—", not Streamlit's grey "None"."""
    at = _app(monkeypatch, sqlite_tiny, vista="Todas las campañas")
    at.switch_page("pages/4_campanas.py").run()
    assert not at.exception
    table = next(d for d in at.dataframe if "Retorno por peso" in d.value.columns)
    assert table.value["Retorno por peso"].isna().any()
    assert {d.proto.placeholder for d in at.dataframe} == {"—"}


def test_complaints_page_national_and_one_subdelegacion(db, monkeypatch):
    for params, scope in (
        ({}, "Nacional"),
        ({"ooad": "Jalisco", "subdel": "Libertad Reforma"}, "Subdelegación Libertad Reforma"),
    ):
        for vista in ("Volumen", "Oportunidad", "Lo inusual", "Texto", "Exportar"):
            at = _app(monkeypatch, db.url, vista=vista, **params)
            at.switch_page("pages/5_quejas.py").run()
            assert not at.exception, (vista, at.exception)
            assert scope in at.caption[0].value
            if vista == "Oportunidad":  # the backlog chart and its one-line reading
                assert at.get("plotly_chart")
                assert any("quejas abiertas" in c.value for c in at.caption)
    at = _app(monkeypatch, db.url, vista="Lo inusual")
    at.switch_page("pages/5_quejas.py").run()
    items = [m.value for m in at.markdown if m.value.startswith("1. ")]
    assert items and "Libertad Reforma" in items[0] and "junio 2026" in items[0]


def test_orientation_page_trains_then_capacity_changes_the_list(sqlite_tiny, tmp_path, monkeypatch):
    import shutil

    copy = tmp_path / "orient.db"
    shutil.copy(sqlite_tiny.removeprefix("sqlite:///"), copy)
    url = f"sqlite:///{copy}"
    at = _app(monkeypatch, url)
    at.switch_page("pages/6_orientacion.py").run()
    assert not at.exception
    assert any("no hay un modelo" in i.value for i in at.info)
    # the button runs this same call (AppTest loses a click across the page-switch rerun)
    from lib.model.pipeline import train_store_and_score

    engine = make_engine(url)
    train_store_and_score(engine, dt.date(2026, 4, 1), dt.date(2026, 11, 1), actor=SYSTEM_USER)
    engine.dispose()
    at = _app(monkeypatch, url)
    at.switch_page("pages/6_orientacion.py").run()
    assert not at.exception
    assert _metric(at, "ROC AUC (evaluación)").startswith("0.")
    ten = at.dataframe[0].value
    at.number_input(key="capacidad").set_value(3).run()
    three = at.dataframe[0].value
    assert len(three) < len(ten) and three["Lugar en la oficina"].max() == 3
    assert ten["Lugar en la oficina"].max() == 10
    assert three["Registro patronal"].str.contains("•").all()  # identifiers masked


def test_demo_visitors_cannot_train_unless_the_operator_turns_it_on(
    sqlite_tiny, tmp_path, monkeypatch
):
    """Without accounts everyone is the demo administrator, yet training changes everyone's
    list: no button, a line saying who trains and how (the page, not only lib, refuses)."""
    import shutil

    copy = tmp_path / "orient.db"
    shutil.copy(sqlite_tiny.removeprefix("sqlite:///"), copy)
    monkeypatch.delenv("MIRADOR_DEMO_TRAINING", raising=False)
    at = _app(monkeypatch, f"sqlite:///{copy}")
    at.switch_page("pages/6_orientacion.py").run()
    assert not at.exception
    assert not [b for b in at.button if "ntrenar" in b.label]
    said = " ".join(c.value for c in at.caption)
    assert "MIRADOR_DEMO_TRAINING=1" in said and "python -m lib train" in said


def test_demo_training_asks_first_and_says_what_it_changes(sqlite_tiny, tmp_path, monkeypatch):
    """Turned on by the operator (MIRADOR_DEMO_TRAINING=1), the train button only opens a
    confirmation saying the list changes for everyone and how long it takes. (AppTest drops
    clicks after switch_page, so the confirmation step is entered through its session key.)"""
    import shutil

    copy = tmp_path / "orient.db"
    shutil.copy(sqlite_tiny.removeprefix("sqlite:///"), copy)
    monkeypatch.setenv("MIRADOR_DEMO_TRAINING", "1")
    at = _app(monkeypatch, f"sqlite:///{copy}")
    at.switch_page("pages/6_orientacion.py").run()
    assert [b.label for b in at.button if "ntrenar" in b.label] == ["Entrenar y calificar"]
    at.session_state["orient_confirm_train"] = True
    at.run()
    assert not at.exception
    warning = next(w.value for w in at.warning if "Entrenar el modelo de nuevo" in w.value)
    assert "cambia para quien use esta base" in warning and "minuto y medio" in warning
    labels = [b.label for b in at.button]
    assert "Sí, entrenar ahora" in labels and "Cancelar" in labels
    assert "Entrenar y calificar" not in labels
    assert any("no hay un modelo" in i.value for i in at.info)  # nothing trained yet
