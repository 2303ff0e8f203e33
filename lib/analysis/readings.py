"""One-line readings under charts and lists, generated from the numbers (no invented text)."""

from __future__ import annotations

import pandas as pd

from lib.format import fmt_int, fmt_pct, fmt_signed, month_label
from lib.metrics import INDICATORS
from lib.metrics.measures import digital_sums


def _leaders(totals: pd.Series) -> str:
    """'Ventanilla única concentra 55%', or, when channels tie at the top (as shown, to the
    whole percent), 'Ventanilla única y Servicios en línea concentran 50% cada uno'."""
    shares = totals / totals.sum()
    shown = shares.map(lambda v: fmt_pct(v, 0))
    top = shares.sort_values(ascending=False, kind="stable")
    tied = [name for name in top.index if shown[name] == shown[top.index[0]]]
    if len(tied) == 1:
        return f"{tied[0]} concentra {shown[tied[0]]} de los contactos"
    return f"{_join(tied)} concentran {shown[tied[0]]} de los contactos cada uno"


def digital_share_reading(by_channel: pd.DataFrame) -> str:
    """How the digital share moved from the first to the last month shown. True on
    degenerate input: no contacts at all, a single month with contacts, an unchanged share,
    channels tied at the top."""
    totals = by_channel.groupby("month")["contacts"].sum() if len(by_channel) else None
    if totals is None or totals.sum() <= 0:
        return "Sin contactos en el periodo y alcance elegidos."
    monthly = digital_sums(by_channel, ["month"]).set_index("month")
    share = INDICATORS["digital_share"].values(monthly).dropna()
    first, last = share.index.min(), share.index.max()
    lead = _leaders(by_channel.groupby("channel")["contacts"].sum())
    if first == last:
        return f"{lead}; la participación digital fue {fmt_pct(share.iloc[0])} en {month_label(first)}."
    delta = 100 * (share.loc[last] - share.loc[first])
    if fmt_signed(delta, "pp") == fmt_signed(0.0, "pp"):  # no change at the shown precision
        return (
            f"{lead}. La participación digital se mantuvo en {fmt_pct(share.loc[last])} entre "
            f"{month_label(first)} y {month_label(last)}."
        )
    verb = "subió" if delta > 0 else "bajó"
    return (
        f"{lead}. La participación digital {verb} de {fmt_pct(share.loc[first])} en "
        f"{month_label(first)} a {fmt_pct(share.loc[last])} en {month_label(last)} "
        f"({fmt_signed(delta, 'pp')})."
    )


def mover_sentence(row: pd.Series) -> str:
    """'▼ Jalisco: la satisfacción (...) bajó de 82.0% a 74.5% (-7.5 pp)', arrow green when the
    move is good news, red when bad, gray when neither. A count is judged against all offices
    (lib.analysis.movers.count_z), so when the row carries ``overall`` (the change of all
    offices, %) the sentence says it: a count that rose less than everyone's reads as
    '… subieron de 30 a 35 (+17%), frente a +100% del conjunto de oficinas' and is good news;
    an unchanged value 'se mantuvo en', never 'bajó de 30 a 30'."""
    plural = row["metric_label"].startswith(("los ", "las "))
    color = {True: "green", False: "red"}.get(row["good"], "gray")
    if row["change_unit"] == "pp":
        before, after = fmt_pct(row["before"]), fmt_pct(row["after"])
        delta = fmt_signed(row["change"], "pp")
    else:
        before, after = fmt_int(row["before"]), fmt_int(row["after"])
        delta = fmt_signed(row["change"], "%", 0) if row["change"] is not None else "nuevo"
    overall = row.get("overall")
    context = (
        f", frente a {fmt_signed(overall, '%', 0)} del conjunto de oficinas"
        if overall is not None and not pd.isna(overall)
        else ""
    )
    if row["after"] == row["before"]:
        verb = "se mantuvieron en" if plural else "se mantuvo en"
        return f":{color}[■] **{row['unit']}**: {row['metric_label']} {verb} {after}{context}"
    up = row["after"] > row["before"]
    verb = ("subieron" if up else "bajaron") if plural else ("subió" if up else "bajó")
    arrow = f":{color}[{'▲' if up else '▼'}]"
    return (
        f"{arrow} **{row['unit']}**: {row['metric_label']} {verb} de {before} a {after} "
        f"({delta}){context}"
    )


def segment_share_reading(shares: pd.DataFrame) -> str:
    """One line under a digital-share-by-segment chart (rows sorted by ``digital_share``,
    highest first, with ``segment``), true whatever the number of groups: with one group
    there is nothing to compare, groups all tied (as shown) are said to be equal, and every
    group tied with the highest or the lowest is named with it."""
    rows = shares.dropna(subset=["digital_share"]).sort_values(
        "digital_share", ascending=False, kind="stable"
    )
    if rows.empty:
        return "Lectura: sin contactos en esta selección."
    top, low = rows.iloc[0], rows.iloc[-1]
    if len(rows) == 1:
        return (
            f"Lectura: solo hay contactos de {top['segment']} en esta selección "
            f"({fmt_pct(top['digital_share'])} por canales digitales); no hay con quién "
            "compararlo."
        )
    if fmt_pct(top["digital_share"]) == fmt_pct(low["digital_share"]):
        return (
            f"Lectura: todos los grupos usan los canales digitales por igual "
            f"({fmt_pct(top['digital_share'])})."
        )
    shown = rows["digital_share"].map(fmt_pct)
    most = list(rows.loc[shown == fmt_pct(top["digital_share"]), "segment"])
    least = list(rows.loc[shown == fmt_pct(low["digital_share"]), "segment"])
    verb = "usa" if len(most) == 1 else "usan"
    return (
        f"Lectura: {_join(most)} {verb} más los canales digitales "
        f"({fmt_pct(top['digital_share'])}); {_join(least)}, menos "
        f"({fmt_pct(low['digital_share'])})."
    )


def _join(names: list) -> str:
    """'A', 'A y B', 'A, B y C'."""
    names = [str(n) for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" y {names[-1]}"
