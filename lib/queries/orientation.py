"""The orientation list: each office's top-k flagged patrons from the model in use."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, select

from lib.db.schema import Interaction, ModelRun, Patron, PatronFlag, Subdelegacion
from lib.filters import Filters
from lib.queries.common import read_frame

F = PatronFlag.__table__
P = Patron.__table__
S = Subdelegacion.__table__
IT = Interaction.__table__
R = ModelRun.__table__


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
    """The ``per_office`` highest-scored patrons of every office in the filter's place."""
    office_rank = (
        func.row_number()
        .over(partition_by=P.c.subdelegacion_id, order_by=F.c.rank)
        .label("office_rank")
    )
    ranked = (
        select(
            F.c.patron_id,
            F.c.score,
            F.c.rank,
            F.c.reasons,
            P.c.registro_patronal,
            P.c.subdelegacion_id,
            S.c.name.label("subdelegacion"),
            S.c.ooad_id,
            office_rank,
        )
        .select_from(F.join(P, P.c.id == F.c.patron_id).join(S, S.c.id == P.c.subdelegacion_id))
        .where(F.c.model_run_id == run_id)
    )
    if f.subdelegacion_id is not None:
        ranked = ranked.where(P.c.subdelegacion_id == f.subdelegacion_id)
    elif f.ooad_id is not None:
        ranked = ranked.where(S.c.ooad_id == f.ooad_id)
    if f.size_band_id is not None:
        ranked = ranked.where(P.c.size_band_id == f.size_band_id)
    ranked = ranked.subquery()
    # Only for the listed patrons (an index lookup each), never a GROUP BY over every contact
    # of the institute: at national scale that was tens of millions of rows per view.
    last_contact = (
        select(func.max(IT.c.day))
        .where(IT.c.patron_id == ranked.c.patron_id)
        .correlate(ranked)
        .scalar_subquery()
        .label("last_contact")
    )
    q = (
        select(ranked, last_contact)
        .where(ranked.c.office_rank <= per_office)
        .order_by(ranked.c.subdelegacion_id, ranked.c.office_rank)
    )
    return read_frame(engine, q)
