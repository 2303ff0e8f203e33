"""The rollup refresh: the PostgreSQL table swap leaves the schema exactly as the migrations
made it (index and constraint names, grants) and gives the same rows as the in-place path;
a role that may not drop tables (the app's writer) still refreshes, in place; the one-pass
wait/handle histograms equal a histogram computed from the contacts themselves."""

from __future__ import annotations

import datetime as dt
import uuid

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select, text

from lib.db import rollups
from lib.db.engine import make_engine
from lib.db.schema import Interaction, Patron
from lib.demo.seed import seed
from lib.queries.common import read_frame

TABLES = [t for t, _ in rollups.ROLLUPS]


def _rows(engine) -> dict[str, pd.DataFrame]:
    out = {}
    for t in TABLES:
        keys = [t.c[c.name] for c in t.primary_key.columns]
        out[t.name] = read_frame(engine, select(t).order_by(*keys)).reset_index(drop=True)
    return out


def _schema(engine) -> tuple[list, list]:
    names = [t.name for t in TABLES]
    with engine.connect() as conn:
        indexes = conn.execute(
            text(
                "SELECT tablename, indexname, indexdef FROM pg_indexes"
                " WHERE tablename = ANY(:n) ORDER BY 1, 2"
            ),
            {"n": names},
        ).all()
        constraints = conn.execute(
            text(
                "SELECT c.relname, k.conname, k.contype FROM pg_constraint k"
                " JOIN pg_class c ON c.oid = k.conrelid WHERE c.relname = ANY(:n) ORDER BY 1, 2"
            ),
            {"n": names},
        ).all()
    return indexes, constraints


def _grants(engine, role: str) -> list:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT table_name, privilege_type, is_grantable"
                " FROM information_schema.role_table_grants WHERE grantee = :r ORDER BY 1, 2"
            ),
            {"r": role},
        ).all()


def _comments(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT c.relname, d.objsubid, d.description FROM pg_description d"
                " JOIN pg_class c ON c.oid = d.objoid WHERE c.relname LIKE 'agg%' ORDER BY 1, 2"
            )
        ).all()


@pytest.fixture
def pg_fresh(pg_database_factory):
    """A tiny institute of its own (these tests drop and create tables and roles)."""
    engine = make_engine(pg_database_factory())
    seed(engine, "tiny", 11)
    role = f"mirador_t_{uuid.uuid4().hex[:8]}"
    yield engine, role
    with engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first():
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
    engine.dispose()


def test_swap_keeps_schema_and_grants_and_equals_in_place(pg_fresh, monkeypatch):
    engine, role = pg_fresh
    with engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} NOLOGIN"))
        conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"))
        # a DBA's finer settings: a grant it may pass on, and comments on a table and a column
        conn.execute(text(f"GRANT SELECT ON agg_interaction_month TO {role} WITH GRANT OPTION"))
        conn.execute(text("COMMENT ON TABLE agg_interaction_month IS 'Contactos por mes'"))
        conn.execute(text("COMMENT ON COLUMN agg_interaction_month.month IS 'Primer día'"))
    schema_before, grants_before = _schema(engine), _grants(engine, role)
    comments_before = _comments(engine)
    assert ("agg_interaction_month", "SELECT", "YES") in grants_before
    assert len(comments_before) == 2
    rows_before = _rows(engine)
    assert len(grants_before) > len(TABLES)

    with engine.begin() as conn:
        assert rollups._can_swap(conn)
        rollups.refresh_rollups(conn)  # the swap
    assert _schema(engine) == schema_before
    assert _grants(engine, role) == grants_before
    assert _comments(engine) == comments_before
    swapped = _rows(engine)

    monkeypatch.setattr(rollups, "_can_swap", lambda conn: False)
    with engine.begin() as conn:
        rollups.refresh_rollups(conn)  # in place
    in_place = _rows(engine)
    for name in rows_before:
        assert len(swapped[name]) > 0 or name == "agg_complaint_month"
        pd.testing.assert_frame_equal(swapped[name], rows_before[name], check_dtype=False)
        pd.testing.assert_frame_equal(in_place[name], swapped[name], check_dtype=False)
    with engine.connect() as conn:
        leftovers = conn.execute(
            text("SELECT relname FROM pg_class WHERE relname LIKE '%\\_\\_new'")
        ).all()
    assert leftovers == []


def test_a_role_that_cannot_drop_tables_refreshes_in_place(pg_fresh):
    engine, role = pg_fresh
    with engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} NOLOGIN"))
        conn.execute(
            text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        )
        conn.execute(text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
    before = _rows(engine)
    with engine.begin() as conn:
        conn.execute(text(f"SET LOCAL ROLE {role}"))
        assert not rollups._can_swap(conn)
        counts = rollups.refresh_rollups(conn)
    assert counts["agg_interaction_month"] == len(before["agg_interaction_month"])
    after = _rows(engine)
    for name in before:
        pd.testing.assert_frame_equal(after[name], before[name], check_dtype=False)


def test_histograms_equal_binning_the_contacts(db):
    """Planted truth: bin every handled contact's recorded wait and handle minutes with numpy
    and count. Abandoned contacts live in the queue rollup only; a time without its seconds
    was never recorded; an anonymous contact counts under the placeholder band."""
    it, p = Interaction.__table__, Patron.__table__
    contacts = read_frame(
        db.engine,
        select(
            it.c.month,
            it.c.subdelegacion_id,
            it.c.channel_id,
            it.c.patron_id,
            it.c.outcome,
            it.c.wait_minutes,
            it.c.handle_minutes,
            it.c.wait_seconds,
            it.c.handle_seconds,
        ),
    )
    bands = read_frame(db.engine, select(p.c.id.label("patron_id"), p.c.size_band_id))
    contacts = contacts.merge(bands, on="patron_id", how="left")
    contacts["size_band_id"] = contacts["size_band_id"].fillna(rollups.NO_BAND)
    handled = contacts[contacts["outcome"] != "abandonado"]
    assert len(handled) < len(contacts), "the fixture should plant abandoned contacts"
    edges = np.array(rollups.TIME_BIN_EDGES[2:-1], dtype=float)  # bins 1.. start at edges[1]
    frames = []
    for measure in ("wait", "handle"):
        recorded = handled[handled[f"{measure}_seconds"].notna()]
        x = recorded[f"{measure}_minutes"].to_numpy(dtype=float)
        bins = np.where(x <= 0, 0, np.searchsorted(edges, x, side="right") + 1)
        bins = np.minimum(bins, len(rollups.TIME_BIN_EDGES) - 2)
        frames.append(recorded.assign(measure=measure, bin=bins))
    keys = ["month", "subdelegacion_id", "channel_id", "size_band_id", "measure", "bin"]
    want = pd.concat(frames).groupby(keys).size().rename("contacts").reset_index()
    tm = rollups.AggInteractionTimeMonth.__table__
    got = read_frame(db.engine, select(*[tm.c[k] for k in keys], tm.c.contacts))
    for frame in (want, got):
        frame["month"] = pd.to_datetime(frame["month"])
    merged = want.merge(got, on=keys, how="outer", suffixes=("_want", "_got"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    assert (merged["contacts_want"] == merged["contacts_got"].astype(int)).all()
    assert merged["contacts_want"].sum() == sum(len(f) for f in frames)


def test_a_view_on_a_rollup_keeps_the_refresh_in_place(pg_fresh):
    """An analyst's view on a rollup would block the drop: the refresh replaces rows instead,
    and the view keeps working with the new rows."""
    engine, _ = pg_fresh
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE VIEW contacts_by_month AS SELECT month, sum(contacts) AS contacts"
                " FROM agg_interaction_month GROUP BY month"
            )
        )
        conn.execute(text("DELETE FROM agg_interaction_month"))
    with engine.begin() as conn:
        assert not rollups._can_swap(conn)
        counts = rollups.refresh_rollups(conn)
    with engine.connect() as conn:
        total = conn.execute(text("SELECT sum(contacts) FROM contacts_by_month")).scalar_one()
        contacts = conn.execute(
            text("SELECT count(*) FROM interaction WHERE outcome <> 'abandonado'")
        ).scalar_one()
    assert counts["agg_interaction_month"] > 0
    assert total == contacts


def test_an_import_refreshes_its_months_only_and_equals_a_full_refresh(
    own_tiny, tmp_path, monkeypatch
):
    """Contacts of the last two months changed and added through the importer: the partial
    refresh it triggers (from the month before the first touched, for the 30-day repeat)
    gives every rollup exactly as a full refresh does."""
    from lib import refresh
    from lib.ingest.export import export_table
    from lib.ingest.load import import_file

    _, engine = own_tiny
    export_table(engine, "interaction", tmp_path / "all.csv")
    contacts = pd.read_csv(tmp_path / "all.csv", dtype=str)
    started = pd.to_datetime(contacts["started_at"])
    last = started.max().to_period("M").to_timestamp()
    changed = contacts[started >= last].head(300).copy()  # outcomes flipped
    changed["resolved_first_contact"] = 1 - changed["resolved_first_contact"].astype(int)
    # copies, 12 days later, of the previous month's last contacts: new contacts of the last
    # month that make those of the month before repeated (the refresh must reach back)
    added = contacts[(started >= last - pd.Timedelta(days=10)) & (started < last)].head(300)
    added = added.copy()
    top = int(contacts["id"].astype(int).max())
    added["id"] = range(top + 1, top + 1 + len(added))
    shifted = pd.to_datetime(added["started_at"]) + pd.Timedelta(days=12)
    added["started_at"] = shifted.dt.strftime("%Y-%m-%d %H:%M:%S")
    assert (shifted >= last).all() and (shifted <= started.max()).all()
    pd.concat([changed, added]).to_csv(tmp_path / "load.csv", index=False)

    seen = []
    partial = refresh.refresh_rollups

    def spy(conn, progress=None, since=None, changed=None):
        seen.append(since)
        assert changed == ["interaction"]
        return partial(conn, progress, since=since, changed=changed)

    monkeypatch.setattr(refresh, "refresh_rollups", spy)
    r = import_file(engine, "interaction", tmp_path / "load.csv")
    assert (r.status, r.rows_inserted, r.rows_updated) == ("cargado", 300, 300), r.report()
    assert seen == [last.date()]
    after_import = _rows(engine)

    with engine.begin() as conn:
        rollups.refresh_rollups(conn)
    full = _rows(engine)
    for name in full:
        pd.testing.assert_frame_equal(after_import[name], full[name], check_dtype=False)


def test_an_import_recomputes_campaign_results_only_when_it_can_change_them(
    own_tiny, tmp_path, monkeypatch
):
    """Contacts feed no campaign analysis: their import leaves the stored results as they are
    (the national refresh after such an import spent 18 s of 52 s recomputing them). A load
    of collection rows does recompute them."""
    from lib import refresh
    from lib.ingest.export import export_table
    from lib.ingest.load import import_file
    from lib.queries.campaigns import stored_results

    _, engine = own_tiny
    before = stored_results(engine)
    calls = []
    recompute = refresh.refresh_campaign_results

    def spy(conn, progress=None):
        calls.append(1)
        return recompute(conn, progress)

    monkeypatch.setattr(refresh, "refresh_campaign_results", spy)
    export_table(engine, "interaction", tmp_path / "contacts.csv", limit=50)
    contacts = pd.read_csv(tmp_path / "contacts.csv", dtype=str)
    contacts["resolved_first_contact"] = 1 - contacts["resolved_first_contact"].astype(int)
    contacts.to_csv(tmp_path / "contacts.csv", index=False)
    r = import_file(engine, "interaction", tmp_path / "contacts.csv")
    assert (r.status, r.rows_updated) == ("cargado", 50), r.report()
    assert calls == [] and stored_results(engine) == before

    export_table(engine, "collection_monthly", tmp_path / "collection.csv", limit=50)
    collection = pd.read_csv(tmp_path / "collection.csv", dtype=str)
    collection["paid_late"] = (collection["paid_late"].astype(float) + 1).round(2).astype(str)
    collection.to_csv(tmp_path / "collection.csv", index=False)
    r = import_file(engine, "collection_monthly", tmp_path / "collection.csv")
    assert (r.status, r.rows_updated) == ("cargado", 50), r.report()
    assert calls == [1] and set(stored_results(engine)) == set(before)


def _full_refresh_equals(engine, after_import: dict[str, pd.DataFrame]) -> None:
    with engine.begin() as conn:
        rollups.refresh_rollups(conn)
    full = _rows(engine)
    for name in full:
        pd.testing.assert_frame_equal(after_import[name], full[name], check_dtype=False)


def _rotated(values: pd.Series) -> pd.Series:
    """Each value replaced by the next distinct value the column holds: still valid."""
    distinct = sorted(values.dropna().unique())
    following = dict(zip(distinct, distinct[1:] + distinct[:1], strict=True))
    return values.map(following)


EDITS = {  # a change to rows of each table that moves some rollup
    "survey_response": lambda f: f.assign(csat=(6 - f["csat"].astype(int)).astype(str)),
    "complaint": lambda f: f.assign(channel_id=_rotated(f["channel_id"])),
    "collection_monthly": lambda f: f.assign(
        paid_late=(f["paid_late"].astype(float) + 1).round(2).astype(str)
    ),
    "patron": lambda f: f.assign(economic_division_id=_rotated(f["economic_division_id"])),
}


def _past_the_next_due_date(engine) -> dt.date:
    """The day after the first due date, past the as-of date, of a complaint still open: an
    as-of date that moves there changes what is pending and not yet due."""
    with engine.connect() as conn:
        as_of = rollups.data_as_of(conn)
        due = conn.execute(
            text(
                "SELECT min(due_on) FROM complaint WHERE closed_on IS NULL"
                " AND status <> 'cerrada' AND due_on > :d"
            ),
            {"d": as_of},
        ).scalar_one()
    assert due is not None, "the tiny institute plants open complaints due after its as-of date"
    return dt.date.fromisoformat(str(due)[:10]) + dt.timedelta(days=1)


@pytest.mark.parametrize("table", list(EDITS))
def test_a_load_rebuilds_only_the_rollups_reading_its_table_and_equals_a_full_refresh(
    own_tiny, tmp_path, monkeypatch, table
):
    """A load of surveys, complaints, collection or patrons rebuilds the rollups whose SQL
    reads that table and leaves the others as they are; a full refresh afterwards (which
    rebuilds everything from the fact rows) changes nothing, and the rollups the load moved
    did move."""
    from lib import refresh
    from lib.ingest.export import export_table
    from lib.ingest.load import import_file

    _, engine = own_tiny
    before = _rows(engine)
    export_table(engine, table, tmp_path / "rows.csv", limit=200)
    rows = EDITS[table](pd.read_csv(tmp_path / "rows.csv", dtype=str))
    rows.to_csv(tmp_path / "rows.csv", index=False)
    rebuilt: list[str] = []
    partial = refresh.refresh_rollups

    def spy(conn, progress=None, since=None, changed=None):
        rebuilt.extend(rollups.rollups_to_refresh(changed))
        return partial(conn, progress, since=since, changed=changed)

    monkeypatch.setattr(refresh, "refresh_rollups", spy)
    r = import_file(engine, table, tmp_path / "rows.csv")
    assert r.status == "cargado" and r.rows_updated > 0, r.report()
    after = _rows(engine)
    moved = {n for n in after if not after[n].equals(before[n])}
    assert moved and moved <= set(rebuilt)
    assert set(rebuilt) < {t.name for t in TABLES}  # something was left alone
    _full_refresh_equals(engine, after)


def test_contacts_leave_the_collection_and_complaint_rollups_alone():
    """Read from the SQL: contacts feed neither collection nor complaints, the complaint
    rollup depends on the as-of date, and the coarse rollups inherit their fine one's tables."""
    touched = set(rollups.rollups_to_refresh(["interaction"]))
    assert "agg_interaction_unit_month" in touched and "agg_survey_month" in touched
    assert not touched & {"agg_collection_month", "agg_collection_unit_month"}
    assert "agg_complaint_month" not in touched
    assert rollups.rollups_to_refresh([rollups.AS_OF_SOURCE]) == ["agg_complaint_month"]
    assert rollups.rollup_sources()["agg_collection_unit_month"] == frozenset(
        {"collection_monthly", "patron", "subdelegacion"}
    )
    # a rollup summed from another stands for that one's tables (the fine one comes first)
    names = {t.name for t in TABLES}
    assert not any(sources & names for sources in rollups.rollup_sources().values())
    assert rollups.rollups_looking_ahead() >= {"agg_interaction_month", "agg_survey_month"}


def test_a_new_as_of_date_alone_rebuilds_the_complaint_rollup(own_tiny, tmp_path):
    """Re-importing unchanged complaints with a later as-of date moves what is pending and
    not yet due: the complaint rollup follows, equal to a full refresh."""
    from lib.ingest.export import export_table
    from lib.ingest.load import import_file

    _, engine = own_tiny
    before = _rows(engine)
    later = _past_the_next_due_date(engine)
    export_table(engine, "complaint", tmp_path / "c.csv", limit=5)
    r = import_file(engine, "complaint", tmp_path / "c.csv", as_of=later)
    assert (r.status, r.rows_updated, r.rows_inserted) == ("cargado", 0, 0), r.report()
    after = _rows(engine)
    moved = {n for n in after if not after[n].equals(before[n])}
    assert moved == {"agg_complaint_month"}
    _full_refresh_equals(engine, after)


def test_without_a_stated_as_of_date_a_contact_load_rebuilds_the_complaint_rollup(
    own_tiny, tmp_path
):
    """With no stated as-of date the last contact sets it: a load of later contacts moves it,
    and the complaint rollup (pending and not yet due) must follow."""
    from lib.db.schema import DatasetInfo
    from lib.ingest.export import export_table
    from lib.ingest.load import import_file

    _, engine = own_tiny
    with engine.begin() as conn:
        conn.execute(DatasetInfo.__table__.delete().where(DatasetInfo.key == "data_as_of"))
        rollups.refresh_rollups(conn)
    before = _rows(engine)
    export_table(engine, "interaction", tmp_path / "all.csv")
    contacts = pd.read_csv(tmp_path / "all.csv", dtype=str)
    last = pd.to_datetime(contacts["started_at"]).max()
    added = contacts.tail(1).copy()
    added["id"] = int(contacts["id"].astype(int).max()) + 1
    later = _past_the_next_due_date(engine)
    assert later > last.date()
    added["started_at"] = f"{later.isoformat()} 10:00:00"
    added.to_csv(tmp_path / "later.csv", index=False)
    r = import_file(engine, "interaction", tmp_path / "later.csv", as_of=None)
    assert (r.status, r.rows_inserted) == ("cargado", 1), r.report()
    after = _rows(engine)
    assert not after["agg_complaint_month"].equals(before["agg_complaint_month"])
    _full_refresh_equals(engine, after)


def test_a_refresh_after_loads_without_one_rebuilds_what_they_changed(own_tiny, tmp_path):
    """Contacts of an early month loaded without a refresh, then collection rows of the last
    month with one: the second load's refresh rebuilds the contact rollups from the early
    month too (a partial refresh from the last month would have left them stale), equal to a
    full refresh."""
    from lib.ingest.export import export_table
    from lib.ingest.load import import_file

    _, engine = own_tiny
    export_table(engine, "interaction", tmp_path / "all.csv")
    contacts = pd.read_csv(tmp_path / "all.csv", dtype=str)
    started = pd.to_datetime(contacts["started_at"])
    early = contacts[started < started.min() + pd.Timedelta(days=20)].head(200).copy()
    early["resolved_first_contact"] = 1 - early["resolved_first_contact"].astype(int)
    early.to_csv(tmp_path / "early.csv", index=False)
    before = _rows(engine)
    r = import_file(engine, "interaction", tmp_path / "early.csv", refresh=False)
    assert (r.status, r.rows_updated) == ("cargado", 200), r.report()
    assert _rows(engine)["agg_interaction_month"].equals(before["agg_interaction_month"])

    export_table(engine, "collection_monthly", tmp_path / "collection.csv")
    collection = pd.read_csv(tmp_path / "collection.csv", dtype=str)
    last = collection[collection["month"] == collection["month"].max()].head(50).copy()
    last["paid_late"] = (last["paid_late"].astype(float) + 1).round(2).astype(str)
    last.to_csv(tmp_path / "last.csv", index=False)
    r = import_file(engine, "collection_monthly", tmp_path / "last.csv")
    assert (r.status, r.rows_updated) == ("cargado", 50), r.report()
    after = _rows(engine)
    assert not after["agg_interaction_month"].equals(before["agg_interaction_month"])
    with engine.connect() as conn:
        assert rollups._unrefreshed(conn) == {}
    _full_refresh_equals(engine, after)


def test_a_small_partial_refresh_keeps_the_statistics_a_large_one_renews(pg_fresh):
    """PostgreSQL: rebuilding under a tenth of a rollup keeps its statistics (autovacuum's
    threshold; 8.8 s of ANALYZE in a national month's load), a tenth or more renews them, and
    a table never analyzed is always analyzed."""
    engine, _ = pg_fresh
    table = rollups.AggInteractionMonth.__table__
    with engine.begin() as conn:
        conn.exec_driver_sql(f"ANALYZE {table.name}")
        rows = conn.exec_driver_sql(
            f"SELECT reltuples FROM pg_class WHERE relname = '{table.name}'"
        ).scalar_one()
        assert rows > 100
        assert not rollups._stale_statistics(conn, table, int(rows * 0.05))
        assert rollups._stale_statistics(conn, table, int(rows * 0.1) + 1)
        conn.exec_driver_sql("CREATE TABLE never_analyzed (x int)")
        fresh = Table("never_analyzed", MetaData(), Column("x", Integer))
        assert rollups._stale_statistics(conn, fresh, 0)
