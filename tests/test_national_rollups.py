"""Issue 10's optimisations give the same answers as the data they replace (both backends):
coarse rollups add up to the fine ones, the national histogram equals the office-level one,
recorded table counts equal live counts, and the orientation list's last contact is the
patron's latest contact."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import func, select, text

from lib.db.schema import Base
from lib.filters import Filters
from lib.queries import channels, meta, orientation
from lib.queries.common import read_frame

YEAR = Filters(start=dt.date(2025, 11, 1), end=dt.date(2026, 10, 1))
PAIRS = [
    ("agg_interaction_unit_month", "agg_interaction_month"),
    ("agg_survey_unit_month", "agg_survey_month"),
    ("agg_collection_unit_month", "agg_collection_month"),
    ("agg_interaction_time_national_month", "agg_interaction_time_month"),
]


@pytest.mark.parametrize(("coarse", "fine"), PAIRS)
def test_coarse_rollups_add_up_to_the_fine_ones(db, coarse, fine):  # noqa: ANN001
    c, f = Base.metadata.tables[coarse], Base.metadata.tables[fine]
    keys = [k.name for k in c.primary_key.columns]
    measures = [col.name for col in c.columns if col.name not in [*keys, "ooad_id"]]
    got = read_frame(db.engine, select(c).order_by(*[c.c[k] for k in keys]))
    want = read_frame(
        db.engine,
        select(*[f.c[k] for k in keys], *[func.sum(f.c[m]).label(m) for m in measures])
        .group_by(*[f.c[k] for k in keys])
        .order_by(*[f.c[k] for k in keys]),
    )
    assert len(got) == len(want) > 0
    for m in measures:
        assert got[m].astype(float).to_numpy() == pytest.approx(want[m].astype(float).to_numpy())


def test_national_histogram_equals_the_office_level_one(db):  # noqa: ANN001
    national = channels.time_histograms(db.engine, YEAR)
    tm = channels.TM
    by_office = read_frame(
        db.engine,
        select(tm.c.channel_id, tm.c.measure, tm.c.bin, func.sum(tm.c.contacts).label("contacts"))
        .where(*YEAR.conditions(tm))
        .group_by(tm.c.channel_id, tm.c.measure, tm.c.bin)
        .order_by(tm.c.channel_id, tm.c.measure, tm.c.bin),
    )
    pd.testing.assert_frame_equal(
        national.astype({"contacts": int}), by_office.astype({"contacts": int})
    )


def test_recorded_table_counts_are_the_live_counts(db):  # noqa: ANN001
    tables = ["patron", "interaction", "complaint", "collection_monthly", "model_run"]
    counts = meta.table_counts(db.engine, tables).set_index("tabla")["filas"]
    with db.engine.connect() as conn:
        recorded = conn.execute(
            text("SELECT count(*) FROM dataset_info WHERE key LIKE 'rows.%'")
        ).scalar_one()
        assert recorded >= 4  # the fact tables' counts come from the refresh
        for name in tables:
            live = conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
            assert counts[name] == live


def test_orientation_last_contact_is_the_latest_contact(db):  # noqa: ANN001
    """A planted run (not in use) scores every patron by id; removed afterwards."""
    from lib.db.schema import ModelRun, PatronFlag

    run_id = 9_999
    with db.engine.begin() as conn:
        conn.execute(
            ModelRun.__table__.insert().values(
                id=run_id,
                created_at=dt.datetime(2026, 11, 1),
                model_kind="prueba",
                params={},
                metrics={},
                code_version="prueba",
                in_use=False,
            )
        )
        ids = [r[0] for r in conn.execute(text("SELECT id FROM patron ORDER BY id"))]
        conn.execute(
            PatronFlag.__table__.insert(),
            [
                {"model_run_id": run_id, "patron_id": i, "score": 0.5, "rank": k + 1, "reasons": []}
                for k, i in enumerate(ids)
            ],
        )
    try:
        top = orientation.top_per_office(db.engine, YEAR, run_id, 3)
        assert len(top) > 0 and top.groupby("subdelegacion_id").size().max() <= 3
        listed = ",".join(str(int(i)) for i in top["patron_id"])
        want = read_frame(
            db.engine,
            text(
                f"SELECT patron_id, max(day) AS d FROM interaction WHERE patron_id IN ({listed}) "
                "GROUP BY patron_id"
            ),
        ).set_index("patron_id")["d"]
        assert len(want) > 0
        for pid, day in top.set_index("patron_id")["last_contact"].items():
            if pid in want.index:
                assert str(day)[:10] == str(want[pid])[:10]
            else:
                assert pd.isna(day)
    finally:
        with db.engine.begin() as conn:
            conn.execute(text(f"DELETE FROM patron_flag WHERE model_run_id = {run_id}"))
            conn.execute(text(f"DELETE FROM model_run WHERE id = {run_id}"))
