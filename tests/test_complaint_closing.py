"""A complaint closed without its closing date counts as closed, never open (issue 18), and a
complaint export without free text loads. A planted file whose every count is written out by
hand below, on SQLite and PostgreSQL: the importer, the rollup, the complaints queries and the
overview's KPI agree with the hand counts; the 0011 migration keeps rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select, text

from lib.analysis.kpis import KPI_BY_KEY, period_sums
from lib.db.engine import make_engine
from lib.db.migrate import upgrade_schema
from lib.db.schema import AggComplaintMonth, Complaint
from lib.filters import Filters
from lib.ingest.contract import IMPORT_ORDER
from lib.ingest.load import import_file
from lib.queries import complaints, overview

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "examples"
AS_OF = dt.date(2024, 12, 31)
# No description column at all. Counted by hand at AS_OF:
#   closed: P1 (on time), P2 (late), P3 and P4 (cerrada, no date), P7 (date, no estado; on time)
#   open: P5 (overdue since 17/11), P6 (due 31/01/2025: still within its deadline)
PLANTED = """folio;tipo;canal;subdelegacion;fecha_recepcion;fecha_limite;fecha_cierre;estado
P-1;queja;ventanilla;1439;01/10/2024;15/11/2024;01/11/2024;cerrada
P-2;queja;ventanilla;1439;01/10/2024;15/11/2024;20/11/2024;cerrada
P-3;queja;ventanilla;1439;01/10/2024;15/11/2024;;cerrada
P-4;queja;ventanilla;1439;02/10/2024;16/11/2024;;Cerrada
P-5;queja;ventanilla;1439;03/10/2024;17/11/2024;;abierta
P-6;queja;ventanilla;1439;01/12/2024;31/01/2025;;
P-7;queja;ventanilla;1439;05/12/2024;20/01/2025;10/12/2024;
"""
RECEIVED, CLOSED, NO_DATE, ON_TIME, OVERDUE_OPEN, PENDING_NOT_DUE = 7, 5, 2, 2, 1, 1


@pytest.fixture(params=["sqlite", "postgresql"])
def catalogs_only(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'c.db'}"
    else:
        url = request.getfixturevalue("pg_database_factory")()
    engine = make_engine(url)
    upgrade_schema(engine)
    for table in IMPORT_ORDER[: IMPORT_ORDER.index("patron")]:
        assert import_file(engine, table, EXAMPLES / f"{table}.csv", refresh=False).ok
    yield engine
    engine.dispose()


def test_closed_without_date_is_closed_with_unknown_timeliness(catalogs_only):
    engine = catalogs_only
    # received dates all on days 1-5: the order is stated (it could not be detected)
    r = import_file(
        engine, "complaint", PLANTED.encode(), file_name="quejas.csv", as_of=AS_OF, date_order="dmy"
    )
    assert r.status == "cargado", r.report()
    assert r.rows_inserted == RECEIVED and r.problem_count == 0
    with engine.connect() as conn:
        rows = {
            folio: (status, closed_on, description)
            for folio, status, closed_on, description in conn.execute(
                select(
                    Complaint.folio, Complaint.status, Complaint.closed_on, Complaint.description
                )
            )
        }
        agg = conn.execute(
            select(
                text(
                    "sum(received), sum(closed), sum(closed_on_time), sum(pending_not_due), "
                    "sum(closed_no_date)"
                )
            ).select_from(AggComplaintMonth.__table__)
        ).one()
    assert rows["P-3"][:2] == ("cerrada", None) and rows["P-4"][:2] == ("cerrada", None)
    assert rows["P-5"][0] == "abierta" and rows["P-6"][0] == "abierta"
    assert rows["P-7"][0] == "cerrada"
    assert all(d is None for _, _, d in rows.values())  # no free text: loaded without it
    assert tuple(int(x) for x in agg) == (RECEIVED, CLOSED, ON_TIME, PENDING_NOT_DUE, NO_DATE)

    f = Filters(start=dt.date(2024, 10, 1), end=dt.date(2024, 12, 1))
    tl = complaints.timeliness(engine, f, AS_OF)
    s = tl["summary"]
    assert (int(s["received"]), int(s["closed"]), int(s["closed_no_date"])) == (7, 5, 2)
    assert (int(s["on_time"]), int(s["overdue_open"])) == (ON_TIME, OVERDUE_OPEN)
    # the complaints page's card, by the layer's indicator on the same counts as of AS_OF:
    # 2 on time among the 4 decided with a known date (P1, P2, P7 closed; P5 open overdue)
    assert KPI_BY_KEY["complaints_on_time"].value(tl["sums"]) == pytest.approx(2 / 4)
    backlog = dict(zip(tl["backlog"]["band"], tl["backlog"]["open"].astype(int), strict=True))
    assert backlog == {"más de 60 días": 1, "31-60 días": 1}  # P5 (89 days), P6 (30 days)
    assert list(complaints.overdue_list(engine, f, AS_OF)["folio"]) == ["P-5"]
    # days to close only from the three closed with a date: 31, 50, 5
    assert sorted(tl["closing"]["days_to_close"].astype(int)) == [5, 31, 50]
    assert complaints.texts(engine, f).empty

    # the overview's card: 2 on time among the 4 decided with a known date (P1, P2, P7, P5)
    monthly = overview.monthly_indicators(engine, f)
    sums = period_sums(monthly, f.start, f.end)
    assert int(sums["complaints_no_date"]) == NO_DATE
    assert KPI_BY_KEY["complaints_on_time"].value(sums) == pytest.approx(2 / 4)


def test_0011_upgrade_keeps_complaints(tmp_path):
    """A database at 0010 with a complaint in it upgrades: the row stays, the text may be
    empty afterwards, and the rollup has the new column."""
    from alembic import command

    from lib.db.migrate import alembic_config, current_revision, head_revision

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0010")
    for table in IMPORT_ORDER[: IMPORT_ORDER.index("patron")]:
        assert import_file(engine, table, EXAMPLES / f"{table}.csv", refresh=False).ok
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO complaint (folio, kind_id, channel_id, subdelegacion_id, received_on,"
                " month, iso_week, due_on, status, description) VALUES ('Q-1', 'queja', "
                "'ventanilla', 1439, '2024-10-01', '2024-10-01', 202440, '2024-11-15', "
                "'abierta', 'texto')"
            )
        )
    upgrade_schema(engine)
    assert current_revision(engine) == head_revision()
    with engine.begin() as conn:
        assert conn.execute(text("SELECT folio, description FROM complaint")).all() == [
            ("Q-1", "texto")
        ]
        conn.execute(text("UPDATE complaint SET description = NULL"))
        cols = [r[1] for r in conn.execute(text("PRAGMA table_info(agg_complaint_month)"))]
    assert "closed_no_date" in cols
    engine.dispose()
