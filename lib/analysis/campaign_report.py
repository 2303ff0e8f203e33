"""From a campaign and its panel to what the page says: the effect with the method its design
allows, the event study, money added and returned per peso, where it worked, and a narrative
written from the numbers."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import pandas as pd

from lib.analysis.campaign_designs import METHODS, Design, method_for
from lib.analysis.campaigns import EffectEstimate, event_study
from lib.format import fmt_mxn, fmt_num, fmt_p, month_label

OUTCOMES = {
    "on_time": ("Pago oportuno", "pp", 100.0),
    "paid_on_time": ("Monto pagado a tiempo", "MXN por patrón-mes", 1.0),
}
EVENT_MONTHS_BEFORE = 6  # shown in the event study, so parallel trends can be judged
SEGMENTS = {"size_band_id": "Tamaño", "economic_division_id": "División", "ooad_id": "OOAD"}
MIN_SEGMENT_UNITS = 100
HETEROGENEITY_COLUMNS = ["segment", "effect_pp", "ci_low_pp", "ci_high_pp", "p_value", "units"]


@dataclass
class CampaignResult:
    design: str  # a Design (lib/analysis/campaign_designs.py)
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
    panel_rows: int = 0  # rows of the panel analysed (patron-months or office-months)
    panel_units: int = 0  # patrons (or offices) in it: the sample when ``sampled``
    # on-time effect by segment (SEGMENTS' keys; raw segment values, not names): filled for
    # the stored result, which must not need the panel; empty when computed live
    heterogeneity: dict[str, pd.DataFrame] = field(default_factory=dict)


def estimate(
    panel: pd.DataFrame, design: str, start: dt.date, end: dt.date, outcome: str
) -> EffectEstimate:
    """The effect on ``outcome`` during the campaign, with the method its design allows."""
    return method_for(design).estimate(panel, start, end, outcome)


def analyse(campaign: pd.Series, panel: pd.DataFrame) -> CampaignResult:
    """Patron-level analysis for campaigns with a control group."""
    start, end = campaign["start_month"], campaign["end_month"]
    design = campaign["assignment"]
    method = method_for(design)
    res = CampaignResult(
        design=method.design,
        method=method.description,
        evidence=method.evidence,
        cost=float(campaign["cost"]),
        sampled=bool(panel.attrs.get("sampled")),
        units_total=int(panel.attrs.get("units_total", panel["patron_id"].nunique())),
        panel_rows=len(panel),
        panel_units=int(panel["patron_id"].nunique()),
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
    method = METHODS[Design.SIN_CONTROL]
    res = CampaignResult(
        design=method.design,
        method=method.description,
        evidence=method.evidence,
        cost=float(campaign["cost"]),
        panel_rows=len(offices),
        panel_units=int(offices["subdelegacion_id"].nunique()),
    )
    res.effects["on_time"] = method.estimate(offices, start, end, "on_time_rate")
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
    return pd.DataFrame(rows, columns=HETEROGENEITY_COLUMNS)


def add_heterogeneity(res: CampaignResult, panel: pd.DataFrame, campaign: pd.Series) -> None:
    """Every segment's heterogeneity into ``res`` (for storing: the page then needs no panel).
    Campaigns without a control group of patrons have none."""
    if method_for(res.design).by_segment:
        res.heterogeneity = {seg: heterogeneity(panel, campaign, seg) for seg in SEGMENTS}


# --------------------------------------------------------------------- stored form (JSON)
# The stored result is plain JSON (both backends' JSON columns): floats that are not finite
# become null (PostgreSQL's json rejects NaN), dates ISO strings. FORMAT changes when the
# layout does; a stored result of another format is ignored (the page computes live).
FORMAT = 1
_EVENT_COLUMNS = ["relative_period", "period", "effect", "std_error", "ci_low", "ci_high"]


def _num(value: Any) -> Any:
    """A JSON-safe scalar: numpy numbers to Python, non-finite floats to None."""
    if value is None:
        return None
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _float(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _iso(day: dt.date) -> str:
    return (day.date() if isinstance(day, dt.datetime) else day).isoformat()


def _estimate_to_json(e: EffectEstimate | None) -> dict | None:
    return None if e is None else {k: _num(v) for k, v in asdict(e).items()}


def _estimate_from_json(d: dict) -> EffectEstimate:
    kinds = {f.name: f.type for f in fields(EffectEstimate)}
    values: dict[str, Any] = {
        k: _float(v) if kinds[k] == "float" else (int(v) if kinds[k] == "int" else v)
        for k, v in d.items()
    }
    return EffectEstimate(**values)


def to_json(res: CampaignResult) -> dict:
    """The whole result as a JSON-safe dict (``from_json`` gives it back)."""
    event = None
    if res.event is not None:
        rows = [
            {
                "relative_period": int(r.relative_period),
                "period": _iso(r.period),
                **{c: _num(float(getattr(r, c))) for c in _EVENT_COLUMNS[2:]},
            }
            for r in res.event.itertuples(index=False)
        ]
        event = {"rows": rows, "pretrend_p_value": _num(res.event.attrs.get("pretrend_p_value"))}
    return {
        "format": FORMAT,
        "design": res.design,
        "method": res.method,
        "evidence": res.evidence,
        "effects": {k: _estimate_to_json(v) for k, v in res.effects.items()},
        "event": event,
        "treated_patron_months": int(res.treated_patron_months),
        "additional": _estimate_to_json(res.additional),
        "cost": _num(res.cost),
        "return_per_peso": None
        if res.return_per_peso is None
        else [_num(v) for v in res.return_per_peso],
        "sampled": bool(res.sampled),
        "units_total": int(res.units_total),
        "panel_rows": int(res.panel_rows),
        "panel_units": int(res.panel_units),
        "heterogeneity": {
            seg: [{c: _num(v) for c, v in row.items()} for row in het.to_dict("records")]
            for seg, het in res.heterogeneity.items()
        },
    }


def from_json(d: dict) -> CampaignResult:
    """The CampaignResult ``to_json`` stored. Raises ValueError on another format."""
    if d.get("format") != FORMAT:
        raise ValueError(f"Formato de resultado desconocido: {d.get('format')}")
    event = None
    if d["event"] is not None:
        event = pd.DataFrame(d["event"]["rows"], columns=_EVENT_COLUMNS)
        event["period"] = [dt.date.fromisoformat(p) for p in event["period"]]
        for c in _EVENT_COLUMNS[2:]:
            event[c] = event[c].astype(float)
        event.attrs["pretrend_p_value"] = d["event"]["pretrend_p_value"]
    het = {}
    for seg, rows in d["heterogeneity"].items():
        frame = pd.DataFrame(rows, columns=HETEROGENEITY_COLUMNS)
        for c in HETEROGENEITY_COLUMNS[1:5]:
            frame[c] = frame[c].astype(float)
        frame["units"] = frame["units"].astype(int)
        het[seg] = frame
    rpp = d["return_per_peso"]
    return CampaignResult(
        design=d["design"],
        method=d["method"],
        evidence=d["evidence"],
        effects={k: _estimate_from_json(v) for k, v in d["effects"].items()},
        event=event,
        treated_patron_months=int(d["treated_patron_months"]),
        additional=None if d["additional"] is None else _estimate_from_json(d["additional"]),
        cost=_float(d["cost"]),
        return_per_peso=None if rpp is None else (_float(rpp[0]), _float(rpp[1]), _float(rpp[2])),
        sampled=bool(d["sampled"]),
        units_total=int(d["units_total"]),
        panel_rows=int(d["panel_rows"]),
        panel_units=int(d["panel_units"]),
        heterogeneity=het,
    )


def from_stored(row: dict) -> CampaignResult | str | None:
    """A stored row ({"result", "error"}) as the page uses it: the result, the Spanish message
    of why the campaign could not be estimated, or None when the result was stored in another
    format (then the page computes it live)."""
    if row["result"] is None:
        return row["error"] or "sin resultado guardado"
    try:
        return from_json(row["result"])
    except ValueError:
        return None


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
        f"{fmt_num(scale * e.ci_high)}). {sure} ({fmt_p(e.p_value)}); método: {res.method}; "
        f"evidencia {res.evidence}."
    )
    pre = res.event.attrs.get("pretrend_p_value") if res.event is not None else None
    if method_for(res.design).panel == "office":
        text += " Sin grupo de control de patrones: tómese como indicio, no como medición."
        if pre is not None and pre < 0.05:
            text += f" Además, antes del inicio las oficinas ya divergían ({fmt_p(pre)})."
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
    if pre is not None and method_for(res.design).pre_trends:
        text += (
            " Antes del inicio los grupos seguían tendencias paralelas (prueba de "
            f"pre-tendencias {fmt_p(pre, 2)})."
            if pre >= 0.05
            else " Atención: antes del inicio los grupos ya divergían (prueba de pre-tendencias "
            f"{fmt_p(pre)}); el efecto puede estar sesgado."
        )
    return text
