"""The benchmark runs end to end at tiny scale on both backends, so it cannot rot.

No timing thresholds: the figures are checked for being present, positive and consistent
(ratios are page / floor, every page of the navigation is measured, queries are attributed
to their lib.queries functions with the rows they returned, files are written).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from bench.pages import VIEWS, BenchOptions, format_table, nav_pages, run_bench, view_name
from lib.cli import main
from lib.db.engine import DEFAULT_SQLITE_PATH


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """A database the bench must seed itself: a new SQLite file or a new PostgreSQL database."""
    if request.param == "sqlite":
        return "sqlite", f"sqlite:///{tmp_path / 'bench.db'}"
    return "postgresql", request.getfixturevalue("pg_database_factory")()


def test_bench_measures_every_page_at_tiny_scale(empty_database, tmp_path):
    backend, url = empty_database
    app_file = DEFAULT_SQLITE_PATH  # the app's own demo file: the bench never touches it
    before = app_file.stat().st_mtime if app_file.exists() else None
    # training is the slow part (sklearn); it is measured on one backend only
    skip = frozenset({"model"}) if backend == "postgresql" else frozenset()
    results = tmp_path / "results"
    report = run_bench(
        BenchOptions(scale="tiny", database=url, results=results, repeat=1, seed=1, skip=skip),
        log=lambda _m: None,
    )

    assert report["dialect"] == backend
    seed = report["phases"]["seed"]
    assert seed["reused"] is False and seed["seconds"] > 0
    assert seed["rows"]["patron"] == 2000
    assert report["rows"]["patron"] > 0 and report["rows"]["interaction"] > 0
    refresh = report["phases"]["refresh"]
    assert refresh["seconds"] > 0 and refresh["rollup_rows"]["agg_interaction_month"] > 0
    # the refresh stores every campaign's result too, timed apart from the rollups
    assert refresh["rollup_rows"]["campaign_result"] == 3
    assert refresh["rollups_seconds"] > 0 and refresh["campaign_results_seconds"] > 0
    assert "skipped" in report["phases"]["import"]
    if "model" not in skip:
        assert report["phases"]["train"]["seconds"] > 0
        assert 0.5 < report["phases"]["train"]["roc_auc"] <= 1
        assert report["phases"]["score"]["patrons"] == report["rows"]["patron"]

    # every page of the menu, in menu order, each followed by its tabs measured on their own
    # (VIEWS), rendered without a problem
    expected = []
    for _, _, page_url in nav_pages():
        expected += [page_url] + [view_name(u, v) for u, v in VIEWS if u == page_url]
    assert [p["page"] for p in report["pages"]] == expected
    assert "programa›Pronóstico" in expected and "evaluacion›Oficinas" in expected
    for p in report["pages"]:
        assert p["problems"] == [], (p["page"], p["problems"])
        assert p["default_cold_ms"] > 0 and p["default_warm_ms"] > 0
        assert p["floor_warm_ms"] > 0
        # the report rounds the ratio to two decimals: a ratio of 0.17 may stand for 0.1749
        ratio = p["default_warm_ms"] / p["floor_warm_ms"]
        assert p["warm_ratio"] == pytest.approx(ratio, abs=0.005 + 1e-9)
        assert p["peak_rss_mb"] > 50
        assert p["statements_cold"] > 0 and p["sql_cold_ms"] > 0
    pages = {p["page"]: p for p in report["pages"]}
    assert (pages["resumen"]["metrics"], pages["resumen"]["charts"]) == (9, 1)
    assert pages["resumen"]["filter"].startswith("ooad=")
    assert pages["resumen"]["filter_cold_ms"] > 0
    assert pages["campanas"]["filter"].startswith("campana=")
    assert pages["datos"]["filter"] == "" and pages["datos"]["filter_cold_ms"] is None
    # the floor is drawn with each page's own element counts
    floors = {(f["metrics"], f["charts"], f["tables"]) for f in report["floor"]}
    assert {(p["metrics"], p["charts"], p["tables"]) for p in report["pages"]} == floors

    # each query is attributed to its function, with its statements and rows
    q = {
        (r["page"], r["view"], r["function"]): r
        for r in report["queries"]
        if r["page"] == "resumen"
    }
    monthly = q[("resumen", "default-cold", "queries.overview.monthly_indicators")]
    assert monthly["statements"] == 4 and monthly["calls"] == 1 and monthly["rows"] == 24
    # warm sessions hit the cache: the overview's queries do not run again
    assert ("resumen", "default-warm", "queries.overview.monthly_indicators") not in q

    # the files: JSON as returned, CSVs with one row per page / per query
    saved = json.loads(Path(report["files"]["json"]).read_text())
    assert saved["pages"] == json.loads(json.dumps(report["pages"]))
    with open(report["files"]["pages_csv"]) as fh:
        assert len(list(csv.DictReader(fh))) == len(report["pages"])
    with open(report["files"]["queries_csv"]) as fh:
        assert len(list(csv.DictReader(fh))) == len(report["queries"])
    table = format_table(report)
    assert all(p["page"] in table for p in report["pages"])
    assert all(isinstance(t["met"], bool) for t in report["targets"])

    # a second run reuses the database instead of seeding it again
    again = run_bench(
        BenchOptions(
            scale="tiny",
            database=url,
            results=results,
            skip=frozenset({"refresh", "model", "pages", "import"}),
        ),
        log=lambda _m: None,
    )
    assert again["phases"]["seed"]["reused"] is True and again["pages"] == []
    # the seeding child does not run the last measured page as its main script (it did, and
    # made the app's first start in data/)
    assert (app_file.stat().st_mtime if app_file.exists() else None) == before


def test_bench_command_rejects_an_unknown_phase(capsys):
    assert main(["bench", "--skip", "modelo"]) == 2
    assert "modelo" in capsys.readouterr().err
