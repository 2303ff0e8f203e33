"""Common tests over every registered indicator (scikit-learn's test_common style).

For each indicator of lib/metrics, on both backends, nationally and for one subdelegación:
its value read from the rollups (the explorer's SQL) equals the same definition computed by
pandas from the raw fact rows (tests/metric_oracles.py); the overview's cards, read from the
coarse rollups, equal it too; additive indicators add up over the subdelegaciones; and every
indicator declares what the pages need (direction, kind, unit, label, a test).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from lib.analysis.kpis import KPIS, period_sums
from lib.filters import Filters
from lib.metrics import (
    INDICATORS,
    MEASURES,
    OVERVIEW,
    ChangeTest,
    Direction,
    Family,
    Interval,
    Kind,
)
from lib.queries.explorer import explore
from lib.queries.meta import dataset_meta
from lib.queries.overview import monthly_indicators
from tests.metric_oracles import ORACLES, Facts

PERIOD = Filters(dt.date(2025, 11, 1), dt.date(2026, 10, 1))
KEYS = list(INDICATORS)


def _frame(conn, sql: str, dates: tuple[str, ...] = ()) -> pd.DataFrame:
    out = pd.read_sql(text(sql), conn)
    for col in dates:
        out[col] = pd.to_datetime(out[col])
    return out


@pytest.fixture(scope="module")
def raw(db):
    """The raw fact rows of the tiny institute and the busiest subdelegación (most contacts in
    the period among those with rows in every fact table), read once per backend."""
    with db.engine.connect() as conn:
        contacts = _frame(
            conn,
            "SELECT id, patron_id, subdelegacion_id, channel_id, procedure_id, month, day, "
            "started_at, outcome, resolved_first_contact, wait_minutes, handle_minutes, cost, "
            "wait_seconds FROM interaction",
            ("month", "day", "started_at"),
        )
        surveys = _frame(conn, "SELECT * FROM survey_response", ("month",))
        complaints = _frame(conn, "SELECT * FROM complaint", ("month", "due_on", "closed_on"))
        collection = _frame(conn, "SELECT * FROM collection_monthly", ("month",))
        digital = set(conn.execute(text("SELECT id FROM channel WHERE is_digital")).scalars().all())
    as_of = pd.Timestamp(dataset_meta(db.engine).data_as_of)
    lo, hi = pd.Timestamp(PERIOD.start), pd.Timestamp(PERIOD.end)
    in_period = contacts["month"].between(lo, hi)
    everywhere = set.intersection(
        *(
            set(frame.loc[frame["month"].between(lo, hi), "subdelegacion_id"])
            for frame in (surveys, complaints, collection)
        )
    )
    counts = contacts[in_period]["subdelegacion_id"].value_counts()
    busiest = int(counts[counts.index.isin(everywhere)].idxmax())
    return db, busiest, contacts, surveys, complaints, collection, digital, as_of


def _facts(raw, sub: int | None) -> Facts:
    _db, _busiest, contacts, surveys, complaints, collection, digital, as_of = raw
    lo, hi = pd.Timestamp(PERIOD.start), pd.Timestamp(PERIOD.end)

    def cut(frame: pd.DataFrame) -> pd.Series:
        keep = frame["month"].between(lo, hi)
        return keep if sub is None else keep & (frame["subdelegacion_id"] == sub)

    coll = collection[cut(collection)]
    return Facts(
        contacts=contacts,
        surveys=surveys[cut(surveys)],
        complaints=complaints[cut(complaints)],
        collection=coll,
        digital=digital,
        as_of=as_of,
        months=coll["month"].nunique(),
        in_scope=cut,
    )


def _scope(raw, where: str) -> tuple[Filters, int | None]:
    busiest = raw[1]
    if where == "national":
        return PERIOD, None
    return Filters(PERIOD.start, PERIOD.end, subdelegacion_id=busiest), busiest


def _explorer_value(db, f: Filters, key: str) -> float | None:
    out = explore(db.engine, f, key, ())
    if out.empty or pd.isna(out["value"].iloc[0]):
        return None
    return float(out["value"].iloc[0])


def _as_shown(key: str, value: float | None) -> float | None:
    """The oracle (a share as a proportion) as the explorer writes it (in percent)."""
    if value is None:
        return None
    return 100 * value if INDICATORS[key].kind is Kind.SHARE else value


def test_every_indicator_has_an_oracle():
    assert set(ORACLES) == set(INDICATORS)


@pytest.mark.parametrize("where", ["national", "subdelegacion"])
@pytest.mark.parametrize("key", KEYS)
def test_rollup_value_equals_the_raw_rows(raw, key, where):
    db = raw[0]
    f, sub = _scope(raw, where)
    expected = _as_shown(key, ORACLES[key](_facts(raw, sub)))
    got = _explorer_value(db, f, key)
    assert expected is not None, f"{key}: the tiny institute should plant rows for it"
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-9), (key, where)


@pytest.mark.parametrize("where", ["national", "subdelegacion"])
def test_overview_cards_equal_the_raw_rows(raw, where):
    """The cards read the coarse rollups through lib/queries/overview.py: same numbers."""
    db = raw[0]
    f, sub = _scope(raw, where)
    sums = period_sums(monthly_indicators(db.engine, f), f.start, f.end)
    facts = _facts(raw, sub)
    assert [k.key for k in KPIS] == list(OVERVIEW)
    for kpi in KPIS:
        assert kpi.value(sums) == pytest.approx(ORACLES[kpi.key](facts), rel=1e-9), kpi.key


@pytest.mark.parametrize(
    "key",
    [
        k
        for k, i in INDICATORS.items()
        if i.denominator is None and not i.stock and i.kind in (Kind.COUNT, Kind.MXN)
    ],
)
def test_additive_indicators_add_up_over_subdelegaciones(raw, key):
    db = raw[0]
    parts = explore(db.engine, PERIOD, key, ("subdelegacion",))
    assert len(parts) > 1
    assert parts["value"].sum() == pytest.approx(_explorer_value(db, PERIOD, key), rel=1e-9)


@pytest.mark.parametrize("key", KEYS)
def test_indicator_declares_what_the_pages_need(key):
    ind = INDICATORS[key]
    assert ind.key == key and ind.label and ind.phrase and ind.help and ind.formula and ind.unit
    assert isinstance(ind.direction, Direction) and isinstance(ind.kind, Kind)
    assert isinstance(ind.test, ChangeTest) and isinstance(ind.family, Family)
    assert all(MEASURES[m].family is ind.family for m in ind.measures)
    if ind.kind is Kind.SHARE:
        assert ind.unit == "%" and ind.denominator is not None and ind.scale == 100
    if ind.kind in (Kind.COUNT, Kind.MXN) and not ind.stock:
        assert ind.denominator is None
    if ind.test is ChangeTest.PROPORTION:
        assert ind.kind is Kind.SHARE and len(ind.numerator) == 1
    if ind.test is ChangeTest.COUNT:
        assert ind.kind is Kind.COUNT
    if ind.level_test:
        assert ind.test in (ChangeTest.PROPORTION, ChangeTest.NPS)
    if ind.kind is Kind.QUANTILE:
        assert ind.quantile is not None and ind.value_column in ind.table.c
    if ind.interval is Interval.WILSON:  # a share of counts, never of pesos
        assert ind.kind is Kind.SHARE
        assert ind.family is not Family.COLLECTION or ind.key == "patrons_on_time"
    if ind.interval is Interval.T_MEAN:
        assert ind.kind is Kind.MEAN and ind.squares in MEASURES


def test_labels_are_unique():
    labels = [i.label for i in INDICATORS.values()]
    assert len(labels) == len(set(labels))


def test_a_measure_of_the_wrong_family_is_refused():
    from lib.metrics import Indicator

    with pytest.raises(ValueError, match="familia"):
        Indicator(
            "mixed",
            "Mezcla",
            "la mezcla",
            "—",
            "—",
            Kind.SHARE,
            "%",
            Direction.HIGHER,
            Family.INTERACTION,
            {"resolved_first": 1},
            {"responses": 1},
        )


def test_the_indicator_docs_are_generated_from_the_registry():
    """docs/indicators.md is ``python -m lib indicators``: regenerate it after a change."""
    from lib.dictionary import indicators_markdown

    committed = (Path(__file__).resolve().parents[1] / "docs" / "indicators.md").read_text()
    assert committed == indicators_markdown()


@pytest.mark.parametrize("where", ["national", "subdelegacion"])
def test_survey_intervals_equal_scipy_on_the_raw_scores(raw, where):
    """The declared interval of each survey indicator, from the rollup's sums, equals the
    textbook interval computed by scipy/numpy on the raw scores of survey_response."""
    from scipy import stats as sps

    db = raw[0]
    f, sub = _scope(raw, where)
    scores = _facts(raw, sub).surveys
    sums = period_sums(monthly_indicators(db.engine, f), f.start, f.end)
    with db.engine.connect() as conn:  # the squares are not among the overview's sums
        squares = conn.execute(
            text(
                "SELECT SUM(csat_sq_sum), SUM(effort_sq_sum), SUM(effort_sum) "
                "FROM agg_survey_month WHERE month BETWEEN :a AND :b"
                + ("" if sub is None else " AND subdelegacion_id = :s")
            ),
            {"a": f.start, "b": f.end, "s": sub},
        ).one()
    sums = {
        **sums,
        "csat_sq_sum": squares[0],
        "effort_sq_sum": squares[1],
        "effort_sum": squares[2],
    }
    n = len(scores)
    for key, column in (("csat_mean", "csat"), ("effort", "effort")):
        values = scores[column].astype(float)
        low, high = sps.t.interval(0.95, n - 1, loc=values.mean(), scale=sps.sem(values))
        est = INDICATORS[key].estimate(sums)
        assert (est.low, est.high) == pytest.approx((low, high), rel=1e-9), key
    coded = np.select([scores["nps"] >= 9, scores["nps"] <= 6], [1.0, -1.0], 0.0)
    half = sps.norm.ppf(0.975) * coded.std(ddof=0) / np.sqrt(n)
    est = INDICATORS["nps"].estimate(sums)
    assert (est.low, est.high) == pytest.approx(
        (100 * (coded.mean() - half), 100 * (coded.mean() + half)), rel=1e-9
    )
    satisfied = int((scores["csat"] >= 4).sum())
    wilson = sps.binomtest(satisfied, n).proportion_ci(0.95, method="wilson")
    est = INDICATORS["csat"].estimate(sums)
    assert (est.low, est.high) == pytest.approx((wilson.low, wilson.high), rel=1e-9)
