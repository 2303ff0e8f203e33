"""The work-program planner's logic: forecast and capacity on series with known answers,
validation messages, drafts with versions and conflicts on both backends, and exports."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from lib.access import User
from lib.audit import audit_events
from lib.filters import Filters
from lib.planning import baseline as bl
from lib.planning import capacity as cap
from lib.planning import drafts as dr
from lib.planning import export as ex
from lib.planning import forecast as fc
from lib.planning.campaigns import campaign_plan
from lib.planning.validation import DraftInvalid, validate_targets
from lib.queries import overview
from lib.queries import planning as qp

ANA = User("ana", "Ana", "planeador")
BETO = User("beto", "Beto", "planeador")
SEASON = np.array([1.25, 1.2, 1.0, 0.92, 1.0, 0.95, 0.97, 1.0, 0.98, 1.0, 1.05, 0.9])
FIRST = dt.date(2023, 11, 1)


def _series(n: int = 36, noise: float = 0.0, seed: int = 0) -> pd.Series:
    """1,000 contacts a month growing 7 % a year with the demo's month factors."""
    rng = np.random.default_rng(seed)
    months = [fc.add_months(FIRST, i) for i in range(n)]
    values = [
        1000 * 1.07 ** (i / 12) * SEASON[m.month - 1] * rng.lognormal(0, noise)
        for i, m in enumerate(months)
    ]
    return pd.Series(values, index=months)


def _truth(i: int, month: int) -> float:
    return 1000 * 1.07 ** (i / 12) * SEASON[month - 1]


# ------------------------------------------------------------------------------- forecast


def test_plan_months_reach_december_of_the_plan_year():
    horizon, months = fc.plan_months(dt.date(2026, 10, 1), 2027)
    assert horizon == 14
    assert months[0] == dt.date(2027, 1, 1) and months[-1] == dt.date(2027, 12, 1)
    with pytest.raises(ValueError, match="posterior"):
        fc.plan_months(dt.date(2026, 10, 1), 2026)


def test_forecast_recovers_a_known_seasonal_series():
    s = _series()
    horizon, keep = fc.plan_months(dt.date(2026, 10, 1), 2027)
    out = fc.forecast_series(s, horizon, keep)
    truth = np.array([_truth(38 + i, i + 1) for i in range(12)])  # Jan 2027 is month 38
    err = np.abs(out.monthly["forecast"].to_numpy() - truth) / truth
    assert err.max() < 0.03
    assert abs(out.total - truth.sum()) / truth.sum() < 0.02
    assert out.total_lower <= out.total <= out.total_upper
    assert (out.monthly["lower"] <= out.monthly["forecast"]).all()
    assert (out.monthly["forecast"] <= out.monthly["upper"]).all()
    # January is the busiest month, as planted
    assert out.monthly["forecast"].idxmax() == 0
    assert "estacionalidad" in out.method


def test_intervals_are_wider_for_noisier_series():
    quiet = fc.backtest(_series(noise=0.01, seed=3))
    noisy = fc.backtest(_series(noise=0.10, seed=3))
    width = lambda b: (b.frame["upper"] - b.frame["lower"]).mean()  # noqa: E731
    assert width(noisy) > 3 * width(quiet)
    assert noisy.mape > quiet.mape
    assert 0 <= noisy.coverage <= 1


def test_backtest_mape_is_exact_on_hand_made_numbers():
    assert fc.mape([100, 200, 0], [110, 180, 5]) == pytest.approx(10.0)
    b = fc.backtest(_series())
    assert b.train_months == 24 and len(b.frame) == 12
    assert b.frame["month"].iloc[0] == dt.date(2025, 11, 1)
    assert b.mape < 3
    with pytest.raises(ValueError, match="más de 12 meses"):
        fc.backtest(_series(n=12))


def test_short_histories_fall_back_to_simpler_models():
    short = fc.forecast_series(_series(n=14), 3)
    assert "sin estacionalidad" in short.method
    tiny = fc.forecast_series(
        pd.Series(
            [10.0, 10.0, 10.0], index=[FIRST, fc.add_months(FIRST, 1), fc.add_months(FIRST, 2)]
        ),
        2,
    )
    assert tiny.monthly["forecast"].tolist() == pytest.approx([10.0, 10.0])
    with pytest.raises(ValueError, match="huecos"):
        fc.forecast_series(pd.Series([1.0, 2.0], index=[FIRST, dt.date(2024, 3, 1)]), 2)


def test_forecast_by_key_counts_missing_months_as_zero():
    s = _series()
    long = pd.concat(
        [
            pd.DataFrame({"month": s.index, "channel_id": "a", "contacts": s.values}),
            pd.DataFrame({"month": s.index, "channel_id": "b", "contacts": 2 * s.values}),
        ]
    )
    monthly, totals = fc.forecast_by(long, "channel_id", dt.date(2026, 10, 1), 2027)
    t = totals.set_index("channel_id")
    assert t.loc["b", "forecast"] == pytest.approx(2 * t.loc["a", "forecast"], rel=0.02)
    assert t.loc["a", "last12"] == pytest.approx(s.tail(12).sum())
    assert len(monthly) == 24 and t["backtest_mape"].lt(3).all()
    bridged, same = fc.forecast_by(long, "channel_id", dt.date(2026, 10, 1), 2027, all_months=True)
    assert len(bridged) == 28 and bridged["month"].min() == dt.date(2026, 11, 1)
    assert same["forecast"].tolist() == t["forecast"].tolist()


# ------------------------------------------------------------------------------- capacity


def test_capacity_hours_are_volume_times_minutes():
    assert cap.staff_hours(6000, 10) == 1000
    volume = pd.DataFrame(
        {
            "channel_id": ["v", "c"],
            "forecast": [6000.0, 1200.0],
            "lower": [5400.0, 1200.0],
            "upper": [6600.0, 1200.0],
        }
    )
    t = cap.capacity_table(volume, {"v": 10, "c": 5}, {"v": 800, "c": None}, hours_per_fte=100)
    v, c, total = (t.set_index("channel_id").loc[k] for k in ("v", "c", "total"))
    assert (v.hours_needed, v.hours_lower, v.hours_upper) == (1000, 900, 1100)
    assert v.gap_hours == -200 and v.coverage == pytest.approx(0.8) and v.fte_needed == 10
    assert c.hours_needed == 100 and pd.isna(c.gap_hours)
    assert total.hours_needed == 1100 and total.hours_available == 800
    assert total.handle_minutes == pytest.approx(60 * 1100 / 7200)
    with pytest.raises(ValueError):
        cap.staff_hours(-1, 3)


# ----------------------------------------------------------------------------- validation


def _targets(**changes) -> pd.DataFrame:
    rows = [
        {
            "indicator": "Participación digital",
            "unit": "%",
            "baseline": 38.2,
            "target": 45.5,
            "owner_unit": "División de Servicios Subdelegacionales",
            "q1": 40,
            "q2": 42,
            "q3": 44,
            "q4": 45.5,
            "due_on": dt.date(2027, 12, 15),
            "notes": "Impulsar SIPARE",
        },
        {
            "indicator": "Contactos (todos los canales)",
            "unit": "contactos",
            "baseline": 350000.0,
            "target": 340000.0,
            "owner_unit": "División de Servicios Subdelegacionales",
            "q1": None,
            "q2": None,
            "q3": None,
            "q4": None,
            "due_on": None,
            "notes": None,
        },
    ]
    for k, v in changes.items():
        rows[0][k] = v
    return pd.DataFrame(rows)


def test_valid_targets_are_cleaned():
    rows = validate_targets(_targets(), 2027)
    assert rows[0]["due_on"] == "2027-12-15" and rows[1]["due_on"] is None
    assert rows[0]["target"] == 45.5 and rows[1]["q1"] is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"target": 120.0},
            "Fila 1 (Participación digital), Meta: 120 está fuera de 0–100 para un porcentaje",
        ),
        ({"q3": -5.0}, "Hito T3: -5 está fuera de 0–100"),
        (
            {"due_on": dt.date(2028, 1, 15)},
            "Fecha compromiso: 15/01/2028 es posterior al cierre del año 2027",
        ),
        (
            {"owner_unit": "  "},
            "Fila 1 (Participación digital), Unidad responsable: falta la unidad responsable",
        ),
        ({"owner_unit": None}, "falta la unidad responsable"),
        ({"indicator": ""}, "Fila 1, Indicador: falta el nombre del indicador"),
        ({"indicator": "Contactos (todos los canales)"}, "el indicador ya está en la fila 1"),
    ],
)
def test_invalid_targets_give_spanish_messages(change, message):
    with pytest.raises(DraftInvalid) as exc:
        validate_targets(_targets(**change), 2027)
    assert any(message in p for p in exc.value.problems), exc.value.problems


# --------------------------------------------------------------------------------- drafts


def _content(**targets) -> dict:
    return dr.prepare_content(
        2027,
        "PAT 2027 prueba",
        "borrador",
        "nota",
        _targets(**targets),
        capacity=[{"channel_id": "ventanilla", "handle_minutes": 18.0, "hours_available": 900.0}],
        campaigns=[{"code": "DIF-2025-09", "planned_cost": 100000.0, "expected_return": 2.5e6}],
    )


def test_drafts_save_load_version_and_conflict(clean_db):
    db = clean_db
    first = dr.create_draft(db.engine, ANA, _content())
    assert first.version == 1 and first.status == "borrador" and first.author == "ana"
    loaded = dr.load_draft(db.engine, first.id)
    assert loaded.targets.set_index("indicator").loc["Participación digital", "target"] == 45.5
    assert loaded.content["capacity"][0]["hours_available"] == 900.0

    # Ana saves version 2 from version 1
    v2 = dr.save_draft(db.engine, first.id, ANA, _content(target=47.0), expected_version=1)
    assert v2.version == 2
    # Beto started from version 1 too: his save is refused, nothing is written, he sees why
    with pytest.raises(dr.DraftConflict) as exc:
        dr.save_draft(db.engine, first.id, BETO, _content(target=50.0), expected_version=1)
    conflict = exc.value
    assert (conflict.expected, conflict.current, conflict.author) == (1, 2, "ana")
    assert "versión 2" in str(conflict)
    assert {
        "section": "Metas",
        "item": "Participación digital",
        "field": "target",
        "before": 45.5,
        "after": 47.0,
    } in conflict.changes
    assert dr.load_draft(db.engine, first.id).targets.iloc[0]["target"] == 47.0

    # Beto reapplies on version 2 and moves it to review
    content = _content(target=50.0)
    content["status"] = "en_revision"
    v3 = dr.save_draft(db.engine, first.id, BETO, content, expected_version=2)
    assert (v3.version, v3.status) == (3, "en_revision")
    hist = dr.versions(db.engine, first.id)
    assert hist["version"].tolist() == [3, 2, 1]
    assert hist["author"].tolist() == ["beto", "ana", "ana"]
    old = dr.load_draft(db.engine, first.id, version=1)
    assert old.targets.iloc[0]["target"] == 45.5 and old.author == "ana"
    listed = dr.list_drafts(db.engine, 2027).set_index("id").loc[first.id]
    assert (listed["version"], listed["last_author"], listed["status"]) == (
        3,
        "beto",
        "en_revision",
    )
    # the SQL mirror holds the latest targets; every save is audited
    mirror = pd.read_sql(
        f"SELECT indicator, target FROM work_program_target WHERE work_program_id = {first.id}",
        db.engine,
    )
    assert sorted(mirror["target"]) == [50.0, 340000.0]
    saves = audit_events(db.engine, action="draft_save")
    assert (saves["target"] == f"programa {first.id} v3").sum() == 1
    assert not (saves["target"] == f"programa {first.id} v4").any()


def test_invalid_edits_save_nothing(clean_db):
    db = clean_db
    d = dr.create_draft(db.engine, ANA, _content())
    with pytest.raises(DraftInvalid):
        dr.save_draft(db.engine, d.id, ANA, _content(target=140.0), expected_version=1)
    with pytest.raises(DraftInvalid, match="Falta el título"):
        dr.prepare_content(2027, " ", "borrador", None, _targets())
    assert dr.load_draft(db.engine, d.id).version == 1
    assert dr.versions(db.engine, d.id)["version"].tolist() == [1]
    with pytest.raises(dr.DraftNotFound):
        dr.load_draft(db.engine, 987654)


def test_diff_lists_added_removed_and_changed_rows():
    old = _content()
    new = _content(q1=41.0)
    new["targets"] = new["targets"][:1] + [
        {**new["targets"][1], "indicator": "Quejas cerradas en plazo", "unit": "%", "target": 95.0}
    ]
    new["title"] = "PAT 2027 v2"
    changes = dr.diff_content(old, new)
    fields = {(c["section"], c["item"], c["field"]) for c in changes}
    assert ("General", "Título", "title") in fields
    assert ("Metas", "Participación digital", "q1") in fields
    assert ("Metas", "Quejas cerradas en plazo", "(fila agregada)") in fields
    assert ("Metas", "Contactos (todos los canales)", "(fila eliminada)") in fields


# ------------------------------------------------------------------------- baseline/query


@pytest.mark.parametrize("size", [None, "S3"])
def test_channel_ooad_month_matches_raw_rows(db, size):
    """The forecast's history (read from the coarse rollup, without procedure) against the
    raw contacts: the same contacts and handling minutes per month, channel and OOAD."""
    f = Filters(dt.date(2023, 11, 1), dt.date(2026, 10, 1), size_band_id=size)
    got = qp.channel_ooad_month(db.engine, f)
    where = "" if size is None else "WHERE p.size_band_id = 'S3'"
    with db.engine.connect() as conn:
        raw = pd.read_sql(
            text(
                "SELECT i.month, i.channel_id, s.ooad_id, COUNT(*) AS contacts, "
                "SUM(i.handle_minutes) AS handle_minutes_sum FROM interaction i "
                "JOIN subdelegacion s ON s.id = i.subdelegacion_id "
                f"JOIN patron p ON p.id = i.patron_id {where} "
                "GROUP BY i.month, i.channel_id, s.ooad_id ORDER BY i.month, i.channel_id, s.ooad_id"
            ),
            conn,
        )
    raw["month"] = pd.to_datetime(raw["month"]).dt.date
    assert len(got) == len(raw) > 0
    assert list(got["month"]) == list(raw["month"])
    assert list(got["channel_id"]) == list(raw["channel_id"])
    assert list(got["ooad_id"]) == list(raw["ooad_id"].astype(int))
    assert list(got["contacts"].astype(int)) == list(raw["contacts"].astype(int))
    assert list(got["handle_minutes_sum"]) == pytest.approx(list(raw["handle_minutes_sum"]))


def test_baseline_matches_the_overview_sums(db):
    last = dt.date(2026, 10, 1)
    f = Filters(fc.add_months(last, -23), last)
    monthly = overview.monthly_indicators(db.engine, f)
    cm = qp.channel_ooad_month(db.engine, f)
    names = {"ventanilla": "Ventanilla única", "en_linea": "Servicios en línea"}
    oriented = {
        k: qp.oriented_patrons(db.engine, f, *bl.windows(last)[k]) for k in ("last12", "previous")
    }
    campaigns = pd.DataFrame(
        {
            "code": ["X"],
            "start_month": [dt.date(2026, 3, 1)],
            "additional": [300.0],
            "cost": [100.0],
        }
    )
    t = bl.baseline_table(monthly, cm, names, campaigns, oriented, last).set_index("key")
    last12 = monthly[monthly["month"] >= dt.date(2025, 11, 1)]
    assert t.loc["contacts", "last12"] == last12["contacts"].sum()
    assert t.loc["contacts", "last12"] == cm[cm["month"] >= dt.date(2025, 11, 1)]["contacts"].sum()
    assert t.loc["digital_share", "last12"] == pytest.approx(
        100 * last12["digital_contacts"].sum() / last12["contacts"].sum()
    )
    assert t.loc["campaigns", "last12"] == 1 and t.loc["campaigns", "previous"] == 0
    assert t.loc["campaign_return", "last12"] == 3.0
    assert t.loc["oriented", "last12"] > 0
    assert t.loc["fcr", "unit"] == "%" and 0 < t.loc["fcr", "last12"] < 100
    targets = bl.initial_targets(t.reset_index())
    assert targets["owner_unit"].notna().all() and targets["target"].isna().all()


# --------------------------------------------------------------------------------- export


def test_campaign_plan_scales_the_measured_return():
    measured = pd.DataFrame(
        {
            "code": ["A", "B"],
            "name": ["a", "b"],
            "channel_id": ["x", "y"],
            "evidence": ["fuerte", "débil"],
            "return_per_peso": [3.0, None],
            "return_low": [1.0, None],
            "return_high": [5.0, None],
        }
    )
    picks = pd.DataFrame(
        {"code": ["A", "B"], "include": [True, True], "planned_cost": [1000.0, 50.0]}
    )
    plan = campaign_plan(measured, picks).set_index("code")
    assert plan.loc["A", ["expected_return", "expected_low", "expected_high"]].tolist() == [
        3000,
        1000,
        5000,
    ]
    assert pd.isna(plan.loc["B", "expected_return"])


def test_exported_files_open_and_hold_the_saved_numbers(clean_db):
    db = clean_db
    d = dr.create_draft(db.engine, ANA, _content(target=45.5))
    saved = dr.load_draft(db.engine, d.id)
    xlsx = ex.workbook(saved.content, saved.version, saved.author)
    wb = load_workbook(io.BytesIO(xlsx))
    assert wb.sheetnames[:4] == ["Portada", "Metas", "Capacidad", "Campañas"]
    values = [c.value for row in wb["Metas"].iter_rows() for c in row]
    assert 45.5 in values and "Participación digital" in values
    assert 900.0 in [c.value for row in wb["Capacidad"].iter_rows() for c in row]

    from docx import Document

    docx_bytes = ex.document(
        saved.content, saved.version, saved.author, charts={"Pronóstico": None}
    )
    doc = Document(io.BytesIO(docx_bytes))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "45.5" in cells and "Participación digital" in cells and "PAT 2027 prueba" in cells
    assert any("sólo las tablas" in p.text for p in doc.paragraphs)


def test_editor_delta_is_applied_like_the_grid_does():
    from lib.planning.editor import apply_delta, typed_targets

    t = typed_targets(_targets())
    assert t["target"].dtype == float and t["due_on"].dtype.kind == "M"
    out = apply_delta(
        t,
        {
            "edited_rows": {1: {"target": 330000.0, "due_on": "2027-06-30"}},
            "added_rows": [{"indicator": "Nuevo", "unit": "%", "target": 50.0}],
            "deleted_rows": [0],
        },
    )
    assert out["indicator"].tolist() == ["Contactos (todos los canales)", "Nuevo"]
    assert out.loc[0, "target"] == 330000.0
    assert out.loc[0, "due_on"] == pd.Timestamp("2027-06-30")
    assert out.loc[1, "target"] == 50.0 and pd.isna(out.loc[1, "baseline"])
    assert apply_delta(t, None).equals(t)


def test_document_carries_the_charts_as_png_or_says_it_could_not():
    from docx import Document

    from lib.charts.planning import capacity_figure

    table = cap.capacity_table(
        pd.DataFrame(
            {"channel_id": ["v"], "forecast": [600.0], "lower": [500.0], "upper": [700.0]}
        ),
        {"v": 10},
        {"v": 80},
    )
    png = ex.chart_png(capacity_figure(table, {"v": "Ventanilla única"}))
    content = _content()
    doc = Document(io.BytesIO(ex.document(content, 1, "ana", charts={"Capacidad": png})))
    if png is None:  # no Chromium here: tables only, and the document says so
        assert any("sólo las tablas" in p.text for p in doc.paragraphs)
    else:
        assert png.startswith(b"\x89PNG")
        assert len(doc.inline_shapes) == 1


def test_working_copy_restores_a_saved_draft():
    from lib.planning.editor import working_copy

    names = {"ventanilla": "Ventanilla única", "en_linea": "Servicios en línea"}
    measured = pd.DataFrame({"code": ["A", "B"], "name": ["a", "b"], "cost": [100.0, 200.0]})
    new = working_copy(2027, names, {"ventanilla": 19.9}, measured, _targets(), None)
    assert new["draft_id"] is None and new["status"] == "borrador"
    assert new["capacity"]["handle_minutes"].tolist() == [19.9, 0.0]
    assert new["capacity"]["hours_available"].isna().all()
    assert not new["picks"]["include"].any()

    content = _content()
    content["capacity"] = [
        {"channel_id": "ventanilla", "handle_minutes": 15.0, "hours_available": 900.0}
    ]
    content["campaigns"] = [{"code": "B", "planned_cost": 50.0}]
    now = dt.datetime(2026, 11, 5)
    draft = dr.Draft(7, 2027, content["title"], "en_revision", 3, "ana", now, now, "nota", content)
    w = working_copy(2027, names, {"ventanilla": 19.9}, measured, None, draft)
    assert (w["draft_id"], w["version"], w["status"]) == (7, 3, "en_revision")
    cap_rows = w["capacity"].set_index("channel_id")
    assert cap_rows.loc["ventanilla", ["handle_minutes", "hours_available"]].tolist() == [
        15.0,
        900.0,
    ]
    assert pd.isna(cap_rows.loc["en_linea", "hours_available"])
    assert w["picks"].set_index("code")["include"].to_dict() == {"A": False, "B": True}
    assert w["picks"].set_index("code").loc["B", "planned_cost"] == 50.0
    assert w["targets"].set_index("indicator").loc["Participación digital", "target"] == 45.5


# ------------------------------------------------------------------ safe grids (issue 17)


def _two_targets() -> pd.DataFrame:
    from lib.planning.editor import typed_targets

    return typed_targets(
        pd.DataFrame(
            [
                {"indicator": "Contactos", "unit": "contactos", "baseline": 363457.0},
                {"indicator": "Participación digital", "unit": "%", "baseline": 38.7},
            ]
        )
    )


def test_edits_are_checked_at_edit_time_and_bad_cells_keep_their_value():
    from lib.planning.editor import TARGET_SPEC, apply_edits

    t = _two_targets()
    t.loc[0, "target"] = 350000.0
    out, problems = apply_edits(
        t,
        {
            "edited_rows": {
                0: {"target": -5, "baseline": 1, "q1": "abc", "q2": "1,200", "notes": "x" * 501},
                1: {"target": 120, "q1": 45.5, "owner_unit": "  CGSPM  "},
            }
        },
        TARGET_SPEC,
    )
    assert out.loc[0, "target"] == 350000.0  # -5 refused, not stored as 5
    assert out.loc[0, "baseline"] == 363457.0  # locked
    assert pd.isna(out.loc[0, "q1"]) and out.loc[0, "q2"] == 1200.0
    assert pd.isna(out.loc[1, "target"]) and out.loc[1, "q1"] == 45.5
    assert out.loc[1, "owner_unit"] == "CGSPM"
    assert problems == [
        "Fila 1 (Contactos), Meta: -5 es negativo; se dejó el valor anterior",
        "Fila 1 (Contactos), Línea base: no se edita (viene de los datos)",
        "Fila 1 (Contactos), Hito T1: «abc» no es un número; se dejó el valor anterior",
        "Fila 1 (Contactos), Notas: tiene 501 caracteres (máximo 500); se dejó el valor anterior",
        "Fila 2 (Participación digital), Meta: 120 es mayor que 100 (porcentaje); se dejó el "
        "valor anterior",
    ]


def test_added_rows_are_checked_and_empty_edits_clear_a_cell():
    from lib.planning.editor import TARGET_SPEC, apply_edits

    out, problems = apply_edits(
        _two_targets(),
        {
            "edited_rows": {1: {"unit": None}},
            "added_rows": [{"indicator": "Nuevo", "baseline": 5, "target": "7"}],
            "deleted_rows": [0],
        },
        TARGET_SPEC,
    )
    assert out["indicator"].tolist() == ["Participación digital", "Nuevo"]
    assert out.loc[1, "target"] == 7.0 and pd.isna(out.loc[1, "baseline"])
    assert out.loc[0, "unit"] is None or pd.isna(out.loc[0, "unit"])
    assert problems == ["Fila 3 (Nuevo), Línea base: no se edita (viene de los datos)"]
    same, none = apply_edits(_two_targets(), None, TARGET_SPEC)
    assert same.equals(_two_targets()) and none == []


def test_capacity_without_hours_is_short_and_says_so():
    volume = pd.DataFrame(
        {
            "channel_id": ["asistencia", "en_linea", "ventanilla"],
            "forecast": [47_817.0, 50_000.0, 6_000.0],
            "lower": [40_000.0, 45_000.0, 5_000.0],
            "upper": [55_000.0, 55_000.0, 7_000.0],
        }
    )
    names = {"asistencia": "Asistencia personalizada", "en_linea": "Servicios en línea"}
    minutes = {"asistencia": 20.0, "en_linea": 0.0, "ventanilla": 10.0}
    t = cap.capacity_table(volume, minutes, {})
    assert t.loc[0, "hours_needed"] == pytest.approx(15_939, abs=0.5)
    short = cap.shortfalls(t)
    assert short["channel_id"].tolist() == ["asistencia", "ventanilla"]  # en línea needs none
    reading = cap.capacity_reading(t, names)
    assert reading.startswith("Aún no se capturan horas disponibles")
    assert "Asistencia personalizada (15,939 h necesarias, sin horas disponibles" in reading
    assert "ningún canal queda corto" not in reading
    # zero entered counts as missing; enough hours elsewhere does not hide it
    t = cap.capacity_table(volume, minutes, {"asistencia": 0.0, "ventanilla": 2_000.0})
    assert cap.capacity_reading(t, names) == (
        "Faltan horas en: Asistencia personalizada (15,939 h necesarias, sin horas disponibles "
        "capturadas)."
    )
    t = cap.capacity_table(volume, minutes, {"asistencia": 15_000.0, "ventanilla": 2_000.0})
    assert cap.capacity_reading(t, names) == (
        "Faltan horas en: Asistencia personalizada (faltan 939 h de 15,939 h)."
    )
    t = cap.capacity_table(volume, minutes, {"asistencia": 16_000.0, "ventanilla": 1_000.0})
    assert "ningún canal queda corto" in cap.capacity_reading(t, names)
    t = cap.capacity_table(volume, {}, {})
    assert cap.capacity_reading(t, names).startswith("Ningún canal necesita horas")
