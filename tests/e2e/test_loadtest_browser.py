"""The load test itself runs (two sessions on the tiny database), so it cannot rot."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from lib.loadtest import format_report, run_loadtest
from lib.ui.nav import SECTIONS


@pytest.mark.browser
def test_two_sessions_go_through_every_page(e2e_database_url, chromium_executable, tmp_path):  # noqa: ANN001
    # Its own thread: the load test drives Playwright's async API with asyncio.run, and the
    # other browser tests leave pytest-playwright's event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        report = pool.submit(
            run_loadtest,
            e2e_database_url,
            users=2,
            rounds=1,
            results=tmp_path,
            chromium=chromium_executable,
            warm=False,
        ).result()
    pages = [url for items in SECTIONS.values() for _, _, url, _ in items]
    assert report["visits"] == 2 * len(pages)
    assert report["errors"] == 0, report["error_messages"]
    assert list(report["per_page"]) == pages
    assert 0 < report["p50_ms"] <= report["p95_ms"] <= report["max_ms"]
    assert report["server_rss_mb"]["peak"] >= report["server_rss_mb"]["idle"] > 0
    assert (tmp_path / report["file"].rsplit("/", 1)[-1]).exists()
    assert "p95" in format_report(report)
