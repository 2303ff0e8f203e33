"""The channel comparison study: indicators with intervals, pairwise tests, plain verdicts and
the cost of moving procedures between channels.

Inputs are the small frames of lib.queries.channels (sums per channel, minute histograms,
contacts per procedure and channel). Rates are compared with two-proportion tests, NPS with
the multinomial variance, times with a rank test on the histograms; p values are Holm-adjusted
within each indicator (15 pairs of channels), so "significant" holds for the whole table.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.analysis import stats
from lib.db.rollups import TIME_BIN_EDGES
from lib.format import fmt_num, fmt_p, fmt_pct
from lib.metrics import INDICATORS as METRICS
from lib.metrics.measures import digital_sums

ALPHA = 0.05
MIN_N = 30  # below this many observations a channel is not compared


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    higher_is_better: bool
    kind: str  # share | nps | minutes
    verdict: bool = True  # handling time is tested but not ranked: shorter is not "better"


INDICATORS = (
    Indicator("fcr", "resolución al primer contacto", True, "share"),
    # tested, not ranked: big employers contact more often and prefer some channels, so a
    # pooled repeat rate mostly reflects who uses the channel (Simpson's paradox)
    Indicator("repeat", "recontacto en 30 días", False, "share", verdict=False),
    Indicator("csat", "satisfacción (% que califica 4 o 5)", True, "share"),
    Indicator("nps", "NPS", True, "nps"),
    Indicator("wait", "tiempo de espera (mediana)", False, "minutes"),
    Indicator("handle", "tiempo de atención (mediana)", False, "minutes", verdict=False),
)
INDICATOR = {i.key: i for i in INDICATORS}


# the comparison's shares → the semantic layer's indicator (lib/metrics) each one is
_SHARES = {"fcr": "fcr", "repeat": "repeat_30d", "csat": "csat"}


def _censored(sums: pd.Series) -> pd.Series:
    """A channel's sums for the recontact rate, which here leaves out the censored last month
    (lib/queries/channels.py): ``repeat_30d`` is already counted so, and ``repeat_base`` is
    the indicator's denominator ``followable`` counted so."""
    return sums.rename({"repeat_base": "followable"})


def _share_sums(key: str, sums: pd.Series) -> pd.Series:
    """The sums the comparison's share ``key`` is evaluated on."""
    return _censored(sums) if key == "repeat" else sums


def _histogram(hist: pd.DataFrame, channel: str, measure: str) -> np.ndarray:
    counts = np.zeros(len(TIME_BIN_EDGES) - 1)
    rows = hist[(hist["channel_id"] == channel) & (hist["measure"] == measure)]
    counts[rows["bin"].to_numpy(dtype=int)] = rows["contacts"].to_numpy(dtype=float)
    return counts


def _ratio(num: float, den: float) -> float:
    """num / den, NaN (no data, shown «—») when nothing is in the denominator."""
    return num / den if den > 0 else math.nan


def _value(key: str, sums: pd.Series) -> float:
    """The semantic layer's indicator ``key`` over one channel's sums, NaN without data."""
    value = METRICS[key].value(sums)
    return math.nan if value is None else value


def channel_table(sums: pd.DataFrame, hist: pd.DataFrame, n_months: int) -> pd.DataFrame:
    """Per channel: volume, patrons, costs, rates and scores with 95 % intervals, time
    percentiles. Index = channel_id, in catalog order."""
    edges = np.asarray(TIME_BIN_EDGES, dtype=float)
    total = sums["contacts"].sum()
    rows = []
    for _, r in sums.iterrows():
        row = {
            "channel_id": r["channel_id"],
            "channel": r["channel"],
            "is_digital": r["is_digital"],
            "contacts": r["contacts"],
            "share": r["contacts"] / total if total else None,
            "patrons_per_month": r["patrons_month_sum"] / n_months if n_months else None,
            # over the contacts whose cost is recorded (0012: a call log records none)
            "cost_per_contact": _value("cost_per_contact", r),
            # cost per contact ÷ FCR, each over its own known population: the cost of all
            # contacts over the resolved among those with a recorded resolution mixes two
            "cost_per_resolved": _ratio(
                _value("cost_per_contact", r),
                _value("fcr", r),
            ),
            "responses": r["responses"],
        }
        # the semantic layer's value and interval (lib/metrics); the recontact rate over the
        # sums without the censored last month
        for key, est in (
            *(
                (key, METRICS[metric].estimate(_share_sums(key, r)))
                for key, metric in _SHARES.items()
            ),
            ("csat_mean", METRICS["csat_mean"].estimate(r)),
            ("nps", METRICS["nps"].estimate(r)),
        ):
            row.update({key: est.value, f"{key}_low": est.low, f"{key}_high": est.high})
        for measure in ("wait", "handle"):
            counts = _histogram(hist, r["channel_id"], measure)
            # a channel where no time was recorded (self-service: en línea, buzón, impresos
            # never queue) has no queue to compare, rather than the best one; the histograms
            # hold only recorded times, zero waits of queued contacts included
            row[f"{measure}_recorded"] = bool(counts.sum() > 0)
            row[f"{measure}_median"] = stats.binned_quantile(edges, counts, 0.5)
            row[f"{measure}_p90"] = stats.binned_quantile(edges, counts, 0.9)
        rows.append(row)
    return pd.DataFrame(rows).set_index("channel_id")


def pairwise_tests(sums: pd.DataFrame, hist: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Every pair of channels on every indicator: difference, p value, Holm-adjusted p value,
    significant or not, and which channel is better when it is."""
    by_id = sums.set_index("channel_id")
    out = []
    for ind in INDICATORS:
        rows = []
        for a, b in itertools.combinations(by_id.index, 2):
            ra, rb = by_id.loc[a], by_id.loc[b]
            p = diff = None
            if ind.key in _SHARES:
                metric = METRICS[_SHARES[ind.key]]
                (xa, na), (xb, nb) = (metric.terms(_share_sums(ind.key, r)) for r in (ra, rb))
                if min(na, nb) >= MIN_N:
                    # the shares of the table: the semantic layer's values
                    diff = 100 * (table.loc[a, ind.key] - table.loc[b, ind.key])
                    p = stats.two_proportion_test(xa, na, xb, nb)
            elif ind.key == "nps":
                if min(ra["responses"], rb["responses"]) >= MIN_N:
                    diff = table.loc[a, "nps"] - table.loc[b, "nps"]
                    p = stats.nps_test(
                        *(ra[k] for k in ("nps_promoters", "nps_detractors", "responses")),
                        *(rb[k] for k in ("nps_promoters", "nps_detractors", "responses")),
                    )
            else:
                ca, cb = _histogram(hist, a, ind.key), _histogram(hist, b, ind.key)
                if min(ca.sum(), cb.sum()) >= MIN_N:
                    prob, p = stats.binned_rank_test(ca, cb)
                    diff = table.loc[a, f"{ind.key}_median"] - table.loc[b, f"{ind.key}_median"]
            rows.append({"indicator": ind.key, "a": a, "b": b, "diff": diff, "p": p})
        adjusted = stats.adjust_pvalues([r["p"] for r in rows])
        for r, p_adj in zip(rows, adjusted, strict=True):
            r["p_adj"] = p_adj
            r["significant"] = p_adj is not None and p_adj < ALPHA
            better = None
            if r["significant"] and r["diff"]:
                a_higher = r["diff"] > 0
                better = r["a"] if a_higher == ind.higher_is_better else r["b"]
            elif r["significant"] and ind.kind == "minutes":  # equal medians, shifted tails
                ca, cb = _histogram(hist, r["a"], ind.key), _histogram(hist, r["b"], ind.key)
                prob = stats.binned_rank_test(ca, cb)[0]
                assert prob is not None  # significant: both samples were tested
                a_higher = prob > 0.5
                better = r["a"] if a_higher == ind.higher_is_better else r["b"]
            r["better"] = better
            out.append(r)
    columns = ["indicator", "a", "b", "diff", "p", "p_adj", "significant", "better"]
    return pd.DataFrame(out, columns=columns)


def _fmt(ind: Indicator, table: pd.DataFrame, ch: str) -> str:
    if ind.kind == "share":
        return fmt_pct(table.loc[ch, ind.key])
    if ind.kind == "nps":
        return fmt_num(table.loc[ch, "nps"])
    return f"{fmt_num(table.loc[ch, f'{ind.key}_median'])} min"


def verdicts(table: pd.DataFrame, tests: pd.DataFrame) -> list[dict]:
    """Per indicator: the best channel, whether it stands apart, and the pairs that are noise.

    Each item: indicator, best, clear (significantly better than every other channel),
    ties (channels not distinguishable from the best), sentence, noise (sentences). A time
    indicator ranks only the channels where some time was recorded: a channel where nobody
    waits has no queue, and calling it the fastest would say nothing.
    """
    names = table["channel"].to_dict()
    out = []
    for ind in INDICATORS:
        t = tests[(tests["indicator"] == ind.key) & tests["p_adj"].notna()]
        if t.empty or not ind.verdict:
            continue
        col = ind.key if ind.kind != "minutes" else f"{ind.key}_median"
        channels = sorted(set(t["a"]) | set(t["b"]))
        untimed = []  # minutes: channels with none recorded stay out of the ranking
        if ind.kind == "minutes":
            # every channel with contacts and no time recorded: such a channel has no
            # histogram, so it is in no test, but it is named apart rather than left unsaid
            untimed = sorted(
                c
                for c in table.index
                if table.loc[c, "contacts"] > 0 and not table.loc[c, f"{ind.key}_recorded"]
            )
            t = t[~t["a"].isin(untimed) & ~t["b"].isin(untimed)]
            if t.empty:
                continue
            channels = sorted(set(t["a"]) | set(t["b"]))
        values = table.loc[channels, col].astype(float)
        best = values.idxmax() if ind.higher_is_better else values.idxmin()
        involving = t[(t["a"] == best) | (t["b"] == best)]
        ties = [
            r["b"] if r["a"] == best else r["a"]
            for _, r in involving.iterrows()
            if not r["significant"]
        ]
        clear = not ties
        head = f"**{ind.label[0].upper()}{ind.label[1:]}**: "
        if clear:
            sentence = (
                f"{head}{names[best]} es el mejor canal ({_fmt(ind, table, best)}) y la "
                "diferencia con cada uno de los demás es significativa."
            )
        else:
            group = [best, *sorted(ties, key=lambda c: values[c], reverse=ind.higher_is_better)]
            listed = _join([f"{names[c]} ({_fmt(ind, table, c)})" for c in group])
            sentence = (
                f"{head}{listed} encabezan sin diferencia significativa entre "
                f"{'ambos' if len(group) == 2 else 'ellos'}."
            )
        if untimed:
            sentence += (
                f" Sin {ind.label.split(' (')[0]} registrado, fuera de la comparación: "
                f"{_join([names[c] for c in untimed])}."
            )
        noise = [
            f"{names[r['a']]} y {names[r['b']]} en {ind.label} "
            f"({_fmt(ind, table, r['a'])} frente a {_fmt(ind, table, r['b'])}; "
            f"{fmt_p(r['p_adj'], 2).replace('p ', 'p ajustada ', 1)})"
            for _, r in t.iterrows()
            if not r["significant"]
        ]
        out.append(
            {
                "indicator": ind.key,
                "best": best,
                "clear": clear,
                "ties": ties,
                "sentence": sentence,
                "noise": noise,
            }
        )
    return out


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " y " + items[-1]


def shift_savings(
    proc: pd.DataFrame,
    procedure_id: str,
    from_channel: str,
    to_channel: str,
    share: float,
    n_months: int,
) -> dict:
    """What-if: move ``share`` of procedure P's contacts from channel A to channel B.

    Assumptions (stated on the page): each moved contact costs what that procedure costs on
    the target channel today (the channel's average cost if the procedure is not done there
    yet) and resolves at the target channel's rate for that procedure (among contacts whose
    resolution is recorded); volume is unchanged.
    """
    if not 0 <= share <= 1:
        raise ValueError("La proporción a mover debe estar entre 0 y 1")
    if from_channel == to_channel:
        raise ValueError("El canal de origen y el de destino son el mismo")

    def unit(channel: str) -> tuple[float, float, bool]:
        rows = proc[(proc["procedure_id"] == procedure_id) & (proc["channel_id"] == channel)]
        if rows["contacts"].sum() > 0:
            r = rows.iloc[0]
            return _value("cost_per_contact", r), _value("fcr", r), True
        allc = proc[proc["channel_id"] == channel]
        n = allc["contacts"].sum()
        if n == 0:
            raise ValueError("No hay contactos en el canal de destino para estimar su costo")
        sums = allc.sum(numeric_only=True)
        return _value("cost_per_contact", sums), _value("fcr", sums), False

    src = proc[(proc["procedure_id"] == procedure_id) & (proc["channel_id"] == from_channel)]
    contacts = float(src["contacts"].sum())
    if contacts == 0:
        raise ValueError("Ese trámite no tiene contactos en el canal de origen en el periodo")
    cost_a, fcr_a, _ = unit(from_channel)
    cost_b, fcr_b, observed_b = unit(to_channel)
    moved = share * contacts
    savings = moved * (cost_a - cost_b)
    return {
        "contacts": contacts,
        "moved": moved,
        "unit_cost_from": cost_a,
        "unit_cost_to": cost_b,
        "target_cost_observed": observed_b,
        "savings": savings,
        "savings_per_year": savings * 12 / n_months if n_months else None,
        # None when either channel records no resolution for it: no data, not "no change"
        "resolved_change": None if math.isnan(fcr_b - fcr_a) else moved * (fcr_b - fcr_a),
    }


def online_candidates(proc: pd.DataFrame, share: float = 0.5) -> pd.DataFrame:
    """Procedures that can be done online but are still done in person, with the saving of
    moving ``share`` of the in-person contacts to servicios en línea."""
    rows = []
    for pid, g in proc.groupby("procedure_id"):
        if not g["online_capable"].iloc[0]:
            continue
        person = g[g["channel_id"].isin(["ventanilla", "asistencia"])]
        n_person = person["contacts"].sum()
        if n_person == 0:
            continue
        online = g[g["channel_id"] == "en_linea"]
        allo = proc[proc["channel_id"] == "en_linea"]
        # unit costs over the contacts whose cost is recorded
        if online["cost_known"].sum() > 0:
            unit_online = _value("cost_per_contact", online.sum(numeric_only=True))
        elif allo["cost_known"].sum() > 0:
            unit_online = _value("cost_per_contact", allo.sum(numeric_only=True))
        else:
            continue  # no online cost recorded at all: nothing to compare with
        unit_person = _value("cost_per_contact", person.sum(numeric_only=True))
        if math.isnan(unit_person):
            continue  # no in-person cost recorded: no saving to estimate
        rows.append(
            {
                "procedure_id": pid,
                "procedure": g["procedure"].iloc[0],
                "contacts": g["contacts"].sum(),
                "in_person": n_person,
                "in_person_share": n_person / g["contacts"].sum(),
                "unit_cost_in_person": unit_person,
                "unit_cost_online": unit_online,
                "savings": share * n_person * (unit_person - unit_online),
            }
        )
    out = pd.DataFrame(rows)
    return out.sort_values("savings", ascending=False).reset_index(drop=True) if len(out) else out


def digital_share_by(frame: pd.DataFrame, key: str, label: str) -> pd.DataFrame:
    """Digital share of contacts per value of ``key`` (a segment or an office)."""
    out = digital_sums(frame, [key, label])
    out["digital_share"] = METRICS["digital_share"].values(out)
    return out.sort_values("digital_share", ascending=False).reset_index(drop=True)


# On screen the readable table starts with what a reader compares channels on (issue 17: at
# 1440 px resolution, CSAT and NPS were past the right edge), under short headers; the Excel
# sheet keeps the full names in the original order.
KEY_COLUMNS = (
    "Canal",
    "Resolución 1er contacto (%)",
    "Satisfechos (%)",
    "CSAT promedio (1-5)",
    "NPS",
    "Espera mediana (min)",
    "Contactos",
    "Costo por caso resuelto (MXN)",
)
SHORT_HEADERS = {
    "Resolución 1er contacto (%)": "Resolución %",
    "Satisfechos (%)": "Satisfechos %",
    "CSAT promedio (1-5)": "CSAT",
    "Espera mediana (min)": "Espera min",
    "Costo por caso resuelto (MXN)": "$ por resuelto",
    "Participación (%)": "Participación %",
    "Patrones atendidos al mes": "Patrones/mes",
    "Costo por contacto (MXN)": "$ por contacto",
    "Resolución IC95 inf.": "Resol. IC inf.",
    "Resolución IC95 sup.": "Resol. IC sup.",
    "Recontacto 30 días (%)": "Recontacto %",
    "Recontacto IC95 inf.": "Recont. IC inf.",
    "Recontacto IC95 sup.": "Recont. IC sup.",
    "Satisfechos IC95 inf.": "Satisf. IC inf.",
    "Satisfechos IC95 sup.": "Satisf. IC sup.",
    "Espera p90 (min)": "Espera p90",
    "Atención mediana (min)": "Atención min",
    "Atención p90 (min)": "Atención p90",
}


def readable_table(table: pd.DataFrame) -> pd.DataFrame:
    """The per-channel table with Spanish headers and percentages as 0-100, for screen and Excel."""
    t = table.reset_index()
    num = t.columns.difference(["channel_id", "channel", "is_digital"])
    t[num] = t[num].apply(pd.to_numeric, errors="coerce")  # None (no data) -> NaN, shown blank
    pct = 100.0
    return pd.DataFrame(
        {
            "Canal": t["channel"],
            "Contactos": t["contacts"].astype(int),
            "Participación (%)": t["share"] * pct,
            "Patrones atendidos al mes": t["patrons_per_month"],
            "Costo por contacto (MXN)": t["cost_per_contact"],
            "Costo por caso resuelto (MXN)": t["cost_per_resolved"],
            "Resolución 1er contacto (%)": t["fcr"] * pct,
            "Resolución IC95 inf.": t["fcr_low"] * pct,
            "Resolución IC95 sup.": t["fcr_high"] * pct,
            "Recontacto 30 días (%)": t["repeat"] * pct,
            "Recontacto IC95 inf.": t["repeat_low"] * pct,
            "Recontacto IC95 sup.": t["repeat_high"] * pct,
            "Encuestas": t["responses"].astype(int),
            "Satisfechos (%)": t["csat"] * pct,
            "Satisfechos IC95 inf.": t["csat_low"] * pct,
            "Satisfechos IC95 sup.": t["csat_high"] * pct,
            "CSAT promedio (1-5)": t["csat_mean"],
            "NPS": t["nps"],
            "NPS IC95 inf.": t["nps_low"],
            "NPS IC95 sup.": t["nps_high"],
            # a channel where no time was recorded has no queue: "—", not a 0.0 that reads
            # as an instant answer (the verdicts above leave it out for the same reason)
            "Espera mediana (min)": t["wait_median"].where(t["wait_recorded"]),
            "Espera p90 (min)": t["wait_p90"].where(t["wait_recorded"]),
            "Atención mediana (min)": t["handle_median"].where(t["handle_recorded"]),
            "Atención p90 (min)": t["handle_p90"].where(t["handle_recorded"]),
        }
    )


def readable_tests(tests: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Indicador": tests["indicator"].map(lambda k: INDICATOR[k].label),
            "Canal A": tests["a"].map(names),
            "Canal B": tests["b"].map(names),
            "Diferencia A - B": tests["diff"],
            "p": tests["p"],
            "p ajustada (Holm)": tests["p_adj"],
            "Significativa": tests["significant"].map({True: "sí", False: "no"}),
            "Mejor": [
                names.get(c, "") if c and INDICATOR[k].verdict else ""
                for c, k in zip(tests["better"], tests["indicator"], strict=True)
            ],
        }
    )


def readable_candidates(cand: pd.DataFrame) -> pd.DataFrame:
    if cand.empty:
        return cand
    return pd.DataFrame(
        {
            "Trámite": cand["procedure"],
            "Contactos": cand["contacts"],
            "En persona": cand["in_person"],
            "En persona (%)": 100 * cand["in_person_share"],
            "Costo en persona (MXN)": cand["unit_cost_in_person"],
            "Costo en línea (MXN)": cand["unit_cost_online"],
            "Ahorro si la mitad pasa a línea (MXN)": cand["savings"],
        }
    )


def readable_procedures(proc: pd.DataFrame) -> pd.DataFrame:
    totals = proc.groupby("procedure_id")["contacts"].transform("sum")
    return pd.DataFrame(
        {
            "Trámite": proc["procedure"],
            "Se puede en línea": proc["online_capable"].map({True: "sí", False: "no"}),
            "Canal": proc["channel"],
            "Contactos": proc["contacts"],
            "Parte del trámite (%)": 100 * proc["contacts"] / totals,
            "Costo total (MXN)": proc["cost_sum"],
            "Costo por contacto (MXN)": METRICS["cost_per_contact"].values(proc),
            "Resolución 1er contacto (%)": 100 * METRICS["fcr"].values(proc),
        }
    )
