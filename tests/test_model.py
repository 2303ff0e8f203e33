"""Patron-flagging model (issue 7, first part): features without leakage, and on the demo
data a model that beats the one-line rule with the planted drivers on top."""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
from sqlalchemy import text

from lib.db.engine import make_engine
from lib.model.features import features_as_of
from lib.model.train import train

CUTOFF = dt.date(2026, 1, 1)


def test_no_feature_looks_past_the_cutoff(sqlite_tiny, tmp_path):
    before = features_as_of(make_engine(sqlite_tiny), CUTOFF, with_label=False)
    copy = tmp_path / "cut.db"
    shutil.copy(sqlite_tiny.removeprefix("sqlite:///"), copy)
    engine = make_engine(f"sqlite:///{copy}")
    with engine.begin() as conn:  # erase the future: everything dated on or after the cut-off
        conn.execute(text("PRAGMA foreign_keys=OFF"))
        for table in (
            "survey_response",
            "interaction",
            "collection_monthly",
            "complaint",
            "orientation",
        ):
            conn.execute(text(f"DELETE FROM {table} WHERE month >= :c"), {"c": CUTOFF})
        conn.execute(
            text(
                "DELETE FROM campaign_assignment WHERE campaign_id IN "
                "(SELECT id FROM campaign WHERE start_month >= :c)"
            ),
            {"c": CUTOFF},
        )
    after = features_as_of(engine, CUTOFF, with_label=False)
    engine.dispose()
    pd.testing.assert_frame_equal(before, after)
    assert len(before) > 1000


def test_label_is_the_next_three_months(sqlite_tiny):
    engine = make_engine(sqlite_tiny)
    f = features_as_of(engine, CUTOFF).set_index("id")
    with engine.connect() as conn:
        late = pd.read_sql(
            text(
                "SELECT patron_id AS id, MAX(CASE WHEN paid_on_time < issued - 0.005 THEN 1 ELSE 0 "
                "END) AS late FROM collection_monthly WHERE month >= '2026-01-01' "
                "AND month < '2026-04-01' GROUP BY patron_id"
            ),
            conn,
        ).set_index("id")["late"]
    engine.dispose()
    common = f.index.intersection(late.index)
    assert (f.loc[common, "label"] == late.loc[common]).all()


def test_demo_model_beats_the_rule_and_finds_the_planted_drivers(sqlite_demo):
    engine = make_engine(sqlite_demo)
    train_frames = [features_as_of(engine, dt.date(2025, m, 1)) for m in (4, 7, 10)]
    result = train(train_frames, features_as_of(engine, dt.date(2026, 4, 1)))
    engine.dispose()
    auc = result.metrics[result.chosen]["roc_auc"]
    rule = result.metrics["rule_late_last_month"]["roc_auc"]
    assert auc > rule + 0.05, (auc, rule)
    top = [name.split("__")[1] for name in result.coefficients.index[:12]]
    assert any(t.startswith("size_band_id") for t in top)  # size
    assert any(t.startswith("late_") for t in top)  # payment history
    assert any(t.startswith("economic_division_id") for t in top)  # sector
    coef = result.coefficients
    assert coef["cat__economic_division_id_5"] < 0  # planted -0.5 (electricity and water)
    assert coef["num__late_12m"] > 0 and coef["cat__size_band_id_S7"] < coef["cat__size_band_id_S3"]


def test_train_store_score_and_explain_on_both_backends(db, tmp_path, request):
    """A run is stored in the database (with its model), scores every patron and gives reasons."""
    from lib.db.engine import make_engine as mk
    from lib.demo.seed import seed
    from lib.model.registry import load_run, save_run, score_all

    url = (
        f"sqlite:///{tmp_path / 'model.db'}"
        if db.name == "sqlite"
        else request.getfixturevalue("pg_database_factory")()
    )
    engine = mk(url)
    seed(engine, "tiny", 1)
    frames = [features_as_of(engine, dt.date(2025, m, 1)) for m in (4, 7, 10)]
    result = train(frames, features_as_of(engine, dt.date(2026, 4, 1)))
    run_id = save_run(engine, result, author="prueba")
    again, artifact = load_run(engine)
    assert again == run_id and artifact["chosen"] == result.chosen
    run_id, n = score_all(engine, dt.date(2026, 10, 1))
    with engine.connect() as conn:
        flags = pd.read_sql(
            text("SELECT patron_id, score, rank, reasons FROM patron_flag ORDER BY rank"), conn
        )
        metrics = conn.execute(text("SELECT metrics, code_version FROM model_run")).one()
    engine.dispose()
    assert len(flags) == n > 1000 and list(flags["rank"][:3]) == [1, 2, 3]
    assert flags["score"].is_monotonic_decreasing
    assert "pagos tardíos" in str(flags["reasons"].iloc[0])
    assert "roc_auc" in str(metrics[0]) and metrics[1]


def test_unrecorded_resolution_is_not_counted_as_unresolved(sqlite_tiny, tmp_path):
    """Since contract 0012 a contact may carry no resolution flag (a call log): the feature
    counts explicit «no» only. Half the window's flags are erased; the oracle counts the
    remaining zeros per patron straight from the rows."""
    copy = tmp_path / "nullres.db"
    shutil.copy(sqlite_tiny.removeprefix("sqlite:///"), copy)
    engine = make_engine(f"sqlite:///{copy}")
    window = {"lo": dt.date(2025, 10, 1), "hi": CUTOFF}
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE interaction SET resolved_first_contact = NULL "
                "WHERE id % 2 = 0 AND month >= :lo AND month < :hi"
            ),
            window,
        )
        expected = pd.read_sql(
            text(
                "SELECT patron_id AS id, SUM(CASE WHEN resolved_first_contact = 0 THEN 1 ELSE 0 "
                "END) AS n FROM interaction WHERE patron_id IS NOT NULL AND month >= :lo "
                "AND month < :hi GROUP BY patron_id"
            ),
            conn,
            params=window,
        ).set_index("id")["n"]
    got = features_as_of(engine, CUTOFF, with_label=False).set_index("id")["unresolved_3m"]
    engine.dispose()
    assert expected.sum() > 0
    assert (got.loc[expected.index].astype(int) == expected.astype(int)).all()
