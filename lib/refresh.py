"""Everything ``python -m lib refresh`` rebuilds, in the caller's transaction: the rollups,
then every campaign's analysis (``campaign_result``).

Both are written in one transaction so a reader never sees rollups of one load and campaign
results of another; the campaign results come last because the analysis of campaigns without
a control group reads a rollup (``agg_collection_unit_month``). Seeding, imports, the command
line and the benchmark all refresh through :func:`refresh_all`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Collection

import pandas as pd
from sqlalchemy import Connection, Engine, delete, insert

from lib.analysis import campaign_report as R
from lib.analysis.campaign_designs import method_for
from lib.db.rollups import refresh_rollups
from lib.db.schema import CampaignResult
from lib.queries import campaigns as q

Progress = Callable[[float, str], object]  # its return is ignored (st.progress returns the bar)
# What a campaign's analysis reads (lib.queries.campaigns: the patron panel, and the office
# panel from agg_collection_unit_month, itself built from collection and patrons). A load of
# any other table (contacts, surveys, complaints, orientations) cannot change a result.
CAMPAIGN_SOURCES = frozenset(
    {
        "campaign",
        "campaign_assignment",
        "collection_monthly",
        "patron",
        "subdelegacion",
        "ooad",
        "size_band",
        "economic_division",
    }
)
ROLLUP_SHARE = 0.9  # of the progress bar: the rollups scan the fact tables, most of the time


def analyse_campaign(
    bind: Engine | Connection, campaign: pd.Series
) -> tuple[R.CampaignResult, pd.DataFrame]:
    """The campaign's panel from the database and its analysis: what the page shows, computed
    the same way whether stored by the refresh or computed live. Raises ValueError (Spanish)
    when the campaign cannot be estimated."""
    first, last = q.campaign_window(
        campaign["start_month"], campaign["end_month"], R.EVENT_MONTHS_BEFORE, 3
    )
    if method_for(campaign["assignment"]).panel == "office":
        panel = q.office_panel(bind, campaign["id"], first, last)
        return R.analyse_without_control(campaign, panel), panel
    panel = q.patron_panel(bind, campaign["id"], first, last)
    return R.analyse(campaign, panel), panel


def campaign_result_now(bind: Engine | Connection, campaign: pd.Series) -> R.CampaignResult:
    """What the refresh stores for a campaign, computed now: the analysis with every segment's
    heterogeneity, the panel released before returning (a reader of the result never holds a
    panel of up to a million rows). Raises ValueError (Spanish) like :func:`analyse_campaign`."""
    res, panel = analyse_campaign(bind, campaign)
    R.add_heterogeneity(res, panel, campaign)
    return res


def refresh_campaign_results(conn: Connection, progress: Progress | None = None) -> int:
    """Replace every campaign's stored result; returns the number of campaigns stored.

    A campaign that cannot be estimated is stored with its message (the page shows it as the
    live computation would); an unexpected error is stored the same way rather than abort
    the refresh of every rollup. Each panel is released before the next is built, so memory is
    one campaign's panel at a time (about 0.8 M rows at national scale)."""
    catalog = q.campaign_catalog(conn)
    conn.execute(delete(CampaignResult))
    for i, (_, campaign) in enumerate(catalog.iterrows()):
        if progress:
            progress(i / max(len(catalog), 1), f"Analizando la campaña {campaign['code']}")
        campaign = campaign.copy()
        campaign["id"] = int(campaign["id"])
        started = time.perf_counter()
        result, error = None, None
        try:
            result = R.to_json(campaign_result_now(conn, campaign))
        except ValueError as exc:  # the estimators' Spanish explanation, shown as is
            error = str(exc)
        except Exception as exc:
            error = f"error inesperado al analizarla ({type(exc).__name__}: {exc})"
        conn.execute(
            insert(CampaignResult).values(
                campaign_id=campaign["id"],
                computed_at=dt.datetime.now().replace(microsecond=0),
                seconds=round(time.perf_counter() - started, 3),
                result=result,
                error=error,
            )
        )
    if progress:
        progress(1.0, "Resultados de campañas listos")
    return len(catalog)


def refresh_all(
    conn: Connection,
    progress: Progress | None = None,
    seconds: dict[str, float] | None = None,
    since: dt.date | None = None,
    changed: Collection[str] | None = None,
) -> dict[str, int]:
    """Rollups, then campaign results, in ``conn``'s transaction. Returns rows per table
    (the rollups' and, when recomputed, ``campaign_result``'s); ``seconds``, when given,
    receives the time of each part (``rollups``, ``campaign_results``) for the benchmark.
    ``since``: only the rollup months a load from that month on can change
    (lib.db.rollups.refresh_rollups). ``changed``: the tables a load changed (``dataset_info``
    for a new as-of date); only the rollups that read one of them are rebuilt, and campaign
    results are recomputed whole (a campaign's panel spans months) unless none of them is
    among ``CAMPAIGN_SOURCES``, and left as stored then."""

    def part(start: float, share: float) -> Progress | None:
        if progress is None:
            return None
        return lambda f, m: progress(start + share * f, m)

    started = time.perf_counter()
    counts = refresh_rollups(conn, part(0.0, ROLLUP_SHARE), since=since, changed=changed)
    rollups_s = time.perf_counter() - started
    started = time.perf_counter()
    if changed is None or CAMPAIGN_SOURCES.intersection(changed):
        counts[CampaignResult.__tablename__] = refresh_campaign_results(
            conn, part(ROLLUP_SHARE, 1 - ROLLUP_SHARE)
        )
    if seconds is not None:
        seconds["rollups"] = round(rollups_s, 2)
        seconds["campaign_results"] = round(time.perf_counter() - started, 2)
    return counts
