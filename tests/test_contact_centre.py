"""Contact-centre measures (issue 18): the revised contact contract, the queue rollup, the
measures and the demo's planted abandonment, each against an oracle computed another way:
hand counts of a planted file, numpy on the raw rows, the planted patience.

The planted file has the awkward cases: a month with no abandoned call, a file whose callers
are all anonymous, a single channel, a call that hung up in the menu (never queued), a
zero-second wait (queued, answered at once), a wait past the exact range (minute bins)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from lib.analysis import queue
from lib.contact import EXACT_WAIT_S, wait_bin_seconds
from lib.filters import Filters
from lib.ingest.load import import_file
from lib.queries import channels as cq
from lib.queries.explorer import explore

# All anonymous, one channel. March: 6 calls, none abandoned. April: 6 calls.
#   queued (a wait recorded): March 6 (one answered at once, 0 s); April 5 (A-12 hung up in
#   the menu: no wait). Answered (atendido/transferido): March 6, April 3.
#   Abandoned: April 2 (A-08 after 45 s, A-09 after 130 s). April's callback is
#   queued, neither answered nor abandoned.
PLANTED = """folio;subdelegacion;canal;tramite;fecha_hora;resultado;tipo_contacto;segundos_espera;segundos_atencion;segundos_menu;agente
1;1439;contact_center;consulta_orientacion;2024-03-04 09:00:00;atendido;anonimo;0;120;10;AG-1
2;1439;contact_center;consulta_orientacion;2024-03-04 09:05:00;atendido;anonimo;6;200;12;AG-1
3;1439;contact_center;consulta_orientacion;2024-03-05 10:00:00;atendido;anonimo;6;90;11;AG-2
4;1439;contact_center;consulta_orientacion;2024-03-06 10:00:00;transferido;anonimo;19;60;9;AG-2
5;1439;contact_center;consulta_orientacion;2024-03-07 11:00:00;atendido;anonimo;21;80;8;AG-1
6;1439;contact_center;consulta_orientacion;2024-03-08 12:00:00;atendido;anonimo;1500;300;30;AG-3
7;1439;contact_center;consulta_orientacion;2024-04-01 09:00:00;atendido;anonimo;4;100;10;AG-1
8;1439;contact_center;consulta_orientacion;2024-04-01 09:10:00;abandonado;anonimo;45;;15;
9;1439;contact_center;consulta_orientacion;2024-04-02 09:20:00;abandonado;anonimo;130;;14;
10;1439;contact_center;consulta_orientacion;2024-04-02 09:30:00;atendido;anonimo;20;150;12;AG-2
11;1439;contact_center;consulta_orientacion;2024-04-03 09:40:00;devolucion_llamada;anonimo;300;;10;
12;1439;contact_center;consulta_orientacion;2024-04-03 09:50:00;abandonado;anonimo;;;40;
"""
MARCH = Filters(dt.date(2024, 3, 1), dt.date(2024, 3, 1))
APRIL = Filters(dt.date(2024, 4, 1), dt.date(2024, 4, 1))
BOTH = Filters(dt.date(2024, 3, 1), dt.date(2024, 4, 1))


@pytest.fixture(scope="module")
def planted(catalogs):
    """The example catalogs (tests/conftest.py, both backends), then the planted calls."""
    r = import_file(catalogs, "interaction", PLANTED.encode(), file_name="llamadas.csv")
    assert r.status == "cargado", r.report()
    return catalogs


# ------------------------------------------------------------------------------- pure


def test_nearest_rank_quantile_is_numpys_inverted_cdf():
    rng = np.random.default_rng(4)
    for _ in range(50):
        waits = rng.integers(0, 400, rng.integers(1, 60))
        values, counts = np.unique(waits, return_counts=True)
        for q in (0.5, 0.9, 0.1, 1.0):
            assert queue.weighted_quantile(values, counts, q) == np.quantile(
                waits, q, method="inverted_cdf"
            )
    assert queue.weighted_quantile(np.array([5.0]), np.array([0.0]), 0.5) is None


def test_wait_bins_are_exact_then_by_the_minute():
    assert [wait_bin_seconds(s) for s in (0, 5.6, 59, 1199.4)] == [0, 6, 59, 1199]
    assert [wait_bin_seconds(s) for s in (1200, 1259, 1260, 7199, 7200, 99999)] == [
        1200,
        1200,
        1260,
        7140,
        7200,
        7200,
    ]


def test_queue_table_on_a_hand_made_histogram():
    waits = pd.DataFrame(
        {
            "channel_id": ["cc"] * 4,
            "wait_s": [0, 10, 30, 90],
            "queued": [10, 20, 10, 10],
            "answered": [10, 18, 8, 4],
            "abandoned": [0, 2, 2, 6],
            "wait_seconds_sum": [0.0, 200.0, 300.0, 900.0],
            "answered_wait_sum": [0.0, 180.0, 240.0, 360.0],
        }
    )
    t = queue.queue_table(waits, 20).loc["cc"]
    assert (t["queued"], t["answered"], t["abandoned"]) == (50, 40, 10)
    assert t["abandonment"] == pytest.approx(10 / 50)
    assert t["service_level"] == pytest.approx(28 / 50)  # answered with wait ≤ 20 s
    assert t["asa"] == pytest.approx(780 / 40)
    # 40 answered: the 20th is in the 10 s bin, the 36th in the 30 s bin
    assert (t["wait_median"], t["wait_p90"]) == (10, 30)
    assert t["abandonment_low"] < 0.2 < t["abandonment_high"]
    assert queue.queue_table(waits, 30).loc["cc", "service_level"] == pytest.approx(36 / 50)


# ----------------------------------------------------------------- planted file, both DBs


def test_planted_calls_load_with_their_outcomes(planted):
    with planted.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, patron_id, caller_kind, outcome, wait_seconds, handle_seconds, "
                "wait_minutes, resolved_first_contact, cost FROM interaction ORDER BY id"
            )
        ).all()
    assert len(rows) == 12
    assert all(r.patron_id is None and r.caller_kind == "anonimo" for r in rows)
    assert all(r.resolved_first_contact is None and r.cost is None for r in rows)
    by_id = {r.id: r for r in rows}
    assert by_id[8].outcome == "abandonado" and by_id[8].handle_seconds is None
    assert by_id[12].wait_seconds is None and by_id[12].wait_minutes == 0  # hung up in the menu
    assert by_id[1].wait_seconds == 0  # answered at once: queued, 0 s
    assert by_id[6].wait_minutes == pytest.approx(25.0)


def test_planted_queue_measures_by_month(planted):
    march = queue.queue_table(cq.queue_waits(planted, MARCH), 20).loc["contact_center"]
    # a month with no abandoned call: 0 %, with an interval that is not a point
    assert (march["queued"], march["answered"], march["abandoned"]) == (6, 6, 0)
    assert march["abandonment"] == 0 and march["abandonment_high"] > 0
    assert march["service_level"] == pytest.approx(4 / 6)  # 0, 6, 6, 19 s
    assert march["asa"] == pytest.approx((0 + 6 + 6 + 19 + 21 + 1500) / 6)
    assert march["wait_median"] == 6  # nearest rank: 3rd of 0, 6, 6, 19, 21, 1500
    assert march["wait_p90"] == 1500  # past the exact range: 25 min is a minute bin, 1500
    april = queue.queue_table(cq.queue_waits(planted, APRIL), 20).loc["contact_center"]
    assert (april["queued"], april["answered"], april["abandoned"]) == (5, 2, 2)
    assert april["abandonment"] == pytest.approx(2 / 5)
    assert april["service_level"] == pytest.approx(2 / 5)  # 4 s and 20 s (≤ 20)
    assert april["asa"] == pytest.approx(12.0)
    both = queue.queue_table(cq.queue_waits(planted, BOTH), 20).loc["contact_center"]
    assert (both["queued"], both["abandoned"]) == (11, 2)
    # contact rollups count handled contacts: the 3 abandoned ones stay in the queue rollup
    with planted.connect() as conn:
        contacts = conn.execute(text("SELECT SUM(contacts) FROM agg_interaction_month")).scalar()
        band = conn.execute(text("SELECT DISTINCT size_band_id FROM agg_interaction_month")).all()
    assert int(contacts) == 9 and [tuple(b) for b in band] == [("--",)]


def test_planted_metrics_in_the_catalog(planted):
    def value(metric: str, f: Filters = BOTH) -> float:
        return explore(planted, f, metric, ())["value"].iloc[0]

    assert value("abandonment") == pytest.approx(100 * 2 / 11)
    assert value("service_level") == pytest.approx(100 * 6 / 11)
    assert value("speed_of_answer") == pytest.approx((1552 + 24) / 8)
    assert value("wait_median_s") == 6  # 0, 4, 6, 6, 19, 20, 21, 1500: 4th
    assert value("wait_p90_s") == 1500
    by_month = explore(planted, BOTH, "abandonment", ("month",)).set_index("month")["value"]
    assert by_month.to_dict() == {
        dt.date(2024, 3, 1): 0.0,
        dt.date(2024, 4, 1): pytest.approx(40.0),
    }


def test_single_channel_has_no_comparison(planted):
    t = queue.queue_table(cq.queue_waits(planted, BOTH), 20)
    tests = queue.pairwise(t)
    assert list(t.index) == ["contact_center"] and tests.empty
    assert queue.verdicts(t, tests, {}) == []


# --------------------------------------------------------------- the contract's new rules


def test_open_complaint_with_a_closing_date_is_a_problem(planted):
    bad = (
        "folio;tipo;canal;subdelegacion;fecha_recepcion;fecha_limite;fecha_cierre;estado\n"
        "X-1;queja;ventanilla;1439;15/01/2024;25/03/2024;20/02/2024;abierta\n"
        "X-2;queja;ventanilla;1439;15/01/2024;25/03/2024;20/02/2024;cerrada\n"
    )
    r = import_file(
        planted, "complaint", bad.encode(), file_name="q.csv", as_of=dt.date(2024, 12, 31)
    )
    assert r.status == "rechazado"
    problems = r.problems
    assert list(problems["fila"]) == [2] and list(problems["columna"]) == ["status"]
    assert "abierta pero con fecha de cierre" in problems["problema"].iloc[0]


def test_channel_kind_otro_loads(planted):
    r = import_file(
        planted,
        "channel",
        b"clave;nombre;tipo;digital;costo_unitario\nderivada;Derivada por otra autoridad;otro;no;0\n",
        file_name="c.csv",
        refresh=False,
    )
    assert r.ok, r.report()


def test_a_registro_with_a_non_patron_caller_is_a_problem(planted):
    bad = (
        "folio;registro;subdelegacion;canal;tramite;fecha_hora;tipo_contacto;segundos_espera\n"
        "99;Z0000000001;1439;contact_center;alta_patronal;2024-04-05 10:00:00;anonimo;5\n"
    )
    r = import_file(planted, "interaction", bad.encode(), file_name="x.csv", refresh=False)
    assert r.status == "rechazado"
    assert "caller_kind" in set(r.problems["columna"])


# ---------------------------------------------------------- demo: planted abandonment


def _truth(db) -> tuple[float, dict]:
    import json

    with db.engine.connect() as conn:
        value, details = conn.execute(
            text(
                "SELECT value, details FROM ground_truth WHERE key = 'contact_center.patience_seconds'"
            )
        ).one()
    return float(value), details if isinstance(details, dict) else json.loads(details)


def test_demo_abandonment_recovers_the_planted_patience(db):
    """Exponential patience θ: the maximum-likelihood estimate is the seconds all queued
    callers waited over the number who gave up. Computed from the raw contacts in SQL and from
    the rollup: both equal, and within 4 standard errors (θ/√abandoned) of the truth."""
    theta, details = _truth(db)
    with db.engine.connect() as conn:
        waited, gave_up = conn.execute(
            text(
                "SELECT SUM(wait_seconds), SUM(CASE WHEN outcome = 'abandonado' THEN 1 ELSE 0 END)"
                " FROM interaction WHERE channel_id = 'contact_center' AND wait_seconds IS NOT NULL"
            )
        ).one()
        rolled = conn.execute(
            text(
                "SELECT SUM(wait_seconds_sum), SUM(abandoned) FROM agg_queue_wait_month "
                "WHERE channel_id = 'contact_center'"
            )
        ).one()
    assert int(gave_up) == details["abandoned"] and float(rolled[0]) == pytest.approx(waited)
    estimate = float(waited) / int(gave_up)
    assert abs(estimate - theta) < 4 * theta / math.sqrt(int(gave_up)), estimate
    # nobody else abandons: the planted effect is the contact centre's
    assert int(rolled[1]) == int(gave_up)


def test_demo_abandonment_grows_with_the_wait(db):
    """The hazard of hanging up is the same in every wait band (exponential patience), so the
    chance of abandoning grows with the wait: gave up in a band / seconds spent in it, from
    the rollup's exact seconds, is 1/θ within sampling error in each band."""
    theta, _ = _truth(db)
    with db.engine.connect() as conn:
        h = pd.read_sql(
            text(
                "SELECT wait_s, SUM(queued) AS queued, SUM(abandoned) AS abandoned "
                "FROM agg_queue_wait_month WHERE channel_id = 'contact_center' "
                f"AND wait_s < {EXACT_WAIT_S} GROUP BY wait_s"
            ),
            conn,
        )
    total = pd.read_sql(
        text(
            "SELECT wait_seconds FROM interaction WHERE channel_id = 'contact_center' "
            "AND wait_seconds IS NOT NULL"
        ),
        db.engine,
    )["wait_seconds"].to_numpy()
    for lo, hi in ((0, 300), (300, 600), (600, 1200)):
        exposure = (np.clip(total, lo, hi) - lo).sum()  # seconds spent waiting in the band
        gave_up = h.loc[(h["wait_s"] >= lo) & (h["wait_s"] < hi), "abandoned"].sum()
        assert gave_up >= 50, (lo, gave_up)
        rate = gave_up / exposure
        assert abs(rate * theta - 1) < 4 / math.sqrt(gave_up), (lo, rate * theta)


def test_demo_queue_measures_equal_the_raw_contacts(db):
    f = Filters(dt.date(2025, 11, 1), dt.date(2026, 10, 1))
    t = queue.queue_table(cq.queue_waits(db.engine, f), 20).loc["contact_center"]
    raw = pd.read_sql(
        text(
            "SELECT outcome, wait_seconds FROM interaction WHERE channel_id = 'contact_center' "
            "AND wait_seconds IS NOT NULL AND month BETWEEN '2025-11-01' AND '2026-10-01'"
        ),
        db.engine,
    )
    answered = raw.loc[raw["outcome"].isin(["atendido", "transferido"]), "wait_seconds"]
    assert t["queued"] == len(raw)
    assert t["abandonment"] == pytest.approx((raw["outcome"] == "abandonado").mean())
    assert t["asa"] == pytest.approx(answered.mean())
    exact = np.round(answered)
    for q, col in ((0.5, "wait_median"), (0.9, "wait_p90")):
        expected = np.quantile(exact, q, method="inverted_cdf")
        if expected < EXACT_WAIT_S:
            assert t[col] == expected
        else:  # by the minute above the exact range
            assert t[col] == expected - expected % 60


def test_import_doc_states_how_each_profile_maps():
    """docs/import.md carries each profile's mapping as lib/ingest/profiles.py defines it."""
    from pathlib import Path

    from lib.ingest.profiles import profiles_markdown

    doc = (Path(__file__).resolve().parents[1] / "docs" / "import.md").read_text(encoding="utf-8")
    assert profiles_markdown() in doc
