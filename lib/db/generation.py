"""The dataset generation: a counter in ``dataset_info`` that every write of data moves on.

Pages key their caches on the dataset version (lib/queries/meta.py ``version_of``), and a
process keeps what ``dataset_meta`` derives from the fact tables (which hold rows, which
months) for as long as the version stays the same. The timestamps that used to make the
version (``loaded_at``, ``rollups_refreshed_at``, ``model_trained_at``) have one-second
resolution: two loads, or a delete and a refresh, within one second left it unchanged and the
derived facts stale. The counter changes on every write, whatever the clock says.

Who moves it on: every rollup refresh (so every import that refreshes, every seed and
``python -m lib refresh``), every import saved without a refresh, every model trained, and the
first start's growth into the full demo. A write of facts that bypasses these (SQL by hand)
is followed by ``python -m lib refresh``, which moves it on (docs/import.md).
"""

from __future__ import annotations

from sqlalchemy import Connection, text

GENERATION_KEY = "generation"

# One statement on both backends (SQLite ≥ 3.24 and PostgreSQL share the upsert syntax): a
# row lock on PostgreSQL orders concurrent writers, and the first write creates the row.
BUMP_SQL = (
    "INSERT INTO dataset_info (key, value) VALUES ('generation', '1') "
    "ON CONFLICT (key) DO UPDATE SET "
    "value = CAST(CAST(dataset_info.value AS INTEGER) + 1 AS VARCHAR(20))"
)


def bump_generation(conn: Connection) -> None:
    """Move the generation on, in ``conn``'s transaction (it commits with the write)."""
    conn.execute(text(BUMP_SQL))


__all__ = ["BUMP_SQL", "GENERATION_KEY", "bump_generation"]
