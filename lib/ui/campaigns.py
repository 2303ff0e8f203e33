"""Campaign results as the pages read them: what the last refresh stored, else the same
analysis computed now and cached. The campaign page and the work program both come through
here, so they show the same figures for a campaign."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib.analysis import campaign_report as R
from lib.queries import campaigns as q
from lib.refresh import campaign_result_now
from lib.ui.context import Source, query
from lib.ui.data import read


@st.cache_data(ttl="30m", show_spinner=False, max_entries=64)
def _computed_now(key: str, _source: Source, campaign: pd.Series) -> R.CampaignResult | str:
    # the Spanish reason is cached too: a campaign that cannot be estimated is not retried on
    # every rerun of a page that lists every campaign
    try:
        return read(_source, campaign_result_now, campaign)
    except ValueError as exc:
        return str(exc)


def stored_results(
    ctx: Source, campaign_id: int | None = None
) -> dict[int, R.CampaignResult | str]:
    """Campaign id → the stored result, or the Spanish reason it could not be estimated (one
    query, cached by dataset version). Absent: not analysed by the last refresh, or stored in
    an older format."""
    rows = query(ctx, q.stored_results, campaign_id)
    out = {cid: R.from_stored(row) for cid, row in rows.items()}
    return {cid: got for cid, got in out.items() if got is not None}


def campaign_result(
    ctx: Source, campaign: pd.Series, known: dict[int, R.CampaignResult | str]
) -> tuple[R.CampaignResult, bool]:
    """(result, computed now): the stored result from ``known``, else the analysis computed
    now and cached per campaign for 30 minutes (a database not refreshed since the campaign
    results were added, or a campaign added since the last refresh). Raises ValueError with
    the Spanish reason when the campaign cannot be estimated."""
    got = known.get(campaign["id"])
    live = got is None
    if got is None:
        key = repr((ctx.target.url, ctx.meta.version, int(campaign["id"])))
        got = _computed_now(key, ctx, campaign)
    if isinstance(got, str):
        raise ValueError(got)
    return got, live
