"""Issue 10's optimisations give the same answers as the data they replace (both backends):
coarse rollups add up to the fine ones, the national histogram equals the office-level one,
recorded table counts equal live counts, the orientation list's last contact is the
patron's latest contact, and the list read from stored office ranks is the list ranked on the
fly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pandas as pd
import pytest
from sqlalchemy import String, func, literal, select, text

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
def test_coarse_rollups_add_up_to_the_fine_ones(db, coarse, fine):
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


def test_national_histogram_equals_the_office_level_one(db):
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


def test_recorded_table_counts_are_the_live_counts(db):
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


@contextmanager
def _planted_run(db, run_id: int, order: str = "id") -> Iterator[None]:
    """A run (not in use) ranking every patron by ``order`` (a SQL expression over patron),
    with its flags as a run scored before revision 0009 left them (no office columns);
    removed afterwards."""
    from lib.db.schema import ModelRun, PatronFlag

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
        ids = [r[0] for r in conn.execute(text(f"SELECT id FROM patron ORDER BY {order}, id"))]
        conn.execute(
            PatronFlag.__table__.insert(),
            [
                {"model_run_id": run_id, "patron_id": i, "score": 0.5, "rank": k + 1, "reasons": []}
                for k, i in enumerate(ids)
            ],
        )
    try:
        yield
    finally:
        with db.engine.begin() as conn:
            conn.execute(text(f"DELETE FROM patron_flag WHERE model_run_id = {run_id}"))
            conn.execute(text(f"DELETE FROM model_run WHERE id = {run_id}"))


def test_orientation_last_contact_is_the_latest_contact(db):
    """A planted run scores every patron by id."""
    run_id = 9_999
    with _planted_run(db, run_id):
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


def test_orientation_list_from_stored_office_ranks_equals_ranking_on_the_fly(db):
    """The list read from the office ranks stored at scoring (revision 0009) is the list the
    query ranks itself for a run scored before (no office columns), for every scope."""
    from lib.model.registry import office_ranks

    run_id = 9_998
    with _planted_run(db, run_id, order="(id * 7919) % 1009"):  # ranks unrelated to id order
        patrons = read_frame(
            db.engine,
            text(
                "SELECT f.patron_id, f.rank, p.subdelegacion_id, s.ooad_id FROM patron_flag f "
                "JOIN patron p ON p.id = f.patron_id JOIN subdelegacion s "
                f"ON s.id = p.subdelegacion_id WHERE f.model_run_id = {run_id}"
            ),
        )
        busiest = patrons["subdelegacion_id"].mode()[0]
        ooad = int(patrons.loc[patrons["subdelegacion_id"] == busiest, "ooad_id"].iloc[0])
        scopes = [
            (YEAR, 3),
            (YEAR, 10),
            (replace(YEAR, ooad_id=ooad), 5),
            (replace(YEAR, ooad_id=ooad, subdelegacion_id=int(busiest)), 4),
        ]
        on_the_fly = [orientation.top_per_office(db.engine, f, run_id, k) for f, k in scopes]
        patrons["office_rank"] = office_ranks(
            patrons["rank"].to_numpy(), patrons["subdelegacion_id"].to_numpy()
        )
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE patron_flag SET subdelegacion_id = :s, ooad_id = :o, "
                    "office_rank = :r WHERE model_run_id = :run AND patron_id = :p"
                ),
                [
                    {"s": int(s), "o": int(o), "r": int(r), "run": run_id, "p": int(p)}
                    for p, s, o, r in patrons[
                        ["patron_id", "subdelegacion_id", "ooad_id", "office_rank"]
                    ].itertuples(index=False)
                ],
            )
        assert orientation._ranked_at_scoring(db.engine, run_id)
        for (f, k), want in zip(scopes, on_the_fly, strict=True):
            got = orientation.top_per_office(db.engine, f, run_id, k)
            pd.testing.assert_frame_equal(got, want)
        # known answer: each office's k best ranks, numbered 1..k
        first = on_the_fly[0]
        best = patrons.sort_values("rank").groupby("subdelegacion_id").head(3)
        assert set(first["patron_id"]) == set(best["patron_id"])
        assert first.groupby("subdelegacion_id")["office_rank"].max().le(3).all()
        assert len(on_the_fly[3]) == 4 and set(on_the_fly[3]["subdelegacion_id"]) == {busiest}


def test_read_select_gives_the_rows_read_frame_gives(db):
    """COPY-based reading (PostgreSQL) and plain reading agree: dates, floats, and integers
    with NULLs from an outer join."""
    from lib.db.bulk import read_select
    from lib.db.schema import Complaint, Patron

    p, c = Patron.__table__, Complaint.__table__
    per_patron = (
        select(c.c.patron_id, func.count().label("complaints"))
        .where(c.c.patron_id.is_not(None))
        .group_by(c.c.patron_id)
        .subquery()
    )
    query = (
        select(
            p.c.id,
            p.c.registered_on,
            p.c.registro_patronal,
            literal("0042", String).label("code"),  # digits: must stay text
            per_patron.c.complaints,
        )
        .select_from(p.outerjoin(per_patron, per_patron.c.patron_id == p.c.id))
        .where(p.c.id <= 500)
        .order_by(p.c.id)
    )
    with db.engine.connect() as conn:
        got = read_select(conn, query)
    want = read_frame(db.engine, query)
    want["registered_on"] = pd.to_datetime(want["registered_on"])
    assert len(got) == 500 and got["complaints"].isna().any() and got["complaints"].notna().any()
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert got["registered_on"].dtype.kind == "M" and (got["code"] == "0042").all()
