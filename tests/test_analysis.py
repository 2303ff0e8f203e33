"""Pure analysis and formatting, on hand-made inputs with known answers."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from lib.analysis.kpis import KPI_BY_KEY, change, comparison_period, kpi_table
from lib.analysis.movers import count_z, proportion_z, top_movers
from lib.analysis.readings import digital_share_reading, mover_sentence
from lib.filters import Filters
from lib.format import date_label, fmt_int, fmt_mxn_compact, fmt_pct, fmt_signed, month_label
from lib.queries.overview import MONTHLY_COLUMNS


def test_proportion_z_by_hand():
    # 60/100 vs 40/100: pooled p = 0.5, se = sqrt(0.25 * 0.02) = 0.0707
    assert proportion_z(60, 100, 40, 100) == pytest.approx(0.2 / math.sqrt(0.005))
    assert proportion_z(1, 0, 1, 10) is None


def test_count_z_against_the_overall_ratio():
    # 30 vs 10 when everyone stayed flat: (30 - 20) / sqrt(40 * .25) = 3.162
    assert count_z(30, 10) == pytest.approx(10 / math.sqrt(10))
    # same office when everyone doubled: expected 26.67 of 40 -> z ~ 1.12, not alarming
    assert count_z(30, 10, ratio=2.0) == pytest.approx((30 - 40 * 2 / 3) / math.sqrt(40 * 2 / 9))
    assert count_z(0, 0) is None


def _units(rows):
    base = dict.fromkeys(MONTHLY_COLUMNS, 0.0)
    return pd.DataFrame([{**base, **r} for r in rows])


def test_top_movers_flags_only_credible_changes():
    prev = _units(
        [
            {
                "unit_id": 1,
                "csat_satisfied": 800,
                "responses": 1000,
                "contacts": 5000,
                "complaints": 10,
            },
            {"unit_id": 2, "csat_satisfied": 8, "responses": 10, "contacts": 50, "complaints": 1},
        ]
    )
    cur = _units(
        [
            {
                "unit_id": 1,
                "csat_satisfied": 700,
                "responses": 1000,
                "contacts": 5000,
                "complaints": 40,
            },
            {"unit_id": 2, "csat_satisfied": 5, "responses": 10, "contacts": 50, "complaints": 1},
        ]
    )
    movers = top_movers(cur, prev, {1: "Grande", 2: "Chica"})
    assert set(movers["unit"]) == {"Grande"}  # the small office's 80 % -> 50 % is noise
    csat = movers[movers["metric"] == "csat"].iloc[0]
    assert csat["change"] == pytest.approx(-10.0)
    assert not csat["good"]
    assert "bajó de 80.0% a 70.0% (-10.0 pp)" in mover_sentence(csat)


def _monthly(months, **cols):
    df = pd.DataFrame({"month": months})
    for c in MONTHLY_COLUMNS:
        df[c] = cols.get(c, 0.0)
    return df


def test_kpi_table_sums_before_dividing():
    months = [dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2026, 1, 1), dt.date(2026, 2, 1)]
    m = _monthly(
        months,
        contacts=[100, 300, 200, 200],
        resolved_first=[50, 270, 100, 180],
        resolution_known=[100, 300, 200, 200],
        responses=[10, 10, 10, 10],
        nps_promoters=[5, 5, 6, 6],
        nps_detractors=[2, 2, 1, 1],
        complaints=[4, 4, 5, 5],
        complaints_on_time=[3, 3, 3, 4],
        complaints_pending=[0, 0, 0, 1],
    )
    f = Filters(dt.date(2026, 1, 1), dt.date(2026, 2, 1))
    comp, label = comparison_period(f, months)
    assert comp == Filters(dt.date(2025, 1, 1), dt.date(2025, 2, 1))
    assert label == "vs. año anterior"
    t = kpi_table(m, f, comp).set_index("key")
    assert t.loc["fcr", "value"] == pytest.approx(280 / 400)  # not the mean of 0.5 and 0.9
    assert t.loc["fcr", "previous"] == pytest.approx(320 / 400)
    assert t.loc["fcr", "change"] == pytest.approx(-10.0)  # percentage points
    assert t.loc["contacts", "change"] == pytest.approx(0.0)
    assert t.loc["nps", "value"] == pytest.approx(100 * (12 - 2) / 20)
    assert t.loc["complaints_on_time", "value"] == pytest.approx(7 / 9)  # one still in time
    assert t.loc["csat", "value"] == 0.0  # 0 satisfied of 20 responses
    assert t.loc["digital_share", "trend"] == [0.0, 0.0]  # only months in the trend window


def test_comparison_falls_back_to_the_preceding_period():
    months = [dt.date(2026, m, 1) for m in range(1, 7)]
    f = Filters(dt.date(2026, 4, 1), dt.date(2026, 6, 1))
    comp, label = comparison_period(f, months)
    assert comp == Filters(dt.date(2026, 1, 1), dt.date(2026, 3, 1))
    assert label == "vs. periodo anterior"
    assert comparison_period(Filters(dt.date(2026, 1, 1), dt.date(2026, 6, 1)), months)[0] is None


def test_change_units():
    assert change(KPI_BY_KEY["fcr"], 0.75, 0.70) == pytest.approx(5.0)
    assert change(KPI_BY_KEY["contacts"], 110, 100) == pytest.approx(10.0)
    assert change(KPI_BY_KEY["nps"], 20, 25) == pytest.approx(-5.0)
    assert change(KPI_BY_KEY["contacts"], 5, 0) is None


def test_digital_share_reading():
    df = pd.DataFrame(
        {
            "month": [dt.date(2026, 1, 1)] * 2 + [dt.date(2026, 2, 1)] * 2,
            "channel": ["Ventanilla única", "Servicios en línea"] * 2,
            "is_digital": [False, True] * 2,
            "contacts": [80, 20, 70, 30],
        }
    )
    text = digital_share_reading(df)
    assert "subió de 20.0% en ene 2026 a 30.0% en feb 2026 (+10.0 pp)" in text
    assert text.startswith("Ventanilla única concentra 75%")


def test_es_mx_formats():
    assert fmt_int(1234567) == "1,234,567"
    assert fmt_pct(0.8534) == "85.3%"
    assert fmt_signed(-2.25, "pp") == "-2.2 pp" or fmt_signed(-2.25, "pp") == "-2.3 pp"
    assert fmt_signed(4.1, "%") == "+4.1%"
    # a change that rounds to zero keeps its size instead of a bare sign ("-0.0 pp")
    assert fmt_signed(-0.04, "pp") == "-0.04 pp"
    assert fmt_signed(0.004, "pts") == "+0.004 pts"
    assert fmt_signed(-0.00004, "pp") == "+0.0 pp"
    assert fmt_signed(0.0, "pp") == "+0.0 pp"
    assert fmt_mxn_compact(22_300_000_000) == "$22.3 mmdp"
    assert fmt_mxn_compact(4_500_000) == "$4.5 mdp"
    assert fmt_mxn_compact(12_345) == "$12,345"
    assert date_label(dt.date(2026, 10, 31)) == "31/10/2026"
    assert month_label(dt.date(2026, 1, 1)) == "ene 2026"
    assert fmt_int(None) == "—"


def test_p_values_never_read_p_equals_zero():
    from lib.format import fmt_p

    assert fmt_p(0.0) == "p < 0.001" and fmt_p(0.0004) == "p < 0.001"
    assert fmt_p(0.0426) == "p = 0.043" and fmt_p(0.001) == "p = 0.001"
    assert fmt_p(1.0) == "p > 0.999" and fmt_p(None) == "p = —"
    assert fmt_p(float("nan")) == "p = —" and fmt_p(0.004, 2) == "p < 0.01"


def test_segment_reading_is_true_for_one_group_ties_and_none():
    import pandas as pd

    from lib.analysis.readings import segment_share_reading

    one = pd.DataFrame({"segment": ["S1: 1 puesto de trabajo"], "digital_share": [0.407]})
    text = segment_share_reading(one)
    assert "usa más" not in text and "menos" not in text
    assert "solo hay contactos de S1: 1 puesto de trabajo" in text and "40.7%" in text
    tie = pd.DataFrame({"segment": ["A", "B"], "digital_share": [0.407, 0.4071]})
    assert segment_share_reading(tie) == (
        "Lectura: todos los grupos usan los canales digitales por igual (40.7%)."
    )
    two = pd.DataFrame({"segment": ["A", "B"], "digital_share": [0.6, 0.2]})
    assert segment_share_reading(two) == (
        "Lectura: A usa más los canales digitales (60.0%); B, menos (20.0%)."
    )
    empty = pd.DataFrame({"segment": [], "digital_share": []})
    assert segment_share_reading(empty) == "Lectura: sin contactos en esta selección."


def _by_channel(contacts: list[int], months: int = 2) -> pd.DataFrame:
    per = len(contacts) // months
    return pd.DataFrame(
        {
            "month": [dt.date(2026, 1 + i, 1) for i in range(months) for _ in range(per)],
            "channel": ["Ventanilla única", "Servicios en línea", "Contact center"][:per] * months,
            "is_digital": [False, True, False][:per] * months,
            "contacts": contacts,
        }
    )


def test_digital_share_reading_on_degenerate_input():
    # no contacts at all (rows with zeros, or no rows): said, no crash, no 'nan'
    assert digital_share_reading(_by_channel([0, 0, 0, 0])) == (
        "Sin contactos en el periodo y alcance elegidos."
    )
    assert digital_share_reading(_by_channel([0, 0, 0, 0])[0:0]) == (
        "Sin contactos en el periodo y alcance elegidos."
    )
    # one month with contacts (the other empty): a level, not a move from a month to itself
    one = digital_share_reading(_by_channel([0, 0, 70, 30]))
    assert one == (
        "Ventanilla única concentra 70% de los contactos; la participación digital fue "
        "30.0% en feb 2026."
    )
    # unchanged share: 'se mantuvo en', never 'se mantuvo de 20.0% a 20.0%'
    flat = digital_share_reading(_by_channel([80, 20, 160, 40]))
    assert flat.endswith("se mantuvo en 20.0% entre ene 2026 y feb 2026.")
    assert "subió" not in flat and "bajó" not in flat
    # channels tied at the top: neither is said to concentrate more than the other
    tie = digital_share_reading(_by_channel([40, 20, 40, 40, 20, 40], months=2))
    assert tie.startswith(
        "Contact center y Ventanilla única concentran 40% de los contactos cada uno."
    )
    # a tiny change keeps its sign and size
    small = digital_share_reading(_by_channel([9999, 1, 9998, 2]))
    assert "subió de 0.0% en ene 2026 a 0.0% en feb 2026 (+0.01 pp)" in small


def test_mover_sentence_never_contradicts_itself():
    base = {"unit": "Jalisco", "z": -5.0, "change_unit": "%"}
    # a count flat while all offices rose 30 %: tested against everyone (good news), and the
    # sentence says 'se mantuvieron en', not 'bajaron de 1,000 a 1,000'
    flat = pd.Series(
        {
            **base,
            "metric_label": "las quejas recibidas",
            "before": 1000,
            "after": 1000,
            "change": 0.0,
            "good": True,
            "overall": 30.0,
        }
    )
    text = mover_sentence(flat)
    assert text == (
        ":green[■] **Jalisco**: las quejas recibidas se mantuvieron en 1,000, frente a +30% "
        "del conjunto de oficinas"
    )
    # a rise smaller than everyone's is good news: the sentence gives the reason
    rise = pd.Series({**flat.to_dict(), "after": 1100, "change": 10.0})
    text = mover_sentence(rise)
    assert text.startswith(":green[▲]") and "subieron de 1,000 a 1,100 (+10%)" in text
    assert text.endswith("frente a +30% del conjunto de oficinas")


def test_top_movers_carry_the_overall_change_for_counts():
    prev = _units([{"unit_id": 1, "complaints": 1000}, {"unit_id": 2, "complaints": 1000}])
    cur = _units([{"unit_id": 1, "complaints": 1000}, {"unit_id": 2, "complaints": 1600}])
    movers = top_movers(cur, prev, {1: "Uno", 2: "Dos"}).set_index("unit")
    assert movers.loc["Uno", "overall"] == pytest.approx(30.0)
    assert movers.loc["Uno", "good"]  # flat while everyone rose: fewer than expected
    uno = movers.reset_index().query("unit == 'Uno'").iloc[0]
    assert "se mantuvieron en 1,000" in mover_sentence(uno)


def test_segment_reading_names_every_group_tied_at_either_end():
    from lib.analysis.readings import segment_share_reading

    three = pd.DataFrame(  # unsorted on purpose; A and C tie at the top as shown
        {"segment": ["B", "A", "C"], "digital_share": [0.2, 0.6, 0.6001]}
    )
    assert segment_share_reading(three) == (
        "Lectura: C y A usan más los canales digitales (60.0%); B, menos (20.0%)."
    )
