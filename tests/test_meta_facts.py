"""dataset_meta reads dataset_info on every view and the derived facts (tables with rows,
months) only when dataset_info changed (issue 20: the per-view round trips under load)."""

from __future__ import annotations

import datetime as dt
import shutil

from sqlalchemy import delete, insert, text

import lib.queries.meta as meta_mod
from lib.db.engine import make_engine
from lib.db.schema import DatasetInfo
from lib.queries.meta import dataset_meta


def test_facts_are_read_again_only_when_dataset_info_changes(sqlite_tiny, tmp_path, monkeypatch):
    path = tmp_path / "meta.db"
    shutil.copy(sqlite_tiny.removeprefix("sqlite:///"), path)
    engine = make_engine(f"sqlite:///{path}")
    reads = []
    real = meta_mod._facts
    monkeypatch.setattr(meta_mod, "_facts", lambda conn: reads.append(1) or real(conn))
    first = dataset_meta(engine)
    again = dataset_meta(engine)
    assert len(reads) == 1 and again == first
    assert "complaint" in first.loaded and len(first.months) == 36

    # a load empties a fact table and rewrites loaded_at (as lib.ingest does): read again
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM complaint"))
        conn.execute(delete(DatasetInfo).where(DatasetInfo.key == "loaded_at"))
        conn.execute(insert(DatasetInfo).values(key="loaded_at", value="2026-12-07 18:00:00"))
    after = dataset_meta(engine)
    assert len(reads) == 2
    assert "complaint" not in after.loaded and after.loaded_at == "2026-12-07 18:00:00"

    # any other dataset_info key (e.g. the demo's growth progress) counts too
    with engine.begin() as conn:
        conn.execute(insert(DatasetInfo).values(key="prueba", value=dt.date.today().isoformat()))
    assert dataset_meta(engine).info["prueba"] and len(reads) == 3
    dataset_meta(engine)
    assert len(reads) == 3
    engine.dispose()
