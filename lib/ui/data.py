"""Shared engine and cached query results.

The engine is a cached resource per URL. Query results are cached data keyed on the function,
the database URL, the dataset version (so a reload or refresh invalidates them) and every
argument, the filters included. Nothing is cached to disk.

With a read replica configured (``MIRADOR_READ_DATABASE_URL``), a cache miss is computed on
the replica when it has replayed the dataset version the page read from the primary, else on
the primary (lib/db/replica.py); the key is the same either way, the primary's URL and version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from lib.db.engine import DatabaseTarget, make_engine, read_url, write_url
from lib.db.replica import ReplicaRouter
from lib.queries.meta import DatasetMeta

T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def engine_for(url: str) -> Engine:
    return make_engine(url)


@st.cache_resource(show_spinner=False)
def router_for(url: str) -> ReplicaRouter:
    """One per process and replica URL: its state (in use, behind, down) is the process's."""
    return ReplicaRouter(make_engine(url, connect_timeout=2))


def read(source: Source, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(engine, *args, **kwargs)`` for a page read at ``source.meta.version``: on the read
    replica when it holds that version, else on the primary; a replica that fails during the
    read is set aside and the read is made again on the primary, so a page never shows the
    replica's error (nor a schema the replica has not replayed yet: any database error
    there sends the read to the primary, where a real error is the primary's)."""
    replica = read_url()
    if replica and replica != source.target.url:
        router = router_for(replica)
        if router.usable(source.meta.version):
            try:
                return fn(router.replica, *args, **kwargs)
            except DBAPIError as exc:
                router.failed(exc)
    return fn(source.engine, *args, **kwargs)


@st.cache_data(ttl="15m", max_entries=2000, show_spinner=False)
def _run(key: str, _fn: Callable[..., Any], _source: Source, _args: tuple, _kwargs: dict) -> Any:
    return read(_source, _fn, *_args, **_kwargs)


@dataclass(frozen=True)
class Source:
    """Which database, its engine and its dataset version: what every cache key needs."""

    target: DatabaseTarget
    engine: Engine
    meta: DatasetMeta

    @property
    def write_engine(self) -> Engine:
        """For audit events, drafts, model runs and imports (a writer role on PostgreSQL)."""
        url = write_url(self.target)
        return self.engine if url == self.target.url else engine_for(url)


def cached(ctx: Source, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(engine, *args, **kwargs)``, cached for every user with the same arguments."""
    key = repr(
        (
            fn.__module__,
            fn.__qualname__,
            ctx.target.url,
            ctx.meta.version,
            args,
            sorted(kwargs.items()),
        )
    )
    return _run(key, fn, ctx, args, kwargs)


# No TTL: the key is the function and its inputs, so a result can never be stale. When a
# query's 15-minute entry expires and the query returns the same frame, the statistics (a
# forecast: 13 model fits, about a second) are not recomputed; max_entries bounds the memory.
@st.cache_data(ttl=None, max_entries=500, show_spinner=False)
def _run_pure(fn_path: str, _fn: Callable[..., Any], *args: Any) -> Any:
    return _fn(*args)


# Built figures, per process and shared by every session (st.cache_resource: no copy, no
# pickling). Building a Plotly figure validates every property: 30–90 ms of a warm view for
# the overview's, the channel study's and the forecast's charts at national scale (issue 20),
# when their inputs — cached query results — had not changed. st.plotly_chart serialises a
# copy, and no page changes a figure after building it (tests/test_architecture.py).
@st.cache_resource(max_entries=300, show_spinner=False)
def _figure(fn_path: str, _fn: Callable[..., Any], *args: Any) -> Any:
    return _fn(*args)


def cached_figure(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` for a lib.charts figure built from cached (aggregated) inputs, kept built:
    the next view with the same inputs reuses it. Only for figures drawn as returned."""
    return _figure(f"{fn.__module__}.{fn.__qualname__}", fn, *args)


def cached_pure(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` for a pure lib.analysis (or lib.planning) function, cached on its
    (small, aggregated: never patron-level) inputs, so a rerun or a later visit that changes
    nothing relevant does not recompute statistics."""
    return _run_pure(f"{fn.__module__}.{fn.__qualname__}", fn, *args)
