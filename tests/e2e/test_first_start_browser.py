"""The newcomer's first start, in Chromium (issue 20, first figures fast): a fresh clone with
no data/ shows the overview's figures from the small institute with a banner and the
progress of the full one, then the full demo institute moves in and the banner goes, with no
error on the page. How long each step takes is measured by ``python -m bench.first_start``
(docs/performance.md), not asserted here. The clone is of the committed HEAD."""

from __future__ import annotations

import pytest

from bench.first_start import measure


@pytest.mark.browser
def test_first_start_shows_figures_then_grows_to_the_demo(tmp_path, browser):
    run = measure(tmp_path, wait_growth=True, growth_timeout_s=900, browser=browser)
    assert run.banner_seen, "el primer arranque no mostró el aviso del instituto reducido"
    assert run.grown_s is not None and run.grown_s > run.first_kpis_s
    assert run.errors == []
