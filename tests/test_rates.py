"""Rates per 10,000 contacts keep the months and groups without events in their denominator.

Oracle: raw ``complaint`` and ``interaction`` rows counted in SQL on both backends. The tiny
institute has the awkward cases planted by itself: Libertad Reforma receives all its
complaints of the year in one month (eleven months of contacts and no complaint), the channel
"impresos" has contacts and no complaint at all, and PRODECON complaints skip most months.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import text

from lib.analysis import complaints as an
from lib.filters import Filters
from lib.queries import complaints as q
from lib.rates import month_range, rate, zero_filled

YEAR = Filters(dt.date(2025, 11, 1), dt.date(2026, 10, 1))
MONTHS = month_range(YEAR.start, YEAR.end)
LIBERTAD_REFORMA = 1439
COLUMN = {"kind": "kind_id", "channel": "channel_id", "subdelegacion": "subdelegacion_id"}


def _raw(db, sql: str) -> pd.DataFrame:
    with db.engine.connect() as conn:
        out = pd.read_sql(text(sql), conn, params={"a": YEAR.start, "b": YEAR.end})
    if "month" in out:
        out["month"] = pd.to_datetime(out["month"]).dt.date
    return out


def _raw_complaints(db, by: list[str]) -> pd.Series:
    cols = ", ".join(by)
    return _raw(
        db,
        f"SELECT {cols}, COUNT(*) AS n FROM complaint WHERE month BETWEEN :a AND :b "
        f"GROUP BY {cols}",
    ).set_index(by)["n"]


def _raw_contacts(db, by: list[str]) -> pd.Series:
    cols = ", ".join(by)
    return _raw(
        db,
        f"SELECT {cols}, COUNT(*) AS n FROM interaction WHERE outcome <> 'abandonado' "
        "AND month BETWEEN :a AND :b "
        f"GROUP BY {cols}",
    ).set_index(by)["n"]


# --- the helper on hand-made frames ---------------------------------------------------------


def test_zero_filled_puts_every_month_and_group_with_the_shared_denominator():
    m = [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
    events = pd.DataFrame({"month": [m[0], m[0]], "key": ["a", "a"], "received": [2, 1]})
    exposure = pd.DataFrame({"month": m, "contacts": [100, 200, 300]})
    g = zero_filled(events, exposure, m, keys=["a", "b"], labels={"a": "A", "b": "B"})
    assert len(g) == 6 and list(g.columns) == ["month", "key", "label", "received", "contacts"]
    assert g.groupby("key")["contacts"].sum().to_dict() == {"a": 600, "b": 600}
    assert g.groupby("key")["received"].sum().to_dict() == {"a": 3, "b": 0}
    totals = an.volume_totals(an.volume_series(g))
    # 3 complaints over 600 contacts, not over the 100 of the only month with complaints
    assert totals.set_index("key")["rate"].to_dict() == {"a": 50.0, "b": 0.0}


def test_zero_filled_by_key_exposure_and_empty_inputs():
    m = [dt.date(2026, 1, 1), dt.date(2026, 2, 1)]
    empty_events = pd.DataFrame(columns=["month", "key", "label", "received"])
    exposure = pd.DataFrame({"month": [m[1]], "key": [7], "contacts": [40]})
    g = zero_filled(empty_events, exposure, m, labels={7: "Siete"})
    assert g[["key", "label", "received", "contacts"]].values.tolist() == [
        [7, "Siete", 0, 0],
        [7, "Siete", 0, 40],
    ]
    s = an.volume_series(g)
    assert s["rate"].isna().tolist() == [True, False]  # no contacts: unknown, not 0
    nothing = zero_filled(empty_events, exposure.iloc[0:0], m)
    assert nothing.empty and an.volume_totals(an.volume_series(nothing)).empty


def test_rate_is_unknown_without_exposure():
    assert rate(3, 0) is None and rate(0, 0) is None and rate(0, 50) == 0.0
    assert rate(5, 2_000) == 25.0
    assert rate(pd.Series([1, 1]), pd.Series([0, 10_000])).tolist()[1] == 1.0
    assert month_range(dt.date(2025, 11, 1), dt.date(2026, 2, 1))[-1] == dt.date(2026, 2, 1)
    assert month_range(dt.date(2026, 2, 1), dt.date(2026, 1, 1)) == []


# --- each rate against raw rows, both backends ------------------------------------------------


def test_the_planted_zero_months_are_there(db):
    """The cases below are only tests if the data has them."""
    months = _raw_complaints(db, ["subdelegacion_id", "month"]).loc[LIBERTAD_REFORMA]
    assert len(months) == 1 and len(_raw_contacts(db, ["subdelegacion_id", "month"])[1439]) == 12
    assert "impresos" not in _raw_complaints(db, ["channel_id"])
    assert _raw_contacts(db, ["channel_id"])["impresos"] > 0
    assert len(_raw_complaints(db, ["kind_id", "month"]).loc["prodecon"]) < len(MONTHS)


@pytest.mark.parametrize("breakdown", ["kind", "channel", "subdelegacion"])
def test_period_rates_per_10k_match_raw_rows(db, breakdown):
    col = COLUMN[breakdown]
    totals = an.volume_totals(an.volume_series(q.volumes(db.engine, YEAR, breakdown)))
    totals = totals.set_index("key")
    complaints = _raw_complaints(db, [col])
    if breakdown == "kind":  # every kind over all the contacts of the period
        contacts = pd.Series(int(_raw_contacts(db, ["month"]).sum()), index=totals.index)
    else:
        contacts = _raw_contacts(db, [col])
    for key, row in totals.iterrows():
        n, c = int(complaints.get(key, 0)), int(contacts.get(key, 0))
        assert (row["received"], row["contacts"]) == (n, c), key
        assert row["rate"] == pytest.approx(1e4 * n / c), key
    assert set(complaints.index) <= set(totals.index)
    if breakdown == "kind":
        assert totals["contacts"].nunique() == 1
    if breakdown == "channel":
        assert totals.loc["impresos", "rate"] == 0.0
    if breakdown == "subdelegacion":
        lr = totals.loc[LIBERTAD_REFORMA]
        assert lr["contacts"] == _raw_contacts(db, ["subdelegacion_id"])[LIBERTAD_REFORMA]
        assert lr["rate"] == pytest.approx(1e4 * 25 / lr["contacts"])


def test_monthly_rates_per_10k_by_kind_and_office_match_raw_rows(db):
    by_month = _raw_contacts(db, ["month"])
    s = an.volume_series(q.volumes(db.engine, YEAR, "kind"))
    assert len(s) == len(MONTHS) * s["key"].nunique()
    raw = _raw_complaints(db, ["kind_id", "month"])
    for _, row in s.iterrows():
        n = int(raw.get((row["key"], row["month"]), 0))
        assert row["received"] == n and row["contacts"] == by_month[row["month"]]
        assert row["rate"] == pytest.approx(1e4 * n / by_month[row["month"]])
    lr = an.volume_series(q.volumes(db.engine, YEAR, "subdelegacion"))
    lr = lr[lr["key"] == LIBERTAD_REFORMA].set_index("month")
    assert list(lr.index) == MONTHS  # the line does not skip its quiet months
    contacts = _raw_contacts(db, ["subdelegacion_id", "month"]).loc[LIBERTAD_REFORMA]
    assert lr["contacts"].to_dict() == contacts.to_dict()
    assert (lr["rate"] == 0).sum() == 11


def test_the_page_header_rate_uses_every_month(db):
    received, contacts = an.overall(q.volumes(db.engine, YEAR, "kind"))
    assert received == int(_raw_complaints(db, ["month"]).sum())
    assert contacts == int(_raw_contacts(db, ["month"]).sum())


def test_a_filtered_office_and_channel_keep_their_zero_months(db):
    """One office, one channel: a single group, mostly without complaints."""
    from dataclasses import replace

    f = replace(YEAR, ooad_id=14, subdelegacion_id=LIBERTAD_REFORMA, channel_id="ventanilla")
    vol = q.volumes(db.engine, f, "channel")
    assert list(vol["key"].unique()) == ["ventanilla"] and len(vol) == len(MONTHS)
    raw_c = _raw(
        db,
        "SELECT COUNT(*) AS n FROM interaction WHERE outcome <> 'abandonado' AND month BETWEEN :a AND :b "
        f"AND subdelegacion_id = {LIBERTAD_REFORMA} AND channel_id = 'ventanilla'",
    )["n"][0]
    raw_q = _raw(
        db,
        "SELECT COUNT(*) AS n FROM complaint WHERE month BETWEEN :a AND :b "
        f"AND subdelegacion_id = {LIBERTAD_REFORMA} AND channel_id = 'ventanilla'",
    )["n"][0]
    t = an.volume_totals(an.volume_series(vol)).iloc[0]
    assert (t["received"], t["contacts"]) == (raw_q, raw_c)


# --- the Quejas page -----------------------------------------------------------------------


def test_complaints_page_rates_count_every_month(sqlite_tiny, monkeypatch):
    """Libertad Reforma's 25 complaints over all its contacts of the year (not the contacts of
    its one month with complaints), in the header and in the table by kind, whose rows all
    carry the same contacts."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from lib.db.engine import make_engine
    from lib.format import fmt_num

    engine = make_engine(sqlite_tiny)
    with engine.connect() as conn:
        contacts = conn.execute(
            text(
                "SELECT COUNT(*) FROM interaction WHERE outcome <> 'abandonado' "
                "AND month BETWEEN :a AND :b AND subdelegacion_id = :s"
            ),
            {"a": YEAR.start, "b": YEAR.end, "s": LIBERTAD_REFORMA},
        ).scalar_one()
    engine.dispose()
    monkeypatch.setenv("MIRADOR_DATABASE_URL", sqlite_tiny)
    at = AppTest.from_file(str(Path(__file__).parents[1] / "Home.py"), default_timeout=60)
    for k, v in {"ooad": "Jalisco", "subdel": "Libertad Reforma", "vista": "Volumen"}.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("pages/5_quejas.py").run()
    assert not at.exception
    header = next(m.value for m in at.metric if m.label == "Por 10,000 contactos")
    assert header == fmt_num(1e4 * 25 / contacts)
    table = at.dataframe[0].value
    assert table["Contactos"].tolist() == [contacts] * len(table)
    assert table["Recibidas"].sum() == 25
    assert len(table) == 4  # every kind, with or without complaints
