"""COPY's CSV text (lib/db/bulk.py): pyarrow's writer stores what pandas' writer stored.

The oracle is a plain SQLAlchemy INSERT of the same rows, with empty text as NULL (what the
pandas writer's unquoted empty field gave COPY). Planted: empty text, None, NaN, quotes,
commas and line breaks inside text, a nullable integer, accents, and a column of mixed
Python objects that pyarrow refuses (the pandas fallback)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, insert, select

from lib.db.bulk import _csv_text, insert_frame
from lib.db.engine import make_engine

ROWS = pd.DataFrame(
    {
        "id": [1, 2, 3, 4, 5],
        "name": ["Jalisco", "", None, 'dijo "sí", luego\nno', "Oaxaca, Centro"],
        "value": [0.1, np.nan, 1e-7, 123456789.123, 2.0],
        "count": pd.array([1, None, 3, 4, 5], dtype="Int64"),
    }
)


def _table(meta: MetaData) -> Table:
    return Table(
        "bulk_probe",
        meta,
        Column("id", Integer, primary_key=True),
        Column("name", String(60)),
        Column("value", Float),
        Column("count", Integer),
    )


def test_copy_stores_the_rows_an_insert_stores(pg_database_factory) -> None:
    engine = make_engine(pg_database_factory())
    meta = MetaData()
    copied, inserted = _table(meta), _table(MetaData()).to_metadata(meta, name="bulk_oracle")
    meta.create_all(engine)
    oracle = [
        {
            "id": int(r.id),
            "name": None if pd.isna(r.name) or r.name == "" else r.name,
            "value": None if pd.isna(r.value) else float(r.value),
            "count": None if pd.isna(r.count) else int(r.count),
        }
        for r in ROWS.itertuples()
    ]
    with engine.begin() as conn:
        assert insert_frame(conn, copied, ROWS) == 5
        conn.execute(insert(inserted), oracle)
    with engine.connect() as conn:
        got = conn.execute(select(copied).order_by(copied.c.id)).all()
        want = conn.execute(select(inserted).order_by(inserted.c.id)).all()
    engine.dispose()
    assert got == want
    assert got[1].name is None and got[2].name is None and got[3].name == ROWS["name"][3]


def test_mixed_objects_fall_back_to_pandas() -> None:
    mixed = pd.DataFrame({"a": [1, "dos", 3.5]})
    assert _csv_text(mixed) == mixed.to_csv(index=False, header=False, na_rep="")
    assert isinstance(_csv_text(ROWS), bytes)  # the fast path otherwise
