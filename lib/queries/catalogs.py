"""Catalog lists for filters and labels (small tables, read whole)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, select

from lib.db.schema import Channel, EconomicDivision, Ooad, SizeBand, Subdelegacion
from lib.queries.common import read_frame


def ooads(engine: Engine) -> pd.DataFrame:
    return read_frame(engine, select(Ooad.id, Ooad.name).order_by(Ooad.name))


def subdelegaciones(engine: Engine) -> pd.DataFrame:
    return read_frame(
        engine,
        select(Subdelegacion.id, Subdelegacion.ooad_id, Subdelegacion.name).order_by(
            Subdelegacion.name
        ),
    )


def channels(engine: Engine) -> pd.DataFrame:
    return read_frame(
        engine,
        select(Channel.id, Channel.name, Channel.is_digital, Channel.unit_cost).order_by(
            Channel.sort_order
        ),
    )


def size_bands(engine: Engine) -> pd.DataFrame:
    return read_frame(engine, select(SizeBand.id, SizeBand.name).order_by(SizeBand.id))


def economic_divisions(engine: Engine) -> pd.DataFrame:
    return read_frame(
        engine, select(EconomicDivision.id, EconomicDivision.name).order_by(EconomicDivision.id)
    )
