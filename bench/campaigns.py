"""Time the campaign estimators on a synthetic panel of the national default campaign's size.

    python -m bench.campaigns [--units 60000] [--months 13] [--heterogeneity]

The panel has the shape and columns of ``lib.queries.campaigns.patron_panel`` for a targeted
campaign (REG-2026-03 at national scale: 60,000 sampled patrons x 13 months = 780,000 rows),
with a planted effect, so the estimators' cost can be measured without the national database
(which takes an hour to seed). Prints wall seconds and the peak resident memory of the
analysis (the panel's own memory included, as on the page).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import pandas as pd

from bench.pages import _reset_peak, _rss_mb
from lib.filters import add_months

START = dt.date(2026, 3, 1)


def synthetic_campaign() -> pd.Series:
    """A targeted campaign like REG-2026-03: four months from March 2026."""
    return pd.Series(
        {
            "id": 1,
            "code": "SIN-2026-03",
            "name": "Campaña sintética",
            "assignment": "dirigida",
            "start_month": START,
            "end_month": add_months(START, 3),
            "cost": 5_000_000.0,
        }
    )


def synthetic_panel(units: int = 60_000, months: int = 13, seed: int = 10) -> pd.DataFrame:
    """``units`` patrons x ``months`` months starting six months before START; half treated,
    on-time probability raised 6 pp while treated, overdue balance lowered accordingly."""
    rng = np.random.default_rng(seed)
    first = add_months(START, -6)
    month_list = [add_months(first, k) for k in range(months)]
    end = add_months(START, 3)
    unit = np.repeat(np.arange(1, units + 1), months)
    k = np.tile(np.arange(months), units)
    treated = (rng.random(units) < 0.5).astype(np.int64)[unit - 1]
    during = np.array([START <= m <= end for m in month_list])[k]
    base = rng.uniform(0.5, 0.9, units)[unit - 1]
    p = np.clip(base + 0.06 * treated * during, 0, 1)
    on_time = (rng.random(len(unit)) < p).astype(np.int64)
    issued = rng.gamma(2.0, 4_000.0, units)[unit - 1]
    paid_on_time = issued * on_time
    balance = rng.gamma(1.5, 20_000.0, units)[unit - 1] * (1 - 0.05 * treated * during)
    panel = pd.DataFrame(
        {
            "patron_id": unit,
            "month": np.array(month_list, dtype=object)[k],
            "treated": treated,
            "on_time": on_time,
            "issued": issued,
            "paid_on_time": paid_on_time,
            "paid": paid_on_time + issued * (1 - on_time) * 0.5,
            "overdue_balance": balance + rng.normal(0, 1_000, len(unit)),
            "size_band_id": np.array(["S1", "S2", "S3", "S4", "S5"])[
                rng.integers(0, 5, units)[unit - 1]
            ],
            "economic_division_id": rng.integers(0, 10, units)[unit - 1],
            "ooad_id": rng.integers(1, 36, units)[unit - 1],
        }
    )
    panel.attrs.update(units_total=units, treated_total=int(treated[::months].sum()), sampled=False)
    return panel


def main(argv: list[str] | None = None) -> int:
    from lib.analysis import campaign_report as R

    parser = argparse.ArgumentParser(prog="python -m bench.campaigns")
    parser.add_argument("--units", type=int, default=60_000)
    parser.add_argument("--months", type=int, default=13)
    parser.add_argument("--heterogeneity", action="store_true", help="also the 3 segments")
    args = parser.parse_args(argv)
    panel = synthetic_panel(args.units, args.months)
    campaign = synthetic_campaign()
    print(f"panel: {len(panel):,} filas, {panel['patron_id'].nunique():,} patrones")
    _reset_peak()
    started, cpu = time.perf_counter(), time.process_time()
    res = R.analyse(campaign, panel)
    e = res.effects["on_time"]
    print(
        f"analyse: {time.perf_counter() - started:.1f} s ({time.process_time() - cpu:.1f} s CPU), "
        f"pico {_rss_mb():.0f} MB; efecto {100 * e.effect:.2f} pp "
        f"(IC {100 * e.ci_low:.2f} a {100 * e.ci_high:.2f})"
    )
    if args.heterogeneity:
        started, cpu = time.perf_counter(), time.process_time()
        R.add_heterogeneity(res, panel, campaign)
        print(
            f"heterogeneidad (3 segmentos): {time.perf_counter() - started:.1f} s "
            f"({time.process_time() - cpu:.1f} s CPU), pico {_rss_mb():.0f} MB"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
