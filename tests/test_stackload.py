"""The load test's aggregation (bench/stackload.py): percentiles, warm/cold, grouping."""

from __future__ import annotations

import random

import pytest

from bench.stackload import TABS, Journey, LoadAccount, aggregate, mark_cold, percentile


def test_nearest_rank_percentile_of_known_samples():
    samples = [float(x) for x in range(1, 101)]  # 1..100
    random.Random(1).shuffle(samples)
    assert percentile(samples, 0.5) == 50
    assert percentile(samples, 0.95) == 95
    assert percentile(samples, 1.0) == 100
    assert percentile(samples, 0.0) == 1
    assert percentile([7.0], 0.95) == 7
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2  # nearest rank: ceil(0.5·4) = 2nd
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.95) == 4
    assert percentile([], 0.5) is None
    with pytest.raises(ValueError):
        percentile([1.0], 1.5)


def _visit(t, page, ms, server="app1", query="", scope="analista:*", error=None, step="open"):
    return {
        "client": "light",
        "t": t,
        "page": page,
        "ms": ms,
        "server": server,
        "query": query,
        "scope": scope,
        "error": error,
        "step": step,
    }


def test_first_view_per_server_and_scope_is_cold():
    visits = [
        _visit(2, "resumen", 100),
        _visit(1, "resumen", 900),  # asked for first: this one is cold
        _visit(3, "resumen", 800, server="app2"),  # another process: cold
        _visit(4, "resumen", 700, query="ooad=14"),  # another view: cold
        _visit(5, "resumen", 600, scope="oficina:14"),  # another scope: cold
        _visit(6, "resumen", 120, server="app2"),
    ]
    mark_cold(visits)
    assert [v["cold"] for v in visits] == [False, True, True, True, True, False]


def test_aggregate_per_page_with_errors_and_warm_figures():
    visits = [_visit(i, "canales", float(10 * (i + 1))) for i in range(20)]  # 10..200 ms
    visits.append(_visit(30, "canales", 5000.0, error="TimeoutError: x"))  # not in latencies
    visits.append(_visit(31, "resumen", 300.0, step="export"))
    mark_cold(visits)
    r = aggregate(visits)
    assert r["visits"] == 22 and r["errors"] == 1
    assert r["error_messages"] == ["TimeoutError: x"]
    canales = r["per_page"]["canales"]
    assert canales["visits"] == 21 and canales["errors"] == 1
    assert (canales["p50_ms"], canales["p95_ms"], canales["max_ms"]) == (100.0, 190.0, 200.0)
    # the first canales visit (10 ms) is the cold one; of 20..200 ms the 95th percentile is
    # the ceil(0.95 · 19) = 19th sample
    assert canales["warm"] == {"n": 19, "p50_ms": 110.0, "p95_ms": 200.0, "max_ms": 200.0}
    assert r["per_page"]["resumen"]["warm"]["n"] == 0
    assert set(r["per_step"]) == {"open", "export"}
    assert r["per_client"]["light"]["visits"] == 22


def test_journeys_export_once_and_stay_in_the_menu():
    office = LoadAccount("o", "oficina", 14)
    pages = ["resumen", "canales", "evaluacion", "quejas"]
    j = Journey(office, pages, random.Random(3))
    steps = [j.first()] + [j.next() for _ in range(300)]
    assert [s for s in steps if s[0] == "export"] == [("export", "evaluacion", "vista=Exportar")]
    assert {s[1] for s in steps} <= set(pages)
    filters = [s[2] for s in steps if s[0] == "filter"]
    assert filters and all(q.startswith("desde=") for q in filters)  # an office's OOAD is fixed
    for kind, page, query in steps:
        if kind == "tab":
            assert page in TABS and query.startswith("vista=")
    national = Journey(LoadAccount("a", "analista"), pages, random.Random(3))
    qs = [national.next()[2] for _ in range(200)]
    assert any(q.startswith("ooad=") for q in qs)
