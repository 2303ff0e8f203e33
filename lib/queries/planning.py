"""What the work-program planner reads that other pages do not: monthly contacts per channel
and OOAD (the forecast's history, with handling minutes) and patrons oriented in a period."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
from sqlalchemy import Engine, func, select

from lib.db.schema import AggInteractionUnitMonth, Orientation, Patron, Subdelegacion
from lib.filters import Filters
from lib.queries.common import read_frame, total

# the coarse rollup (no procedure): the same sums from a third of the rows
IM = AggInteractionUnitMonth.__table__
O = Orientation.__table__  # noqa: E741
P = Patron.__table__
S = Subdelegacion.__table__


def channel_ooad_month(engine: Engine, f: Filters) -> pd.DataFrame:
    """Contacts and handling minutes per month, channel and OOAD in ``f`` (period included)."""
    q = (
        select(
            IM.c.month,
            IM.c.channel_id,
            IM.c.ooad_id,
            total(IM.c.contacts, "contacts"),
            total(IM.c.handle_minutes_sum, "handle_minutes_sum"),
        )
        .where(*f.conditions(IM))
        .group_by(IM.c.month, IM.c.channel_id, IM.c.ooad_id)
        .order_by(IM.c.month, IM.c.channel_id, IM.c.ooad_id)
    )
    out = read_frame(engine, q)
    out["month"] = pd.to_datetime(out["month"]).dt.date
    out["ooad_id"] = out["ooad_id"].astype(int)
    return out


def oriented_patrons(engine: Engine, f: Filters, start: dt.date, end: dt.date) -> int:
    """Distinct patrons given proactive orientation from ``start`` to ``end`` (months), in the
    filter's place, channel and segment."""
    rows = (
        select(
            O.c.patron_id,
            O.c.month,
            O.c.channel_id,
            P.c.subdelegacion_id,
            P.c.size_band_id,
            S.c.ooad_id,
        )
        .select_from(O.join(P, P.c.id == O.c.patron_id).join(S, S.c.id == P.c.subdelegacion_id))
        .subquery()
    )
    g = replace(f, start=start, end=end)
    q = select(func.count(func.distinct(rows.c.patron_id)).label("n")).where(*g.conditions(rows))
    with engine.connect() as conn:
        return int(conn.execute(q).scalar_one() or 0)
