"""Denominators over the contacts that can carry the measure (contract 0012): cost per contact
over the contacts with a recorded cost (``cost_known``), cost per resolved case = cost per
contact ÷ first-contact resolution, the 30-day recontact rate over the contacts of an
identified patron (``followable``), and wait / handling medians over recorded times only.

A planted file with three channels: the contact centre is all anonymous, without cost or
resolution (its cost, cost per resolved case and recontact are no data: NaN, «—»), the
ventanilla mixes known and unknown costs, patrons, resolutions and waits, and en línea never
queues (no wait recorded). The oracle is pandas over the raw ``interaction`` rows, on both
backends. Waits of 20.5 s and 0.5 s land in the same queue bin on both backends (halves up)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from lib.analysis import channels as study
from lib.analysis import stats
from lib.contact import wait_bin_seconds
from lib.db.engine import make_engine
from lib.db.migrate import upgrade_schema
from lib.db.rollups import TIME_BIN_EDGES
from lib.filters import Filters
from lib.format import fmt_mxn, fmt_pct
from lib.ingest.contract import IMPORT_ORDER
from lib.ingest.load import import_file
from lib.queries import channels as cq
from lib.queries.explorer import explore

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "examples"
A, B = "Z2900000016", "Z2700000025"  # two patrons of data/examples/patron.csv
CO, CE = "consulta_orientacion", "correccion_emision"

# contact_center: anonymous, no cost, no resolution; waits 20.5 s and 0.5 s among them, a
# transferred call without handling time and an abandoned call (not a contact).
# ventanilla: costs 200, 220, 150, 260, 210, 190 known and three unknown; patrons A and B and
# three anonymous contacts; waits recorded for five, not for four.
# en_linea: patrons and costs known, no queue (no wait seconds).
ROWS = [
    (1, "", "contact_center", CO, "2024-03-04 09:00", "atendido", "anonimo", "20.5", "120", "", ""),
    (2, "", "contact_center", CO, "2024-03-05 09:00", "atendido", "anonimo", "0.5", "200", "", ""),
    (3, "", "contact_center", CO, "2024-03-06 10:00", "atendido", "anonimo", "30", "90", "", ""),
    (4, "", "contact_center", CO, "2024-04-01 10:00", "atendido", "anonimo", "40", "60", "", ""),
    (5, "", "contact_center", CO, "2024-04-02 11:00", "abandonado", "anonimo", "60", "", "", ""),
    (6, "", "contact_center", CO, "2024-04-03 12:00", "transferido", "anonimo", "25", "", "", ""),
    (11, A, "ventanilla", CO, "2024-03-04 09:00", "atendido", "", "600", "900", "sí", "200"),
    (12, A, "ventanilla", CO, "2024-03-20 10:00", "atendido", "", "300", "600", "no", "220"),
    (13, B, "ventanilla", CO, "2024-03-10 10:00", "atendido", "", "", "600", "sí", ""),
    (14, "", "ventanilla", CO, "2024-03-11 10:00", "atendido", "anonimo", "", "600", "", "150"),
    (15, "", "ventanilla", CO, "2024-03-12 10:00", "atendido", "anonimo", "", "600", "sí", ""),
    (16, B, "ventanilla", CO, "2024-04-05 10:00", "atendido", "", "900", "600", "no", "260"),
    (18, "", "ventanilla", CO, "2024-04-15 10:00", "atendido", "anonimo", "", "600", "no", ""),
    (19, A, "ventanilla", CO, "2024-05-02 10:00", "atendido", "", "1200", "600", "sí", "210"),
    (20, B, "ventanilla", CO, "2024-05-20 10:00", "atendido", "", "60", "600", "sí", "190"),
    (17, A, "en_linea", CO, "2024-04-10 10:00", "atendido", "", "", "300", "sí", "5"),
    (21, A, "en_linea", CE, "2024-03-25 10:00", "atendido", "", "", "300", "sí", "6"),
    (22, B, "en_linea", CO, "2024-03-15 10:00", "atendido", "", "", "300", "sí", "4"),
]
HEADER = (
    "folio;registro;subdelegacion;canal;tramite;fecha_hora;resultado;tipo_contacto;"
    "segundos_espera;segundos_atencion;resuelto_primer_contacto;costo"
)
PLANTED = (
    "\n".join(
        [HEADER]
        + [";".join((str(r[0]), r[1], "1439", r[2], r[3], r[4] + ":00", *r[5:])) for r in ROWS]
    )
    + "\n"
)
PERIOD = Filters(dt.date(2024, 3, 1), dt.date(2024, 5, 1))
FOLLOWED = Filters(dt.date(2024, 3, 1), dt.date(2024, 4, 1))  # May, the last month: censored
EDGES = np.asarray(TIME_BIN_EDGES, dtype=float)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def planted(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('denom') / 'denom.db'}"
    else:
        url = request.getfixturevalue("pg_database_factory")()
    engine = make_engine(url)
    upgrade_schema(engine)
    for table in IMPORT_ORDER[: IMPORT_ORDER.index("patron") + 1]:
        assert import_file(engine, table, EXAMPLES / f"{table}.csv", refresh=False).ok
    r = import_file(engine, "interaction", PLANTED.encode(), file_name="contactos.csv")
    assert r.status == "cargado", r.report()
    yield engine
    engine.dispose()


def _raw(engine) -> pd.DataFrame:
    """The handled contacts (abandoned calls are not contacts) as stored."""
    with engine.connect() as conn:
        raw = pd.read_sql(
            text(
                "SELECT id, patron_id, channel_id, procedure_id, started_at, day, month, "
                "outcome, resolved_first_contact AS flag, cost, wait_seconds, handle_seconds "
                "FROM interaction"
            ),
            conn,
        )
    raw["day"] = pd.to_datetime(raw["day"])
    raw["month"] = pd.to_datetime(raw["month"])
    return raw[raw["outcome"] != "abandonado"].reset_index(drop=True)


def _in(raw: pd.DataFrame, f: Filters) -> pd.DataFrame:
    return raw[raw["month"].between(pd.Timestamp(f.start), pd.Timestamp(f.end))]


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else np.nan


def _oracle(engine, f: Filters) -> pd.DataFrame:
    """Per channel, from the raw rows: cost per contact over known costs, FCR over known
    flags, cost per resolved = their quotient, and the repeat rate over identified patrons'
    contacts (a later contact of the same patron and procedure, any channel, within 30 days)
    of ``f``'s months except the last month of data."""
    raw = _raw(engine)
    nxt = raw.sort_values(["started_at", "id"]).groupby(["patron_id", "procedure_id"])["day"]
    raw["repeated"] = (nxt.shift(-1) - raw["day"]).dt.days <= 30  # NaT (anonymous): False
    raw["resolved"] = raw["flag"].map(lambda v: v is not None and not pd.isna(v) and bool(v))
    last = raw["month"].max()
    out = {}
    for ch, g in _in(raw, f).groupby("channel_id"):
        cost = _ratio(g["cost"].sum(), g["cost"].notna().sum())
        fcr = _ratio(g["resolved"].sum(), g["flag"].notna().sum())
        followed = g[(g["month"] < last) & g["patron_id"].notna()]
        out[ch] = {
            "cost_per_contact": cost,
            "fcr": fcr,
            "cost_per_resolved": _ratio(cost, fcr),
            "repeat": _ratio(followed["repeated"].sum(), len(followed)),
            "repeat_n": len(followed),
        }
    return pd.DataFrame(out).T


def _bin(minutes: float) -> int:
    """TIME_BIN_EDGES' bin: 0 is exactly zero, then [edges[i], edges[i + 1]), last open."""
    if minutes <= 0:
        return 0
    return int(min(max(np.searchsorted(EDGES, minutes, side="right") - 1, 1), len(EDGES) - 2))


def _histograms(engine, f: Filters) -> dict[tuple[str, str], np.ndarray]:
    """Recorded waits and handling times per channel, binned in pandas."""
    raw = _in(_raw(engine), f)
    out = {}
    for ch, g in raw.groupby("channel_id"):
        for measure in ("wait", "handle"):
            counts = np.zeros(len(EDGES) - 1)
            for s in g[f"{measure}_seconds"].dropna():
                counts[_bin(s / 60)] += 1
            out[ch, measure] = counts
    return out


def test_oracle_reads_the_planted_file(planted):
    o = _oracle(planted, PERIOD)
    # ventanilla: 1,230 pesos over 6 known costs (not 9 contacts); 5 resolved of 8 known
    assert o.loc["ventanilla", "cost_per_contact"] == pytest.approx(205.0)
    assert o.loc["ventanilla", "fcr"] == pytest.approx(5 / 8)
    assert o.loc["ventanilla", "cost_per_resolved"] == pytest.approx(205.0 / (5 / 8))
    # March-April: A's and B's four visits, three of them repeated (the anonymous three
    # can never be); en línea 2 of 3
    assert o.loc["ventanilla", "repeat"] == pytest.approx(3 / 4)
    assert o.loc["en_linea", "repeat"] == pytest.approx(2 / 3)
    cc = o.loc["contact_center"]
    assert cc[["cost_per_contact", "fcr", "cost_per_resolved", "repeat"]].isna().all()
    with planted.connect() as conn:
        sums = conn.execute(
            text(
                "SELECT SUM(contacts), SUM(cost_known), SUM(followable) "
                "FROM agg_interaction_unit_month"
            )
        ).one()
    # 17 handled contacts; costs known: 6 at the ventanilla, 3 online; followable: A's and
    # B's six ventanilla visits and three online
    assert tuple(int(v) for v in sums) == (17, 9, 9)


def test_canales_table_over_known_denominators(planted):
    o = _oracle(planted, PERIOD)
    sums = cq.channel_sums(planted, PERIOD)
    hist = cq.time_histograms(planted, PERIOD)
    table = study.channel_table(sums, hist, PERIOD.n_months)
    for ch in ("contact_center", "ventanilla", "en_linea"):
        for col in ("cost_per_contact", "cost_per_resolved", "repeat"):
            expected, got = o.loc[ch, col], table.loc[ch, col]
            if pd.isna(expected):
                assert pd.isna(got), (ch, col)
            else:
                assert got == pytest.approx(expected), (ch, col)
        assert sums.set_index("channel_id").loc[ch, "repeat_base"] == o.loc[ch, "repeat_n"]
    readable = study.readable_table(table).set_index("Canal")
    cc = readable.loc["Contact center"]
    for col in ("Costo por contacto (MXN)", "Costo por caso resuelto (MXN)"):
        assert pd.isna(cc[col]) and fmt_mxn(cc[col]) == "—"
    assert pd.isna(cc["Recontacto 30 días (%)"]) and pd.isna(cc["Recontacto IC95 inf."])
    assert fmt_pct(table.loc["contact_center", "repeat"]) == "—"
    # the Wilson interval of the ventanilla's recontact is over its 4 followable contacts
    wilson = stats.proportion(3, 4)
    assert table.loc["ventanilla", "repeat_low"] == pytest.approx(wilson.low)
    assert table.loc["ventanilla", "repeat_high"] == pytest.approx(wilson.high)
    # by procedure, and the what-if move: unit costs over known costs
    proc = cq.procedure_by_channel(planted, PERIOD)
    by_proc = study.readable_procedures(proc).set_index(["Canal", "Trámite"])
    assert by_proc["Costo por contacto (MXN)"].xs("Contact center").isna().all()
    move = study.shift_savings(proc, CO, "ventanilla", "en_linea", 0.5, PERIOD.n_months)
    assert move["unit_cost_from"] == pytest.approx(205.0)
    assert move["unit_cost_to"] == pytest.approx(4.5)  # folios 17 and 22
    assert move["savings"] == pytest.approx(0.5 * 9 * (205.0 - 4.5))
    move = study.shift_savings(proc, CO, "ventanilla", "contact_center", 0.5, PERIOD.n_months)
    assert pd.isna(move["savings"]) and fmt_mxn(move["savings"]) == "—"


def test_time_medians_count_recorded_times_only(planted):
    expected = _histograms(planted, PERIOD)
    hist = cq.time_histograms(planted, PERIOD)
    sums = cq.channel_sums(planted, PERIOD)
    table = study.channel_table(sums, hist, PERIOD.n_months)
    for (ch, measure), counts in expected.items():
        rows = hist[(hist["channel_id"] == ch) & (hist["measure"] == measure)]
        got = np.zeros(len(EDGES) - 1)
        got[rows["bin"].to_numpy(dtype=int)] = rows["contacts"].to_numpy(dtype=float)
        assert list(got) == list(counts), (ch, measure)
        median = stats.binned_quantile(EDGES, counts, 0.5)
        if counts.sum() == 0:
            assert pd.isna(table.loc[ch, f"{measure}_median"])
            assert not table.loc[ch, f"{measure}_recorded"]
        else:
            assert table.loc[ch, f"{measure}_median"] == pytest.approx(median), (ch, measure)
            assert table.loc[ch, f"{measure}_recorded"]
    # ventanilla: waits of 1, 5, 10, 15 and 20 min; the four without a wait are not 0-minute
    # waits (counted as such the median was in the 0 bin). 10 in [10, 12): 10 + 0.5 × 2
    assert table.loc["ventanilla", "wait_median"] == pytest.approx(11.0)
    assert expected["ventanilla", "wait"].sum() == 5
    # the transferred call without handling time is out of the handling histogram
    assert expected["contact_center", "handle"].sum() == 4
    readable = study.readable_table(table).set_index("Canal")
    assert readable.loc["Ventanilla única", "Espera mediana (min)"] == pytest.approx(11.0)
    assert pd.isna(readable.loc["Servicios en línea", "Espera mediana (min)"])
    assert readable.loc["Servicios en línea", "Atención mediana (min)"] == pytest.approx(
        table.loc["en_linea", "handle_median"]
    )


def test_metric_catalog_over_known_denominators(planted):
    raw = _in(_raw(planted), PERIOD)
    got = explore(planted, PERIOD, "cost_per_contact", ("channel",)).set_index("channel")
    for ch, g in raw.groupby("channel_id"):
        expected = _ratio(g["cost"].sum(), g["cost"].notna().sum())
        value = got.loc[ch, "value"]
        assert pd.isna(value) if pd.isna(expected) else value == pytest.approx(expected)
    whole = explore(planted, PERIOD, "cost_per_contact", ())["value"].iloc[0]
    assert whole == pytest.approx(raw["cost"].sum() / raw["cost"].notna().sum())
    # the catalog's recontact is not censored by itself: March-April, both months followed
    o = _oracle(planted, FOLLOWED)
    got = explore(planted, FOLLOWED, "repeat_30d", ("channel",)).set_index("channel")
    assert pd.isna(got.loc["contact_center", "value"])
    assert got.loc["ventanilla", "value"] == pytest.approx(100 * o.loc["ventanilla", "repeat"])
    assert got.loc["en_linea", "value"] == pytest.approx(100 * o.loc["en_linea", "repeat"])


def test_wait_bins_round_halves_up_on_both_backends(planted):
    """20.5 s and 0.5 s: SQLite's round() gives 21 and 1, Python's and PostgreSQL's 20 and 0;
    both now bin as floor(s + 0.5)."""
    assert [wait_bin_seconds(s) for s in (20.5, 0.5, 1.5, 2.5)] == [21, 1, 2, 3]
    with planted.connect() as conn:
        raw = pd.read_sql(
            text("SELECT wait_seconds FROM interaction WHERE channel_id = 'contact_center'"), conn
        )
    waits = cq.queue_waits(planted, PERIOD)
    waits = waits[waits["channel_id"] == "contact_center"]
    stored = sorted(int(s) for s in waits["wait_s"])
    assert stored == sorted(wait_bin_seconds(s) for s in raw["wait_seconds"].dropna())
    assert stored == [1, 21, 25, 30, 40, 60]
