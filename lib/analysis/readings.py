"""One-line readings under charts and lists, generated from the numbers (no invented text)."""

from __future__ import annotations

import pandas as pd

from lib.format import fmt_int, fmt_pct, fmt_signed, month_label


def digital_share_reading(by_channel: pd.DataFrame) -> str:
    """How the digital share moved from the first to the last month shown."""
    if by_channel.empty:
        return "Sin contactos en el periodo y alcance elegidos."
    totals = by_channel.groupby("month")["contacts"].sum()
    digital = by_channel[by_channel["is_digital"]].groupby("month")["contacts"].sum()
    share = (digital.reindex(totals.index).fillna(0) / totals).dropna()
    first, last = share.index.min(), share.index.max()
    top = by_channel.groupby("channel")["contacts"].sum().sort_values(ascending=False)
    lead = f"{top.index[0]} concentra {fmt_pct(top.iloc[0] / top.sum(), 0)} de los contactos"
    if first == last:
        return f"{lead}; la participación digital fue {fmt_pct(share.iloc[0])} en {month_label(first)}."
    delta = 100 * (share.loc[last] - share.loc[first])
    verb = "subió" if delta > 0 else "bajó" if delta < 0 else "se mantuvo"
    return (
        f"{lead}. La participación digital {verb} de {fmt_pct(share.loc[first])} en "
        f"{month_label(first)} a {fmt_pct(share.loc[last])} en {month_label(last)} "
        f"({fmt_signed(delta, 'pp')})."
    )


def mover_sentence(row: pd.Series) -> str:
    """'▼ Jalisco: la satisfacción (...) bajó de 82.0% a 74.5% (-7.5 pp)', arrow green when the
    move is good news, red when bad, gray when neither."""
    if row["change_unit"] == "pp":
        before, after = fmt_pct(row["before"]), fmt_pct(row["after"])
        delta = fmt_signed(row["change"], "pp")
    else:
        before, after = fmt_int(row["before"]), fmt_int(row["after"])
        delta = fmt_signed(row["change"], "%", 0) if row["change"] is not None else "nuevo"
    up = row["after"] > row["before"]
    plural = row["metric_label"].startswith(("los ", "las "))
    verb = ("subieron" if up else "bajaron") if plural else ("subió" if up else "bajó")
    color = {True: "green", False: "red"}.get(row["good"], "gray")
    arrow = f":{color}[{'▲' if up else '▼'}]"
    return (
        f"{arrow} **{row['unit']}**: {row['metric_label']} {verb} de {before} a {after} ({delta})"
    )


def segment_share_reading(shares: pd.DataFrame) -> str:
    """One line under a digital-share-by-segment chart (rows sorted by ``digital_share``,
    highest first, with ``segment``), true whatever the number of groups: with one group
    there is nothing to compare, and groups tied at the top and bottom are said to be equal."""
    rows = shares.dropna(subset=["digital_share"])
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
    return (
        f"Lectura: {top['segment']} usa más los canales digitales "
        f"({fmt_pct(top['digital_share'])}); {low['segment']}, menos "
        f"({fmt_pct(low['digital_share'])})."
    )
