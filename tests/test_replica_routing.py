"""Page reads on a read replica (lib/db/replica.py, lib/ui/data.read), on both backends: the
replica only when it holds the primary's dataset version, the primary when it lags or does
not answer, one log line per change, and no page error when the replica fails mid-read."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, insert
from sqlalchemy.exc import OperationalError

from lib.db.engine import READ_ENV_VAR, DatabaseTarget, make_engine
from lib.db.replica import ReplicaRouter
from lib.db.schema import Base, DatasetInfo
from lib.queries.meta import DatasetMeta, dataset_version, version_of
from lib.ui.data import Source, read, router_for

INFO = Base.metadata.tables["dataset_info"]
V1 = {
    "generation": "4",
    "loaded_at": "2026-11-01 08:00:00",
    "rollups_refreshed_at": "2026-11-01 08:05:00",
}
V2 = {**V1, "generation": "5", "rollups_refreshed_at": "2026-12-01 08:05:00"}


@dataclass
class Pair:
    primary_url: str
    replica_url: str
    primary: Engine
    replica: Engine
    down_url: str  # a replica that does not answer


def _write_info(engine: Engine, info: dict[str, str]) -> None:
    with engine.begin() as conn:
        conn.execute(delete(INFO))
        conn.execute(insert(INFO), [{"key": k, "value": v} for k, v in info.items()])


@pytest.fixture(params=["sqlite", "postgresql"])
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Pair]:
    if request.param == "sqlite":
        urls = [f"sqlite:///{tmp_path / name}.db" for name in ("primary", "replica")]
        down = f"sqlite:///{tmp_path / 'no-such-folder' / 'replica.db'}"
    else:
        factory = request.getfixturevalue("pg_database_factory")
        urls = [factory(), factory()]
        down = "postgresql+psycopg://postgres@127.0.0.1:1/mirador"  # nothing listens on 1
    engines = [make_engine(url) for url in urls]
    for engine in engines:
        DatasetInfo.__table__.create(engine)
        _write_info(engine, V1)
    yield Pair(urls[0], urls[1], engines[0], engines[1], down)
    for engine in engines:
        engine.dispose()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_version_is_the_one_every_cache_key_uses(pair: Pair):
    assert (
        dataset_version(pair.primary)
        == version_of(V1)
        == f"{V1['generation']}|{V1['loaded_at']}|{V1['rollups_refreshed_at']}|"
    )
    meta = DatasetMeta(False, None, V1["loaded_at"], V1["rollups_refreshed_at"], (), dict(V1))
    assert meta.version == version_of(V1)


def test_replica_used_only_at_the_primarys_version(pair: Pair, caplog):
    clock = Clock()
    router = ReplicaRouter(pair.replica, clock=clock)
    v1, v2 = version_of(V1), version_of(V2)
    with caplog.at_level(logging.INFO, logger="mirador.replica"):
        assert router.reader(pair.primary, v1) is pair.replica
        _write_info(pair.primary, V2)  # a refresh on the primary, not replayed yet
        for _ in range(3):
            clock.now += 5
            assert router.reader(pair.primary, v2) is pair.primary
        assert router.state == "behind"
        # a page still holding the old version may read the replica; the new one may not
        assert router.reader(pair.primary, v1) is pair.replica
        _write_info(pair.replica, V2)  # replayed
        clock.now += 5
        assert router.reader(pair.primary, v2) is pair.replica
    lines = [r.getMessage() for r in caplog.records]
    behind = [x for x in lines if "has not replayed" in x]
    assert len(behind) == 1, lines  # one line per change of state, not per page view
    assert sum("in use" in x for x in lines) == 2  # at first, and for v1 after v2's lag


def test_a_decision_is_kept_for_a_second(pair: Pair):
    clock = Clock()
    router = ReplicaRouter(pair.replica, clock=clock, recheck_s=1.0)
    v1 = version_of(V1)
    assert router.usable(v1)
    _write_info(pair.replica, V2)  # replica moved on: seen again after recheck_s only
    clock.now += 0.5
    assert router.usable(v1)
    clock.now += 0.6
    assert not router.usable(v1)


def test_a_replica_that_does_not_answer_is_left_alone_for_a_while(pair: Pair, caplog, monkeypatch):
    clock = Clock()
    router = ReplicaRouter(make_engine(pair.down_url, connect_timeout=2), clock=clock)
    v1 = version_of(V1)
    with caplog.at_level(logging.INFO, logger="mirador.replica"):
        assert router.reader(pair.primary, v1) is pair.primary
        assert router.state == "down"
        asked: list[Engine] = []
        monkeypatch.setattr("lib.db.replica.dataset_version", asked.append)
        for _ in range(5):
            clock.now += 5
            assert router.reader(pair.primary, v1) is pair.primary
        assert asked == []  # within retry_after_s nothing is tried
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "read replica unavailable (OperationalError)" in lines[0]
    assert "primary" in lines[0] and "@" not in lines[0]  # no URL, no data


def test_a_replica_that_comes_back_is_used_again(tmp_path: Path):
    primary_path, replica_path = tmp_path / "p.db", tmp_path / "later" / "r.db"
    primary = make_engine(f"sqlite:///{primary_path}")
    DatasetInfo.__table__.create(primary)
    _write_info(primary, V1)
    clock = Clock()
    router = ReplicaRouter(make_engine(f"sqlite:///{replica_path}"), clock=clock)
    assert not router.usable(version_of(V1))
    primary.dispose()  # WAL checkpointed into the file copied
    replica_path.parent.mkdir()
    shutil.copy(primary_path, replica_path)
    clock.now += 10
    assert not router.usable(version_of(V1))  # still within the 30 s
    clock.now += 25
    assert router.usable(version_of(V1))


def _source(pair: Pair, info: dict[str, str]) -> Source:
    meta = DatasetMeta(False, None, info["loaded_at"], info["rollups_refreshed_at"], (), info)
    return Source(DatabaseTarget(pair.primary_url, "variable de entorno"), pair.primary, meta)


def test_page_reads_go_to_the_replica_and_fall_back_on_a_failed_read(
    pair: Pair, monkeypatch, caplog
):
    monkeypatch.setenv(READ_ENV_VAR, pair.replica_url)
    source = _source(pair, dict(V1))
    used: list[str] = []

    def which(engine: Engine) -> str:
        used.append(str(engine.url.database))
        return "ok"

    assert read(source, which) == "ok"
    assert used[-1] == pair.replica.url.database
    replica_engine = router_for(pair.replica_url).replica

    def failing_on_replica(engine: Engine) -> str:
        if engine is replica_engine:
            raise OperationalError("SELECT 1", {}, Exception("conflict with recovery"))
        return "primary"

    with caplog.at_level(logging.WARNING, logger="mirador.replica"):
        assert read(source, failing_on_replica) == "primary"
        assert read(source, which) == "ok"  # set aside: the primary now
    assert used[-1] == pair.primary.url.database
    assert router_for(pair.replica_url).state == "down"
    assert len(caplog.records) == 1


def test_no_replica_configured_reads_the_primary(pair: Pair, monkeypatch):
    monkeypatch.delenv(READ_ENV_VAR, raising=False)
    monkeypatch.setattr("lib.db.engine.secrets_files", lambda: [])
    assert read(_source(pair, dict(V1)), lambda engine: engine) is pair.primary
