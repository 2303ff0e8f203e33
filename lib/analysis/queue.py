"""Contact-centre measures from the queue-wait histogram: abandonment, service level, average
speed of answer and median/P90 waits, with 95 % intervals and plain verdicts.

Input: the small frame of lib.queries.channels.queue_waits, one row per channel and stored
wait (``wait_s``: the second, exact below lib.contact.EXACT_WAIT_S) with ``queued``,
``answered``, ``abandoned``, ``wait_seconds_sum`` and ``answered_wait_sum``. Definitions are
in lib/contact.py. Quantiles are the nearest-rank (inverted-CDF) ones: the smallest wait
such that at least q of the answered waited no longer, i.e. a wait somebody actually had —
``numpy.quantile(waits, q, method="inverted_cdf")`` on the raw rows gives the same second.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
from scipy import stats as sps

from lib.analysis import stats
from lib.contact import DEFAULT_SERVICE_SECONDS, EXACT_WAIT_S
from lib.format import fmt_p, fmt_pct
from lib.metrics import INDICATORS
from lib.metrics.measures import answered_within
from lib.metrics.registry import service_level

ALPHA = 0.05
MIN_N = 30  # below this many queued contacts a channel is not compared


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float | None:
    """Nearest-rank quantile of ``values`` repeated ``weights`` times (values sorted or not)."""
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    keep = weights > 0
    values, weights = values[keep], weights[keep]
    if weights.sum() <= 0:
        return None
    order = np.argsort(values, kind="stable")
    values, cum = values[order], np.cumsum(weights[order])
    i = int(np.searchsorted(cum, q * cum[-1] - 1e-9, side="left"))
    return float(values[min(i, len(values) - 1)])


def quantile_interval(
    values: np.ndarray, weights: np.ndarray, q: float, alpha: float = ALPHA
) -> tuple[float | None, float | None]:
    """Distribution-free interval for a quantile: the order statistics whose ranks bound
    the binomial(n, q) count at 1 − alpha (at least 1 − alpha coverage for a continuous
    variable; with tied seconds it is conservative)."""
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    n = int(weights.sum())
    if n < 2:
        return None, None
    lo_rank = int(sps.binom.ppf(alpha / 2, n, q))  # ranks 1..n
    hi_rank = int(sps.binom.ppf(1 - alpha / 2, n, q)) + 1
    order = np.argsort(values, kind="stable")
    v, cum = values[order], np.cumsum(weights[order])

    def at(rank: int) -> float:
        rank = min(max(rank, 1), n)
        return float(v[int(np.searchsorted(cum, rank, side="left"))])

    return at(lo_rank), at(hi_rank)


def queue_table(waits: pd.DataFrame, threshold_s: float = DEFAULT_SERVICE_SECONDS) -> pd.DataFrame:
    """Per channel with anyone queued: queued, answered, abandoned, abandonment and service
    level (answered within ``threshold_s`` among queued) with Wilson intervals, the average
    speed of answer with a t interval (its spread from the stored seconds, exact below
    EXACT_WAIT_S), and the median and P90 wait of the answered with order-statistic
    intervals. Shares are 0–1; times in seconds. Index = channel_id. Abandonment and the
    service level are the semantic layer's (lib/metrics), the latter at ``threshold_s``."""
    rows = []
    level = service_level(threshold_s)
    for channel, g in waits.groupby("channel_id", sort=False):
        queued, answered = float(g["queued"].sum()), float(g["answered"].sum())
        abandoned = float(g["abandoned"].sum())
        if queued <= 0:
            continue
        within = answered_within(g, threshold_s)
        sums = {"queued": queued, "abandoned": abandoned, "answered_within": within}
        ab = INDICATORS["abandonment"].estimate(sums)
        sl = level.estimate(sums)
        w, a = g["wait_s"].to_numpy(dtype=float), g["answered"].to_numpy(dtype=float)
        asa_sum = float(g["answered_wait_sum"].sum())
        asa = stats.mean_from_sums(asa_sum, float((a * w * w).sum()), answered)
        row = {
            "channel_id": channel,
            "queued": int(queued),
            "answered": int(answered),
            "abandoned": int(abandoned),
            "answered_within": int(within),
            "abandonment": ab.value,
            "abandonment_low": ab.low,
            "abandonment_high": ab.high,
            "service_level": sl.value,
            "service_level_low": sl.low,
            "service_level_high": sl.high,
            "asa": asa.value,
            "asa_low": asa.low,
            "asa_high": asa.high,
        }
        for name, q in (("median", 0.5), ("p90", 0.9)):
            row[f"wait_{name}"] = weighted_quantile(w, a, q)
            row[f"wait_{name}_low"], row[f"wait_{name}_high"] = quantile_interval(w, a, q)
        # beyond EXACT_WAIT_S waits are stored by the minute: such a quantile is a minute's start
        row["exact"] = bool(row["wait_p90"] is None or row["wait_p90"] < EXACT_WAIT_S)
        rows.append(row)
    columns = [
        "channel_id",
        "queued",
        "answered",
        "abandoned",
        "answered_within",
        "abandonment",
        "service_level",
        "asa",
        "wait_median",
        "wait_p90",
    ]
    if not rows:
        return pd.DataFrame(columns=columns).set_index("channel_id")
    return pd.DataFrame(rows).set_index("channel_id")


# the shares compared (indicators of lib/metrics, over the table's columns of the same
# names) → their Spanish label here
SHARES = {
    "abandonment": "abandono (abandonadas entre las que entraron a la cola)",
    "service_level": "nivel de servicio",
}


def pairwise(table: pd.DataFrame) -> pd.DataFrame:
    """Every pair of channels with at least MIN_N queued, on abandonment and service level:
    difference in pp, two-proportion p value, Holm-adjusted within each indicator. A channel
    that never recorded an abandoned contact is left out of the abandonment comparison: its
    source most likely does not record abandonment (a counter's queue), and calling it the
    best would say nothing."""
    out = []
    eligible = [c for c in table.index if table.loc[c, "queued"] >= MIN_N]
    for key in SHARES:
        ind = INDICATORS[key]  # the threshold changes the counts, not the ratio
        rows = []
        those = [c for c in eligible if key != "abandonment" or table.loc[c, "abandoned"] > 0]
        for a, b in itertools.combinations(those, 2):
            p = stats.two_proportion_test(*ind.terms(table.loc[a]), *ind.terms(table.loc[b]))
            diff = 100 * (table.loc[a, key] - table.loc[b, key])
            rows.append({"indicator": key, "a": a, "b": b, "diff": diff, "p": p})
        for r, p_adj in zip(rows, stats.adjust_pvalues([r["p"] for r in rows]), strict=True):
            r["p_adj"] = p_adj
            r["significant"] = p_adj is not None and p_adj < ALPHA
            r["better"] = None
            if r["significant"] and r["diff"]:
                r["better"] = r["a"] if (r["diff"] > 0) == ind.higher_is_better else r["b"]
            out.append(r)
    columns = ["indicator", "a", "b", "diff", "p", "p_adj", "significant", "better"]
    return pd.DataFrame(out, columns=columns)


def verdicts(table: pd.DataFrame, tests: pd.DataFrame, names: dict[str, str]) -> list[str]:
    """One Spanish sentence per indicator: the best queue, and whether it stands apart from
    every other (Holm-adjusted two-proportion tests), or which ones it cannot be told from."""
    out = []
    unrecorded = [c for c in table.index if table.loc[c, "abandoned"] == 0]
    for key, label in SHARES.items():
        higher = INDICATORS[key].higher_is_better
        t = tests[tests["indicator"] == key]
        if t.empty:
            continue
        channels = sorted(set(t["a"]) | set(t["b"]))
        values = table.loc[channels, key].astype(float)
        best = values.idxmax() if higher else values.idxmin()
        ties = [
            r["b"] if r["a"] == best else r["a"]
            for _, r in t[(t["a"] == best) | (t["b"] == best)].iterrows()
            if not r["significant"]
        ]
        head = f"**{label[0].upper()}{label[1:]}**: "
        if not ties:
            out.append(
                f"{head}{names.get(best, best)} es la mejor cola ({fmt_pct(values[best])}) y la "
                "diferencia con cada una de las demás es significativa."
            )
        else:
            group = [best, *ties]
            listed = ", ".join(f"{names.get(c, c)} ({fmt_pct(values[c])})" for c in group)
            both = "ambas" if len(group) == 2 else "ellas"
            out.append(f"{head}{listed} encabezan sin diferencia significativa entre {both}.")
        if key == "abandonment" and unrecorded:
            out[-1] += (
                " Sin abandono registrado, fuera de la comparación: "
                + ", ".join(names.get(c, c) for c in unrecorded)
                + "."
            )
    return out


def seconds(value: float | None) -> str:
    """«6 s», «2 min 11 s»: a wait as a contact-centre head reads it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    s = int(round(value))
    return f"{s} s" if s < 60 else f"{s // 60} min {s % 60:02d} s"


def readable(table: pd.DataFrame, names: dict[str, str], threshold_s: float) -> pd.DataFrame:
    """The queue table with Spanish headers, percentages 0–100 and seconds, for screen/Excel."""
    t = table.reset_index()
    pct = 100.0
    sl = f"Nivel de servicio ≤{threshold_s:g} s (%)"
    return pd.DataFrame(
        {
            "Canal": [names.get(c, c) for c in t["channel_id"]],
            "En cola": t["queued"].astype(int),
            "Atendidas": t["answered"].astype(int),
            "Abandonadas": t["abandoned"].astype(int),
            "Abandono (%)": t["abandonment"] * pct,
            "Abandono IC95 inf.": t["abandonment_low"] * pct,
            "Abandono IC95 sup.": t["abandonment_high"] * pct,
            sl: t["service_level"] * pct,
            "Nivel de servicio IC95 inf.": t["service_level_low"] * pct,
            "Nivel de servicio IC95 sup.": t["service_level_high"] * pct,
            "Velocidad de respuesta (s)": t["asa"],
            "Velocidad IC95 inf.": t["asa_low"],
            "Velocidad IC95 sup.": t["asa_high"],
            "Espera mediana (s)": t["wait_median"],
            "Mediana IC95 inf.": t["wait_median_low"],
            "Mediana IC95 sup.": t["wait_median_high"],
            "Espera P90 (s)": t["wait_p90"],
        }
    )


def readable_tests(tests: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Indicador": [SHARES[k] for k in tests["indicator"]],
            "Canal A": [names.get(c, c) for c in tests["a"]],
            "Canal B": [names.get(c, c) for c in tests["b"]],
            "Diferencia A − B (pp)": tests["diff"],
            "p ajustada (Holm)": tests["p_adj"],
            "Significativa": ["sí" if s else "no" for s in tests["significant"]],
        }
    )


def noise_sentences(tests: pd.DataFrame, table: pd.DataFrame, names: dict[str, str]) -> list[str]:
    return [
        f"{names.get(r['a'], r['a'])} y {names.get(r['b'], r['b'])} en {SHARES[r['indicator']]}"
        f" ({fmt_pct(table.loc[r['a'], r['indicator']])} frente a "
        f"{fmt_pct(table.loc[r['b'], r['indicator']])}; "
        f"{fmt_p(r['p_adj'], 2).replace('p ', 'p ajustada ', 1)})"
        for _, r in tests.iterrows()
        if not r["significant"]
    ]


__all__ = [
    "noise_sentences",
    "pairwise",
    "queue_table",
    "quantile_interval",
    "readable",
    "readable_tests",
    "seconds",
    "verdicts",
    "weighted_quantile",
]
