"""First-contact resolution when the resolution is not recorded (contract 0012): the
denominator is the contacts whose flag is known (``resolution_known``), never all contacts.

A planted file with two channels: the contact centre's call log records no resolution at all
(its FCR is "no data": NaN, shown "—", never 0 %), and the ventanilla mixes known and unknown
flags (3 resolved, 2 not, 3 unknown: 3 / 5 = 60 %, not 3 / 8). The oracle is pandas over the
raw ``interaction`` rows, on both backends."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import text

from lib.analysis import channels as study
from lib.analysis.kpis import KPI_BY_KEY, kpi_table, period_sums
from lib.analysis.offices import office_changes
from lib.filters import Filters
from lib.format import fmt_pct
from lib.ingest.load import import_file
from lib.queries import channels as cq
from lib.queries.explorer import explore
from lib.queries.overview import monthly_indicators, unit_indicators

# contact_center: 5 handled calls and 1 abandoned, none with a resolution flag.
# ventanilla: 8 contacts: folios 11-13 resolved, 14-15 not, 16-18 unknown.
PLANTED = """folio;subdelegacion;canal;tramite;fecha_hora;resultado;tipo_contacto;segundos_espera;segundos_atencion;resuelto_primer_contacto
1;1439;contact_center;consulta_orientacion;2024-03-04 09:00:00;atendido;anonimo;10;120;
2;1439;contact_center;consulta_orientacion;2024-03-04 09:05:00;atendido;anonimo;20;200;
3;1439;contact_center;consulta_orientacion;2024-03-05 10:00:00;transferido;anonimo;30;90;
4;1439;contact_center;consulta_orientacion;2024-04-01 10:00:00;atendido;anonimo;40;60;
5;1439;contact_center;consulta_orientacion;2024-04-02 11:00:00;atendido;anonimo;50;80;
6;1439;contact_center;consulta_orientacion;2024-04-02 12:00:00;abandonado;anonimo;60;;
11;1439;ventanilla;consulta_orientacion;2024-03-04 09:00:00;atendido;anonimo;300;600;sí
12;1439;ventanilla;consulta_orientacion;2024-03-04 09:30:00;atendido;anonimo;300;600;sí
13;1439;ventanilla;consulta_orientacion;2024-04-04 10:00:00;atendido;anonimo;300;600;sí
14;1439;ventanilla;consulta_orientacion;2024-03-05 10:00:00;atendido;anonimo;300;600;no
15;1439;ventanilla;consulta_orientacion;2024-04-05 10:00:00;atendido;anonimo;300;600;no
16;1439;ventanilla;consulta_orientacion;2024-03-06 10:00:00;atendido;anonimo;300;600;
17;1439;ventanilla;consulta_orientacion;2024-04-06 10:00:00;atendido;anonimo;300;600;
18;1439;ventanilla;consulta_orientacion;2024-04-07 10:00:00;atendido;anonimo;300;600;
"""
BOTH = Filters(dt.date(2024, 3, 1), dt.date(2024, 4, 1))
FCR_COLUMN = "Resolución 1er contacto (%)"


@pytest.fixture(scope="module")
def planted(catalogs):
    """The example catalogs (tests/conftest.py, both backends), then the planted contacts."""
    r = import_file(catalogs, "interaction", PLANTED.encode(), file_name="contactos.csv")
    assert r.status == "cargado", r.report()
    return catalogs


def _oracle(engine) -> tuple[pd.Series, float]:
    """FCR per channel and overall from the raw rows: resolved / known among handled contacts
    (abandoned calls are not contacts), NaN where nothing is known."""
    with engine.connect() as conn:
        raw = pd.read_sql(
            text("SELECT channel_id, outcome, resolved_first_contact AS flag FROM interaction"),
            conn,
        )
    raw = raw[raw["outcome"] != "abandonado"]
    raw = raw.assign(
        known=raw["flag"].notna(),
        resolved=raw["flag"].map(lambda v: v is not None and not pd.isna(v) and bool(v)),
    )
    by = raw.groupby("channel_id")[["resolved", "known"]].sum()
    per_channel = by["resolved"] / by["known"].where(by["known"] > 0)
    return per_channel, raw["resolved"].sum() / raw["known"].sum()


def test_oracle_reads_the_planted_file(planted):
    per_channel, overall = _oracle(planted)
    assert pd.isna(per_channel["contact_center"])
    assert per_channel["ventanilla"] == pytest.approx(3 / 5)
    assert overall == pytest.approx(3 / 5)
    with planted.connect() as conn:
        known, contacts = conn.execute(
            text("SELECT SUM(resolution_known), SUM(contacts) FROM agg_interaction_unit_month")
        ).one()
    assert (int(known), int(contacts)) == (5, 13)


def test_canales_table_has_no_fcr_without_a_flag(planted):
    per_channel, _ = _oracle(planted)
    sums = cq.channel_sums(planted, BOTH)
    table = study.channel_table(sums, cq.time_histograms(planted, BOTH), BOTH.n_months)
    readable = study.readable_table(table).set_index("Canal")
    cc, vent = "Contact center", "Ventanilla única"
    assert (
        pd.isna(readable.loc[cc, FCR_COLUMN]) and fmt_pct(table.loc["contact_center", "fcr"]) == "—"
    )
    assert pd.isna(readable.loc[cc, "Resolución IC95 inf."])
    assert readable.loc[vent, FCR_COLUMN] == pytest.approx(100 * per_channel["ventanilla"])
    # the Wilson interval is over the 5 known contacts, not the 8
    assert table.loc["ventanilla", "fcr_high"] - table.loc["ventanilla", "fcr_low"] > 0.5
    proc = cq.procedure_by_channel(planted, BOTH).set_index("channel_id")
    by_proc = study.readable_procedures(proc.reset_index()).set_index("Canal")
    assert pd.isna(by_proc.loc[cc, FCR_COLUMN])
    assert by_proc.loc[vent, FCR_COLUMN] == pytest.approx(100 * per_channel["ventanilla"])
    # moving contacts to a channel that records no resolution: the change is no data
    move = study.shift_savings(
        proc.reset_index(), "consulta_orientacion", "ventanilla", "contact_center", 0.5, 2
    )
    assert move["resolved_change"] is None


def test_overview_kpi_counts_only_known_flags(planted):
    per_channel, overall = _oracle(planted)
    fcr = KPI_BY_KEY["fcr"]
    monthly = monthly_indicators(planted, BOTH)
    assert fcr.value(period_sums(monthly, BOTH.start, BOTH.end)) == pytest.approx(overall)
    for channel, expected in per_channel.items():
        f = Filters(BOTH.start, BOTH.end, channel_id=channel)
        t = kpi_table(monthly_indicators(planted, f), f, None).set_index("key")
        value = t.loc["fcr", "value"]
        if pd.isna(expected):
            assert value is None or pd.isna(value)
            assert fmt_pct(value) == "—"
        else:
            assert value == pytest.approx(expected)
    # offices at a glance: the same ratio, and no value where nothing is known
    f = Filters(BOTH.start, BOTH.end, channel_id="contact_center")
    out = office_changes(unit_indicators(planted, f), None, {14: "Jalisco"})
    assert out[out["kpi"] == "fcr"]["value"].isna().all()
    out = office_changes(unit_indicators(planted, BOTH), None, {14: "Jalisco"})
    assert out[out["kpi"] == "fcr"]["value"].iloc[0] == pytest.approx(overall)


def test_metric_catalog_has_no_value_without_a_flag(planted):
    per_channel, overall = _oracle(planted)
    got = explore(planted, BOTH, "fcr", ("channel",))
    got = got.set_index("channel")["value"]
    assert pd.isna(got["contact_center"])
    assert got["ventanilla"] == pytest.approx(100 * per_channel["ventanilla"])
    whole = explore(planted, BOTH, "fcr", ())["value"].iloc[0]
    assert whole == pytest.approx(100 * overall)
