"""The orientation list: each office's top-k flagged patrons from the model in use."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, Select, Subquery, func, select

from lib.db.schema import (
    CollectionMonthly,
    Interaction,
    ModelRun,
    Orientation,
    Patron,
    PatronFlag,
    Subdelegacion,
)
from lib.filters import Filters
from lib.queries.common import read_frame

F = PatronFlag.__table__
P = Patron.__table__
S = Subdelegacion.__table__
IT = Interaction.__table__
R = ModelRun.__table__
O = Orientation.__table__  # noqa: E741
CM = CollectionMonthly.__table__


def model_in_use(engine: Engine) -> pd.DataFrame:
    """The run in use (id, kind, dates, metrics, code version), or no rows."""
    return read_frame(
        engine,
        select(
            R.c.id,
            R.c.created_at,
            R.c.model_kind,
            R.c.train_from,
            R.c.train_to,
            R.c.cutoff,
            R.c.metrics,
            R.c.code_version,
            R.c.params,
        )
        .where(R.c.in_use.is_(True))
        .order_by(R.c.id.desc())
        .limit(1),
    )


def top_per_office(engine: Engine, f: Filters, run_id: int, per_office: int) -> pd.DataFrame:
    """The ``per_office`` highest-scored patrons of every office in the filter's place.

    Scoring stores each flag's office, OOAD and rank within the office, so the list is read
    from the index on (run, office, office rank): no ranking of the run's 1.1 million flags
    per office on every view. Ranking on the fly remains for a size-band filter (the rank is then
    among that band's patrons of the office) and for runs scored before revision 0009.
    """
    if f.size_band_id is not None or not _ranked_at_scoring(engine, run_id):
        return _top_per_office_ranked_here(engine, f, run_id, per_office)
    scope = f.place_conditions(F.c.ooad_id, F.c.subdelegacion_id)
    listed = _flags(
        F.c.subdelegacion_id,
        F.c.ooad_id,
        F.c.office_rank,
        F.c.model_run_id == run_id,
        F.c.office_rank <= per_office,
        *scope,
    ).subquery()
    return _with_last_contact(engine, listed)


def _ranked_at_scoring(engine: Engine, run_id: int) -> bool:
    """Whether the run's flags carry their office rank. A scoring writes all of a run's flags
    in one transaction, so one flag tells for all of them."""
    with engine.connect() as conn:
        first = conn.execute(
            select(F.c.office_rank).where(F.c.model_run_id == run_id).limit(1)
        ).first()
    return first is not None and first.office_rank is not None


def _top_per_office_ranked_here(
    engine: Engine, f: Filters, run_id: int, per_office: int
) -> pd.DataFrame:
    """The list ranked in the query: every flag of the run in scope, numbered per office."""
    office_rank = (
        func.row_number()
        .over(partition_by=P.c.subdelegacion_id, order_by=F.c.rank)
        .label("office_rank")
    )
    ranked = _flags(
        P.c.subdelegacion_id, S.c.ooad_id, office_rank, F.c.model_run_id == run_id, *_in_scope(f)
    ).subquery()
    listed = select(ranked).where(ranked.c.office_rank <= per_office).subquery()
    return _with_last_contact(engine, listed)


def _flags(office, ooad, office_rank, *where) -> Select:
    """The run's flags with what the list shows, the office (and OOAD, and rank within the
    office) taken from the given columns: the flag's own, or the patron's as of now."""
    return (
        select(
            F.c.patron_id,
            F.c.score,
            F.c.rank,
            F.c.reasons,
            P.c.registro_patronal,
            office,
            S.c.name.label("subdelegacion"),
            ooad,
            office_rank,
        )
        .select_from(F.join(P, P.c.id == F.c.patron_id).join(S, S.c.id == office))
        .where(*where)
    )


def _with_last_contact(engine: Engine, listed: Subquery) -> pd.DataFrame:
    """The listed patrons in office and rank order, with the day of each one's last contact."""
    # Last contact of the listed patrons only (a correlated lookup on the patron index), not an
    # aggregate of the whole contact table.
    last_contact = (
        select(func.max(IT.c.day))
        .where(IT.c.patron_id == listed.c.patron_id)
        .scalar_subquery()
        .label("last_contact")
    )
    q = select(listed, last_contact).order_by(listed.c.subdelegacion_id, listed.c.office_rank)
    return read_frame(engine, q)


def _in_scope(f: Filters):
    """Patron-level conditions for the filter's place and size band."""
    out = f.place_conditions(S.c.ooad_id, P.c.subdelegacion_id)
    if f.size_band_id is not None:
        out.append(P.c.size_band_id == f.size_band_id)
    return out


def orientations_by_month(engine: Engine, f: Filters) -> pd.DataFrame:
    """Orientations recorded in the period, by month and outcome (the feedback the model
    gets from the offices)."""
    return read_frame(
        engine,
        select(O.c.month, O.c.outcome, func.count().label("orientations"))
        .select_from(O.join(P, P.c.id == O.c.patron_id).join(S, S.c.id == P.c.subdelegacion_id))
        .where(O.c.month >= f.start, O.c.month <= f.end, *_in_scope(f))
        .group_by(O.c.month, O.c.outcome)
        .order_by(O.c.month, O.c.outcome),
    )


POOL_TARGET = 50_000  # never-oriented patrons read as the comparison pool, at most about this


def first_orientations(engine: Engine, f: Filters) -> pd.DataFrame:
    """Every patron in scope first oriented at some time (with that month), plus a
    deterministic sample of the rest (patron id modulo a stride sized so about POOL_TARGET
    come back), so the comparison pool stays bounded at national scale."""
    with engine.connect() as conn:
        n = conn.execute(
            select(func.count())
            .select_from(P.join(S, S.c.id == P.c.subdelegacion_id))
            .where(*_in_scope(f))
        ).scalar_one()
    stride = max(1, round(n / POOL_TARGET))
    first = (
        select(O.c.patron_id, func.min(O.c.month).label("first_month"))
        .group_by(O.c.patron_id)
        .subquery()
    )
    return read_frame(
        engine,
        select(P.c.id.label("patron_id"), P.c.size_band_id, first.c.first_month)
        .select_from(
            P.join(S, S.c.id == P.c.subdelegacion_id).outerjoin(first, first.c.patron_id == P.c.id)
        )
        .where(*_in_scope(f), (first.c.first_month.is_not(None)) | ((P.c.id % stride) == 0)),
    )


def late_months(
    engine: Engine,
    patron_ids: list[int],
    start,
    end,
    chunk: int = 5_000,
) -> pd.DataFrame:
    """Whether each of these patrons paid each month's contributions late (or not at all),
    the model's own definition, from ``start`` to ``end`` inclusive."""
    frames = []
    late = (CM.c.paid_on_time < CM.c.issued - 0.005).label("is_late")
    ids = sorted({int(i) for i in patron_ids})
    for i in range(0, len(ids), chunk):
        frames.append(
            read_frame(
                engine,
                select(CM.c.patron_id, CM.c.month, late).where(
                    CM.c.patron_id.in_(ids[i : i + chunk]),
                    CM.c.month >= start,
                    CM.c.month <= end,
                ),
            )
        )
    if not frames:
        return pd.DataFrame(columns=["patron_id", "month", "late"])
    out = pd.concat(frames, ignore_index=True)
    return out.assign(late=out.pop("is_late").astype(int))
