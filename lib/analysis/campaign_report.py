"""From a campaign and its panel to what the page says: the effect with the method its design
allows, the event study, money added and returned per peso, where it worked, and a narrative
written from the numbers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from lib.analysis.campaigns import EffectEstimate, diff_in_diff, difference_in_means, event_study
from lib.filters import add_months
from lib.format import fmt_mxn, fmt_num, month_label

OUTCOMES = {
    "on_time": ("Pago oportuno", "pp", 100.0),
    "paid_on_time": ("Monto pagado a tiempo", "MXN por patrón-mes", 1.0),
}
PRE_MONTHS = 3  # months before the start the difference-in-differences compares with
EVENT_MONTHS_BEFORE = 6  # shown in the event study, so parallel trends can be judged
SEGMENTS = {"size_band_id": "Tamaño", "economic_division_id": "División", "ooad_id": "OOAD"}
MIN_SEGMENT_UNITS = 100


@dataclass
class CampaignResult:
    design: str  # aleatoria | dirigida | sin_control
    method: str
    evidence: str  # fuerte | moderada | débil
    effects: dict[str, EffectEstimate] = field(default_factory=dict)
    event: pd.DataFrame | None = None
    treated_patron_months: int = 0
    additional: EffectEstimate | None = None  # MXN over the campaign
    cost: float = 0.0
    return_per_peso: tuple[float, float, float] | None = None
    sampled: bool = False
    units_total: int = 0


def _window(panel: pd.DataFrame, start: dt.date, end: dt.date) -> pd.DataFrame:
    first = add_months(start, -PRE_MONTHS)
    d = panel[(panel["month"] >= first) & (panel["month"] <= end)]
    return d.assign(post=(d["month"] >= start).astype(int))


def estimate(
    panel: pd.DataFrame, design: str, start: dt.date, end: dt.date, outcome: str
) -> EffectEstimate:
    """The effect on ``outcome`` during the campaign, with the method its design allows."""
    if design == "aleatoria":
        during = panel[(panel["month"] >= start) & (panel["month"] <= end)]
        per_unit = during.groupby("patron_id", as_index=False).agg(
            y=(outcome, "mean"), treated=("treated", "first")
        )
        return difference_in_means(per_unit, "y", "treated")
    return diff_in_diff(
        _window(panel, start, end), outcome, "patron_id", "month", "treated", "post"
    )


def analyse(campaign: pd.Series, panel: pd.DataFrame) -> CampaignResult:
    """Patron-level analysis for campaigns with a control group."""
    start, end = campaign["start_month"], campaign["end_month"]
    design = campaign["assignment"]
    res = CampaignResult(
        design=design,
        method="diferencia de medias (ensayo aleatorio)"
        if design == "aleatoria"
        else "diferencia en diferencias con efectos fijos de patrón y mes, errores por patrón",
        evidence="fuerte" if design == "aleatoria" else "moderada",
        cost=float(campaign["cost"]),
        sampled=bool(panel.attrs.get("sampled")),
        units_total=int(panel.attrs.get("units_total", panel["patron_id"].nunique())),
    )
    for key in OUTCOMES:
        res.effects[key] = estimate(panel, design, start, end, key)
    res.event = event_study(panel, "on_time", "patron_id", "month", "treated", start)
    during = panel[(panel["month"] >= start) & (panel["month"] <= end) & (panel["treated"] == 1)]
    sampled_treated = max(int(panel.loc[panel["treated"] == 1, "patron_id"].nunique()), 1)
    n_treated = int(panel.attrs.get("treated_total", sampled_treated))
    scale = n_treated / sampled_treated  # 1 unless the panel was thinned
    res.treated_patron_months = round(len(during) * scale)
    # Every extra peso paid lowers the overdue balance: the treated-minus-control change in
    # the balance at the last campaign month, times the treated patrons, is the money added.
    balance = event_study(panel, "overdue_balance", "patron_id", "month", "treated", start)
    last = balance[balance["period"] == end]
    if len(last):
        b = last.iloc[0]
        res.additional = EffectEstimate(
            -b["effect"] * n_treated,
            b["std_error"] * n_treated,
            -b["ci_high"] * n_treated,
            -b["ci_low"] * n_treated,
            float("nan"),
            n_treated,
            len(panel),
            0,
            "reducción del saldo vencido de los tratados frente al control al cierre",
        )
    if res.cost > 0 and res.additional is not None:  # None while the campaign is still running
        a = res.additional
        res.return_per_peso = (a.effect / res.cost, a.ci_low / res.cost, a.ci_high / res.cost)
    return res


def analyse_without_control(campaign: pd.Series, offices: pd.DataFrame) -> CampaignResult:
    """Offices whose patrons were all exposed against the other offices, month by month: an
    interrupted time series with a comparison group, weaker than a control group of patrons."""
    start, end = campaign["start_month"], campaign["end_month"]
    first = add_months(start, -PRE_MONTHS)
    d = offices[(offices["month"] >= first) & (offices["month"] <= end)]
    d = d.assign(post=(d["month"] >= start).astype(int))
    res = CampaignResult(
        design="sin_control",
        method="serie de tiempo interrumpida contra subdelegaciones no expuestas "
        "(diferencia en diferencias por oficina y mes)",
        evidence="débil",
        cost=float(campaign["cost"]),
    )
    res.effects["on_time"] = diff_in_diff(
        d, "on_time_rate", "subdelegacion_id", "month", "treated", "post"
    )
    res.event = event_study(offices, "on_time_rate", "subdelegacion_id", "month", "treated", start)
    return res


def heterogeneity(
    panel: pd.DataFrame, campaign: pd.Series, segment: str, names: dict | None = None
) -> pd.DataFrame:
    """The on-time effect within each value of ``segment`` large enough to estimate."""
    rows = []
    for value, part in panel.groupby(segment):
        if part["patron_id"].nunique() < MIN_SEGMENT_UNITS or part["treated"].nunique() < 2:
            continue
        try:
            e = estimate(
                part,
                campaign["assignment"],
                campaign["start_month"],
                campaign["end_month"],
                "on_time",
            )
        except ValueError:
            continue
        rows.append(
            {
                "segment": (names or {}).get(value, value),
                "effect_pp": 100 * e.effect,
                "ci_low_pp": 100 * e.ci_low,
                "ci_high_pp": 100 * e.ci_high,
                "p_value": e.p_value,
                "units": e.n_units,
            }
        )
    return pd.DataFrame(
        rows, columns=["segment", "effect_pp", "ci_low_pp", "ci_high_pp", "p_value", "units"]
    )


def narrative(campaign: pd.Series, res: CampaignResult) -> str:
    """A short Spanish paragraph assembled only from the estimates."""
    e = res.effects["on_time"]
    scale = 100
    sure = (
        "La diferencia es estadísticamente clara"
        if e.p_value < 0.05
        else "No se distingue de cero con los datos disponibles"
    )
    text = (
        f"{campaign['name']} ({month_label(campaign['start_month'])} a "
        f"{month_label(campaign['end_month'])}) cambió el pago oportuno en "
        f"{fmt_num(scale * e.effect)} puntos porcentuales (IC 95 %: {fmt_num(scale * e.ci_low)} a "
        f"{fmt_num(scale * e.ci_high)}). {sure} (p = {e.p_value:.3f}); método: {res.method}; "
        f"evidencia {res.evidence}."
    )
    pre = res.event.attrs.get("pretrend_p_value") if res.event is not None else None
    if res.design == "sin_control":
        text += " Sin grupo de control de patrones: tómese como indicio, no como medición."
        if pre is not None and pre < 0.05:
            text += f" Además, antes del inicio las oficinas ya divergían (p = {pre:.3f})."
        return text
    if res.additional is not None:
        a = res.additional
        text += (
            f" Recaudación adicional estimada: {fmt_mxn(a.effect)} (IC 95 %: "
            f"{fmt_mxn(a.ci_low)} a {fmt_mxn(a.ci_high)}) con un costo de "
            f"{fmt_mxn(res.cost)}"
        )
        if res.return_per_peso:
            r, lo, hi = res.return_per_peso
            text += f": {fmt_num(r, 1)} pesos por peso invertido (IC 95 %: {fmt_num(lo, 1)} a {fmt_num(hi, 1)})."
        else:
            text += "."
    if pre is not None and res.design != "aleatoria":
        text += (
            " Antes del inicio los grupos seguían tendencias paralelas (prueba de "
            f"pre-tendencias p = {pre:.2f})."
            if pre >= 0.05
            else " Atención: antes del inicio los grupos ya divergían (prueba de pre-tendencias "
            f"p = {pre:.3f}); el efecto puede estar sesgado."
        )
    return text
