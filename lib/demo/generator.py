"""A deterministic synthetic institute with planted, documented effects.

``generate(scale, seed)`` yields ``(table, DataFrame)`` chunks in foreign-key order, month by
month, so even the national scale (about 1.1 million patrons) streams through bounded memory.
One ``numpy.random.Generator`` is consumed in a fixed order: the same scale and seed give the
same rows, byte for byte.

Planted truth (docs/demo-data.md) is computed by the generator itself and emitted as
``ground_truth`` rows. Campaign effects are measured with common random numbers: for each
campaign, every patron has a counterfactual path in which that campaign never happened (the
others ran as they did), driven by the same random draws, so the true effect on the treated is
known exactly, not just its expectation.

Every magnitude here is an assumption ([E] in DOMAIN-FACTS.md) unless it comes from the IMSS
catalogs; the UI labels the whole dataset as synthetic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lib.demo import text
from lib.demo.calendar import add_working_days, day_weights
from lib.demo.catalogs import (
    CHANNELS,
    COMPLAINT_KINDS,
    PROCEDURES,
    catalog_frames,
    ooad_and_subdelegaciones,
    ooad_weights,
)

SCALES = {"tiny": 2_000, "demo": 50_000, "national": 1_100_000}
END_MONTH = pd.Timestamp("2026-10-01")
N_MONTHS = 36
MONTHS = pd.date_range(end=END_MONTH, periods=N_MONTHS, freq="MS")
DATA_AS_OF = dt.date(2026, 10, 31)
YEARS = range(MONTHS[0].year, DATA_AS_OF.year + 2)

CH_IDS = [c[0] for c in CHANNELS]
PROC_IDS = [p[0] for p in PROCEDURES]
CH = {c: i for i, c in enumerate(CH_IDS)}
UNIT_COST = np.array([c[4] for c in CHANNELS])
DIGITAL_IDX = [i for i, c in enumerate(CHANNELS) if c[3]]

# ------------------------------------------------------------------ patrons (DOMAIN-FACTS §6)
SIZE_SHARES = np.array([26, 34, 34.6, 4.2, 0.6, 0.3, 0.3]) / 100
SIZE_IDS = np.array(["S1", "S2", "S3", "S4", "S5", "S6", "S7"])
DIV_IDS = np.array([0, 1, 3, 4, 5, 6, 7, 8, 9])
DIV_SHARES = np.array([3.5, 0.6, 14, 8, 0.5, 33, 6, 26.4, 8]) / 100
# Risk class I..V probabilities by division (construction and extraction are riskier).
RISK_BY_DIV = {
    0: [0.1, 0.2, 0.3, 0.3, 0.1],
    1: [0.0, 0.1, 0.2, 0.3, 0.4],
    3: [0.15, 0.3, 0.3, 0.2, 0.05],
    4: [0.0, 0.05, 0.15, 0.3, 0.5],
    5: [0.1, 0.3, 0.4, 0.15, 0.05],
    6: [0.5, 0.35, 0.1, 0.05, 0.0],
    7: [0.1, 0.3, 0.3, 0.25, 0.05],
    8: [0.6, 0.3, 0.08, 0.02, 0.0],
    9: [0.55, 0.3, 0.1, 0.05, 0.0],
}
DAILY_WAGE = 620.0  # MXN, average contribution wage (DOMAIN §Magnitudes: 627.9 in Dec 2025)
CONTRIBUTION_RATE = 0.062  # monthly COP as share of wage bill, tuned to ~0.5 trillion MXN/yr

# ------------------------------------------- non-compliance drivers (log-odds, planted truth)
LATE_INTERCEPT = -3.1
LATE_PREV = 1.6  # paid late last month
LATE_SIZE = {"S1": 0.8, "S2": 0.5, "S3": 0.0, "S4": -0.4, "S5": -0.6, "S6": -0.8, "S7": -1.0}
LATE_DIV = {0: 0.4, 1: 0.0, 3: 0.0, 4: 0.6, 5: -0.5, 6: 0.2, 7: 0.1, 8: 0.0, 9: -0.2}
LATE_YOUNG = 0.7  # registered less than 2 years before the month
LATE_PATRON_SD = 0.8  # persistent patron propensity
LATE_OOAD_SD = 0.25
LATE_SEASON = {1: 0.25, 2: 0.15, 12: -0.05}  # month of year -> log-odds shift
PARTIAL_SHARE = 0.3  # of late payers pay part of the amount on time
PAID_LATE_PROB = 0.75  # of the rest is paid after the 17th in the same cycle
RECOVERY_RATE = 0.10  # monthly share of overdue balance recovered by ordinary collection

# ------------------------------------------------------------- contacts (DOMAIN-FACTS §3, §9)
CONTACTS_PER_MONTH = {"S1": 0.25, "S2": 0.35, "S3": 0.6, "S4": 1.2, "S5": 2.0, "S6": 3.0, "S7": 5.0}
CONTACT_SEASON = {
    1: 1.25,
    2: 1.2,
    3: 1.0,
    4: 0.92,
    5: 1.0,
    6: 0.98,
    7: 0.95,
    8: 1.0,
    9: 0.97,
    10: 1.0,
    11: 1.02,
    12: 1.12,
}
# channel shares at the start of the window, and their yearly drift (migration to digital)
CHANNEL_SHARE0 = np.array([0.36, 0.05, 0.24, 0.25, 0.07, 0.03])
CHANNEL_DRIFT = np.array([-0.025, 0.0, 0.028, -0.012, 0.014, -0.005])
ASSISTED_BY_BAND = np.array([0.3, 0.5, 1.0, 4.0, 6.0, 8.0, 10.0])
# procedure mix by channel (rows: CHANNELS order, columns: PROCEDURES order)
PROC_BY_CHANNEL = np.array(
    [
        [0.08, 0.12, 0.20, 0.12, 0.10, 0.08, 0.02, 0.28],
        [0.05, 0.10, 0.20, 0.15, 0.12, 0.03, 0.15, 0.20],
        [0.10, 0.25, 0.15, 0.00, 0.15, 0.00, 0.08, 0.20],  # not online: convenio, revocación
        [0.02, 0.08, 0.25, 0.10, 0.10, 0.05, 0.00, 0.40],
        [0.00, 0.15, 0.25, 0.00, 0.30, 0.00, 0.05, 0.20],
        [0.05, 0.10, 0.15, 0.10, 0.20, 0.00, 0.00, 0.40],
    ]
)
WAIT_MEDIAN = np.array([22.0, 8.0, 0.0, 6.0, 0.0, 0.0])  # minutes
# Abandonment in the contact centre's queue grows with the wait: each caller has an
# exponential patience with this mean and hangs up when the wait would outlast it, so
# P(abandon | would-be wait w) = 1 - exp(-w / PATIENCE_S). The answered calls are the
# contacts above; for each, Poisson(exp(w / PATIENCE_S) - 1) callers with the same would-be
# wait gave up first (the ratio abandoned : answered at w), each after a patience drawn below
# w. Those callers never reached an agent: anonymous, no resolution, no cost. Drawn from their
# own random stream (ABANDON_STREAM), so every other planted figure is unchanged. The patience
# is recovered as (seconds waited by all queued calls) / (abandoned calls): the exponential
# model's maximum-likelihood estimate (docs/demo-data.md).
PATIENCE_S = 3600.0
ABANDON_CHANNEL = "contact_center"
ABANDON_STREAM = 18
ABANDONED_ID_BASE = 900_000_000  # ids of abandoned calls, apart from the handled contacts'
HANDLE_MEDIAN = np.array([18.0, 35.0, 12.0, 9.0, 5.0, 3.0])
# First-contact resolution. Contact center and Buzón IMSS are planted EQUAL: a comparison
# that calls them different is reporting noise.
FCR = np.array([0.80, 0.90, 0.74, 0.66, 0.66, 0.50])
FOLLOW_UP_PROB = 0.55  # an unresolved contact brings the patron back within 1-20 days
FOLLOW_UP_CHANNEL = np.array([0.25, 0.05, 0.25, 0.35, 0.05, 0.05])  # channel of the return
# Offices whose in-person service is planted worse: lower quality and longer counter waits.
WEAK_SUBDELEGACIONES = (1554, 2033)  # Ecatepec (Edo. Méx. Oriente), Sureste (Nuevo León)
WEAK_QUALITY_CUT = 0.7
WEAK_WAIT_FACTOR = 1.5
# ------------------------------------------------------------------------------ surveys
RESPONSE_RATE = np.array([0.15, 0.25, 0.10, 0.12, 0.05, 0.03])
QUALITY_MU = np.array([4.15, 4.60, 4.35, 4.00, 4.05, 3.75])  # latent service quality by channel
DRIVER_WEIGHTS = {"courtesy": 0.10, "clarity": 0.20, "timeliness": 0.25, "solution": 0.45}
DROP_CHANNEL = "contact_center"
DROP_DATE = dt.date(2026, 4, 1)
DROP_SIZE = 0.6  # latent quality points lost after DROP_DATE
# --------------------------------------------------------------------------- complaints
COMPLAINT_RATE = 0.0011  # per contact, before multipliers (~15 per 10k contacts)
KIND_SHARES = np.array([0.70, 0.12, 0.06, 0.12])
KIND_PREFIX = {"queja": "Q", "denuncia": "D", "prodecon": "P", "sugerencia": "S"}
# category mix by channel (rows: CHANNELS order; columns: categories 1..8)
CATEGORY_BY_CHANNEL = np.array(
    [
        [0.22, 0.30, 0.12, 0.03, 0.13, 0.08, 0.05, 0.07],
        [0.15, 0.10, 0.20, 0.05, 0.15, 0.20, 0.10, 0.05],
        [0.03, 0.05, 0.12, 0.45, 0.12, 0.13, 0.08, 0.02],
        [0.18, 0.32, 0.22, 0.08, 0.05, 0.10, 0.03, 0.02],
        [0.02, 0.03, 0.10, 0.35, 0.05, 0.15, 0.30, 0.00],
        [0.05, 0.05, 0.20, 0.05, 0.10, 0.25, 0.30, 0.00],
    ]
)
UNLABELLED_SHARE = 0.05
SURGE_SUBDELEGACION = 1439  # Jalisco, Libertad Reforma
SURGE_MONTH = pd.Timestamp("2026-06-01")
SURGE_MIN_EXTRA = 25
SURGE_FACTOR = 6.0
SURGE_STUCK_SHARE = 0.3  # of the surge's complaints take 6x longer: the office is overwhelmed


@dataclass
class CampaignSpec:
    code: str
    name: str
    kind: str
    channel: str
    assignment: str  # aleatoria | dirigida | sin_control
    start: pd.Timestamp
    months: int
    effect_pp: float  # absolute cut in the monthly probability of paying late
    recovery_boost: float = 0.0  # extra monthly share of overdue balance regularised
    unit_cost: float = 0.0  # MXN per treated patron
    fixed_cost: float = 0.0
    description: str = ""
    treated: np.ndarray | None = field(default=None, repr=False)
    control: np.ndarray | None = field(default=None, repr=False)

    @property
    def end(self) -> pd.Timestamp:
        return self.start + pd.DateOffset(months=self.months - 1)


def campaign_specs() -> list[CampaignSpec]:
    return [
        CampaignSpec(
            "DIF-2025-03",
            "Difusión SIPARE en medios regionales (Jalisco y Nuevo León)",
            "difusion",
            "impresos",
            "sin_control",
            pd.Timestamp("2025-03-01"),
            4,
            0.03,
            unit_cost=4.0,
            fixed_cost=250_000.0,
            description="Radio, prensa y carteles sobre el pago referenciado en SIPARE en dos "
            "OOAD; todos sus patrones expuestos, sin grupo de control.",
        ),
        CampaignSpec(
            "DIF-2025-09",
            "Recordatorio de pago por Buzón IMSS (ensayo aleatorio)",
            "difusion",
            "buzon",
            "aleatoria",
            pd.Timestamp("2025-09-01"),
            3,
            0.05,
            unit_cost=6.0,
            fixed_cost=40_000.0,
            description="Mensaje en Buzón IMSS antes del día 17 a patrones con al menos un pago "
            "tardío en los 12 meses previos; asignación aleatoria 50/50.",
        ),
        CampaignSpec(
            "REG-2026-03",
            "Cartas invitación de regularización de adeudos (OOAD piloto)",
            "regularizacion",
            "impresos",
            "dirigida",
            pd.Timestamp("2026-03-01"),
            4,
            0.06,
            recovery_boost=0.15,
            unit_cost=90.0,
            fixed_cost=120_000.0,
            description="Carta invitación y asesoría a patrones con saldo vencido en OOAD piloto "
            "elegidas por la división; los patrones con saldo vencido de las demás OOAD son "
            "el grupo de comparación.",
        ),
    ]


PILOT_OOADS_N = 8
SIN_CONTROL_OOADS = (14, 20)


def _campaign_effects(
    specs: list[CampaignSpec], month: pd.Timestamp, n: int, exclude: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Cut in the probability of paying late and extra overdue recovery, per patron, from
    the campaigns running this month (all of them, or all but ``exclude``)."""
    delta = np.zeros(n)
    boost = np.zeros(n)
    for s in specs:
        if s.code == exclude or s.treated is None or not s.start <= month <= s.end:
            continue
        delta[s.treated] = np.maximum(delta[s.treated], s.effect_pp)
        boost[s.treated] = np.maximum(boost[s.treated], s.recovery_boost)
    return delta, boost


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _pick_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Draw one category per row of a (n, k) probability matrix."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cum[:, -1]
    return (u[:, None] > cum).sum(axis=1)


def _synthetic_ids(rng: np.random.Generator, ooad: np.ndarray, persona_fisica: np.ndarray):
    """Pseudonymous registro patronal (11 chars, 'Z' marks synthetic) and RFC."""
    n = len(ooad)
    serial = np.arange(1, n + 1)
    digits = np.char.add(np.char.zfill(ooad.astype(str), 2), np.char.zfill(serial.astype(str), 7))
    check = (ooad * 7 + serial * 3) % 10
    registro = np.char.add(np.char.add("Z", digits), check.astype(str))
    letters = rng.integers(65, 91, size=(n, 4), dtype=np.uint8)
    date_digits = rng.integers(48, 58, size=(n, 6), dtype=np.uint8)
    homo = rng.integers(48, 58, size=(n, 3), dtype=np.uint8)
    raw = np.concatenate([letters, date_digits, homo], axis=1)
    rfc13 = raw.view("S13").ravel().astype(str)
    rfc12 = (
        np.concatenate([letters[:, :3], date_digits, homo], axis=1).view("S12").ravel().astype(str)
    )
    return registro, np.where(persona_fisica, rfc13, rfc12)


@dataclass
class Truth:
    rows: list[dict] = field(default_factory=list)

    def add(self, key: str, value: float, unit: str, description: str, **details) -> None:
        self.rows.append(
            {
                "key": key,
                "value": float(value),
                "unit": unit,
                "description": description,
                "details": details,
            }
        )

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


def generate(scale: str, seed: int) -> Iterator[tuple[str, pd.DataFrame]]:
    if scale not in SCALES:
        raise ValueError(f"Escala desconocida «{scale}»; use una de {', '.join(SCALES)}")
    rng = np.random.default_rng(seed)
    n = SCALES[scale]
    truth = Truth()

    yield from catalog_frames().items()
    ooad_cat, sub_cat = ooad_and_subdelegaciones()

    # ------------------------------------------------------------------------- patrons
    w_ooad = ooad_weights()
    sub_w = rng.lognormal(0.0, 0.5, len(sub_cat))
    sub_w = (
        sub_w / pd.Series(sub_w).groupby(sub_cat["ooad_id"].to_numpy()).transform("sum").to_numpy()
    )
    sub_w = sub_w * w_ooad.reindex(sub_cat["ooad_id"]).to_numpy()
    sub_idx = rng.choice(len(sub_cat), size=n, p=sub_w / sub_w.sum())
    subdel = sub_cat["id"].to_numpy()[sub_idx]
    ooad = sub_cat["ooad_id"].to_numpy()[sub_idx]
    band = rng.choice(7, size=n, p=SIZE_SHARES)
    lows = np.array([1, 2, 6, 51, 251, 501, 1001])
    highs = np.array([1, 5, 50, 250, 500, 1000, 1001])
    workers = np.where(
        band <= 1,
        rng.integers(lows[band], highs[band] + 1),
        np.exp(rng.uniform(np.log(lows[band]), np.log(highs[band] + 1))).astype(int),
    )
    workers = np.where(
        band == 6, (1001 * (1 + rng.pareto(1.6, n))).astype(int).clip(1001, 60_000), workers
    )
    div = rng.choice(DIV_IDS, size=n, p=DIV_SHARES)
    risk_u = rng.random(n)
    risk_cum = np.array([np.cumsum(RISK_BY_DIV[int(d)]) for d in DIV_IDS])
    risk_class = 1 + (risk_u[:, None] > risk_cum[np.searchsorted(DIV_IDS, div)]).sum(axis=1)
    risk_class = risk_class.clip(1, 5)
    # 10 % registered during the window, the rest older: the active population grows a few
    # percent a year, as registered employers do (DOMAIN-FACTS §6).
    recent = rng.random(n) < 0.10
    age_years = np.where(recent, rng.uniform(0.05, 3.0, n), 3.0 + rng.exponential(9.0, n))
    age_days = (age_years.clip(0.05, 50.0) * 365.25).astype(int)
    registered = np.datetime64(DATA_AS_OF) - age_days.astype("timedelta64[D]")
    fisica_p = np.array([0.75, 0.6, 0.3, 0.05, 0.02, 0.0, 0.0])[band]
    fisica = rng.random(n) < fisica_p
    registro, rfc = _synthetic_ids(rng, ooad, fisica)
    wage = DAILY_WAGE * rng.lognormal(-0.08, 0.4, n) * np.where(band >= 3, 1.25, 1.0)

    patron_ids = np.arange(1, n + 1)
    patrons = pd.DataFrame(
        {
            "id": patron_ids,
            "registro_patronal": registro,
            "rfc": rfc,
            "subdelegacion_id": subdel,
            "economic_division_id": div,
            "size_band_id": SIZE_IDS[band],
            "workers": workers,
            "risk_class": risk_class,
            "registered_on": registered,
            "persona": np.where(fisica, "fisica", "moral"),
            "use_competence": band >= 5,
        }
    )
    for start in range(0, n, 200_000):
        yield "patron", patrons.iloc[start : start + 200_000]

    ooad_effect = pd.Series(rng.normal(0, LATE_OOAD_SD, len(ooad_cat)), index=ooad_cat["id"])
    eta = (
        LATE_INTERCEPT
        + pd.Series(LATE_SIZE).reindex(SIZE_IDS[band]).to_numpy()
        + pd.Series(LATE_DIV).reindex(div).to_numpy()
        + ooad_effect.reindex(ooad).to_numpy()
        + rng.normal(0, LATE_PATRON_SD, n)
    )
    truth.add(
        "drivers.intercept",
        LATE_INTERCEPT,
        "log-odds",
        "Constante del logit mensual de pago tardío",
    )
    truth.add(
        "drivers.previous_month_late",
        LATE_PREV,
        "log-odds",
        "Efecto de haber pagado tarde el mes anterior (historial de pago)",
    )
    for band_code, v in LATE_SIZE.items():
        truth.add(
            f"drivers.size_band.{band_code}",
            v,
            "log-odds",
            f"Efecto del tamaño {band_code} (S3 = 0)",
        )
    for div_code, v in LATE_DIV.items():
        truth.add(
            f"drivers.division.{div_code}",
            v,
            "log-odds",
            f"Efecto de la división económica {div_code}",
        )
    truth.add(
        "drivers.registered_under_2_years",
        LATE_YOUNG,
        "log-odds",
        "Efecto de tener menos de 2 años de registro",
    )
    truth.add(
        "drivers.patron_sd",
        LATE_PATRON_SD,
        "log-odds",
        "Desviación estándar de la propensión persistente no observada de cada patrón",
    )

    # ------------------------------------------------------------ monthly simulation state
    late_prev = np.zeros(n, dtype=bool)
    overdue = np.zeros(n)
    cf: dict[str, dict[str, np.ndarray]] = {}  # per-campaign counterfactual state
    late_hist = np.zeros((12, n), dtype=bool)  # rolling 12-month window of late flags
    specs = campaign_specs()
    pilot = np.sort(
        rng.choice(
            ooad_cat["id"].to_numpy()[~ooad_cat["id"].isin(SIN_CONTROL_OOADS).to_numpy()],
            PILOT_OOADS_N,
            replace=False,
        )
    )
    effect_acc = {
        s.code: dict(
            pm=0, p_diff=0.0, late_diff=0.0, on_time_amount=0.0, collected=0.0, overdue_cut=0.0
        )
        for s in specs
    }
    next_interaction_id = 1
    abandon_rng = np.random.default_rng([seed, ABANDON_STREAM])
    next_abandoned_id = ABANDONED_ID_BASE
    abandoned_total = answered_total = 0
    pending = {  # returns that fall in a later month
        "who": np.array([], dtype=int),
        "ch": np.array([], dtype=int),
        "proc": np.array([], dtype=int),
        "day": np.array([], dtype="datetime64[D]"),
        "resolved": np.array([], dtype=bool),
    }
    next_survey_id = 1
    next_complaint_id = 1
    next_orientation_id = 1
    channel_mu_sum = np.zeros(6)
    channel_mu_n = np.zeros(6)
    kind_ids = np.array([k[0] for k in COMPLAINT_KINDS])
    kind_deadline = np.array([k[2] for k in COMPLAINT_KINDS])
    lam_band = pd.Series(CONTACTS_PER_MONTH).reindex(SIZE_IDS).to_numpy()
    surge_expected = 0.0
    surge_extra = 0

    for t, month in enumerate(MONTHS):
        moy = month.month
        month_end = month + pd.offsets.MonthEnd(0)
        active = registered <= np.datetime64(month_end.date())
        young = (np.datetime64(month.date()) - registered) < np.timedelta64(730, "D")

        # ---- campaigns starting this month: assignment from history known at the start
        for s in specs:
            if s.start == month:
                if s.assignment == "aleatoria":
                    eligible = np.flatnonzero(active & late_hist.any(axis=0) & (band <= 3))
                    coin = rng.random(len(eligible)) < 0.5
                    s.treated, s.control = eligible[coin], eligible[~coin]
                elif s.assignment == "dirigida":
                    owing = active & (overdue > 0)
                    in_pilot = np.isin(ooad, pilot)
                    s.treated = np.flatnonzero(owing & in_pilot)
                    s.control = np.flatnonzero(owing & ~in_pilot)
                else:
                    s.treated = np.flatnonzero(active & np.isin(ooad, SIN_CONTROL_OOADS))
                    s.control = np.array([], dtype=int)
                # this campaign's counterfactual path starts from today's state
                cf[s.code] = {"late_prev": late_prev.copy(), "overdue": overdue.copy()}
                cost = s.fixed_cost + s.unit_cost * len(s.treated)
                yield (
                    "campaign",
                    pd.DataFrame(
                        [
                            {
                                "id": specs.index(s) + 1,
                                "code": s.code,
                                "name": s.name,
                                "kind": s.kind,
                                "channel_id": s.channel,
                                "assignment": s.assignment,
                                "start_month": s.start,
                                "end_month": s.end,
                                "cost": round(cost, 2),
                                "description": s.description,
                            }
                        ]
                    ),
                )
                arms = pd.DataFrame(
                    {
                        "campaign_id": specs.index(s) + 1,
                        "patron_id": np.concatenate([s.treated, s.control]) + 1,
                        "arm": ["tratado"] * len(s.treated) + ["control"] * len(s.control),
                    }
                )
                yield "campaign_assignment", arms.sort_values("patron_id")

        # ---- payment of this month's contributions
        delta, boost = _campaign_effects(specs, month, n)
        growth = 1.07 ** (t / 12)
        issued = np.round(
            workers * wage * 30.4 * CONTRIBUTION_RATE * growth * rng.lognormal(0, 0.05, n), 2
        )
        season = LATE_SEASON.get(moy, 0.0)
        base = eta + LATE_YOUNG * young + season
        p_act0 = _sigmoid(base + LATE_PREV * late_prev)
        p_act = np.maximum(p_act0 - delta, 0.0)
        u = rng.random(n)
        late = (u < p_act) & active
        partial = rng.random(n) < PARTIAL_SHARE
        share = rng.uniform(0.2, 0.8, n)
        pays_late = rng.random(n) < PAID_LATE_PROB

        def _amounts(late_flag: np.ndarray):
            on_time = np.where(
                ~late_flag, issued, np.where(partial, np.round(issued * share, 2), 0.0)
            )
            rest = issued - on_time
            paid_late = np.where(late_flag & pays_late, rest, 0.0)
            return on_time, paid_late, rest - paid_late

        on_time, paid_late, unpaid = _amounts(late)
        recovered = overdue * (RECOVERY_RATE + boost)
        overdue = np.round(overdue - recovered + np.where(active, unpaid, 0.0), 2)

        # Each campaign's counterfactual: the same draws, every other campaign as it was, this
        # one absent. Its difference from the actual path is the campaign's true effect.
        for s in specs:
            if s.code not in cf:
                continue
            state = cf[s.code]
            d_ex, b_ex = _campaign_effects(specs, month, n, exclude=s.code)
            p_cf = np.maximum(_sigmoid(base + LATE_PREV * state["late_prev"]) - d_ex, 0.0)
            late_cf = (u < p_cf) & active
            on_time_cf, paid_late_cf, unpaid_cf = _amounts(late_cf)
            recovered_cf = state["overdue"] * (RECOVERY_RATE + b_ex)
            state["overdue"] = state["overdue"] - recovered_cf + np.where(active, unpaid_cf, 0.0)
            state["late_prev"] = late_cf
            if s.start <= month <= s.end:
                assert s.treated is not None  # assigned in the campaign's first month
                tr = s.treated[active[s.treated]]
                acc = effect_acc[s.code]
                acc["pm"] += len(tr)
                acc["p_diff"] += float((p_cf[tr] - p_act[tr]).sum())
                acc["late_diff"] += float((late_cf[tr].astype(int) - late[tr].astype(int)).sum())
                acc["on_time_amount"] += float((on_time[tr] - on_time_cf[tr]).sum())
                acc["collected"] += float(
                    (
                        on_time[tr]
                        + paid_late[tr]
                        + recovered[tr]
                        - on_time_cf[tr]
                        - paid_late_cf[tr]
                        - recovered_cf[tr]
                    ).sum()
                )
                if month == s.end:
                    acc["overdue_cut"] = float(
                        (state["overdue"][s.treated] - overdue[s.treated]).sum()
                    )

        idx = np.flatnonzero(active)
        yield (
            "collection_monthly",
            pd.DataFrame(
                {
                    "patron_id": idx + 1,
                    "month": month,
                    "subdelegacion_id": subdel[idx],
                    "issued": issued[idx],
                    "paid_on_time": on_time[idx],
                    "paid_late": paid_late[idx],
                    "overdue_balance": overdue[idx],
                }
            ),
        )

        # ---- contacts: this month's first contacts, plus returns after unresolved ones
        lam = lam_band[band] * CONTACT_SEASON[moy] * (1.0 + 0.8 * late_prev) * active
        counts = rng.poisson(lam)
        who0 = np.repeat(np.arange(n), counts)
        years_in = t / 12
        shares = np.clip(CHANNEL_SHARE0 + CHANNEL_DRIFT * years_in, 0.005, None)
        by_band = shares[None, :] * np.ones((7, 1))
        by_band[:, CH["asistencia"]] *= ASSISTED_BY_BAND
        by_band = by_band / by_band.sum(axis=1, keepdims=True)
        ch0 = _pick_rows(rng, by_band[band[who0]])
        proc0 = _pick_rows(rng, PROC_BY_CHANNEL[ch0])
        days, dw = day_weights(month)
        day0 = days[rng.choice(len(days), size=len(who0), p=dw)]
        resolved0 = rng.random(len(who0)) < FCR[ch0]
        # returns of unresolved first contacts: same patron and procedure, 1-20 days later
        back = np.flatnonzero(~resolved0 & (rng.random(len(who0)) < FOLLOW_UP_PROB))
        f_day = day0[back] + rng.integers(1, 21, len(back)).astype("timedelta64[D]")
        f_ch = rng.choice(6, size=len(back), p=FOLLOW_UP_CHANNEL)
        # a procedure that cannot be done online comes back to the counter instead
        offline = ~np.array([p[2] for p in PROCEDURES])[proc0[back]]
        f_ch = np.where(offline & np.isin(f_ch, DIGITAL_IDX), CH["ventanilla"], f_ch)
        f_res = rng.random(len(back)) < FCR[f_ch]
        month_end_d = np.datetime64(month_end.date())
        now = f_day <= month_end_d
        who = np.concatenate([who0, pending["who"], who0[back][now]])
        ch = np.concatenate([ch0, pending["ch"], f_ch[now]])
        proc = np.concatenate([proc0, pending["proc"], proc0[back][now]])
        day = np.concatenate([day0, pending["day"], f_day[now]])
        resolved = np.concatenate([resolved0, pending["resolved"], f_res[now]])
        pending = {
            "who": who0[back][~now],
            "ch": f_ch[~now],
            "proc": proc0[back][~now],
            "day": f_day[~now],
            "resolved": f_res[~now],
        }
        m = len(who)
        dom = (day - np.datetime64(month.date())).astype(int) + 1
        peak = (dom >= 10) & (dom <= 17)
        presencial = np.isin(ch, [CH["ventanilla"], CH["asistencia"]])
        weak = presencial & np.isin(subdel[who], WEAK_SUBDELEGACIONES)
        minute = np.where(
            presencial, rng.integers(8 * 60, 15 * 60, m), rng.integers(7 * 60, 22 * 60, m)
        )
        started = day.astype("datetime64[m]") + minute.astype("timedelta64[m]")
        wait = np.where(
            WAIT_MEDIAN[ch] > 0,
            WAIT_MEDIAN[ch]
            * np.where(weak, WEAK_WAIT_FACTOR, 1.0)
            * np.exp(rng.normal(0, 0.6, m) + 0.35 * peak),
            0.0,
        ).round(1)
        handle = (HANDLE_MEDIAN[ch] * np.exp(rng.normal(0, 0.45, m))).round(1)
        cost = (UNIT_COST[ch] * np.exp(rng.normal(0, 0.15, m))).round(2)
        iso = pd.DatetimeIndex(day).isocalendar()
        inter_ids = np.arange(next_interaction_id, next_interaction_id + m)
        next_interaction_id += m
        order = np.lexsort((started, who))
        yield (
            "interaction",
            pd.DataFrame(
                {
                    "id": inter_ids,
                    "patron_id": who[order] + 1,
                    "subdelegacion_id": subdel[who[order]],
                    "channel_id": np.array(CH_IDS)[ch[order]],
                    "procedure_id": np.array(PROC_IDS)[proc[order]],
                    "started_at": started[order],
                    "day": day[order],
                    "month": month,
                    "iso_week": (iso["year"].to_numpy() * 100 + iso["week"].to_numpy())[order],
                    "wait_minutes": wait[order],
                    "handle_minutes": handle[order],
                    "resolved_first_contact": resolved[order],
                    "cost": cost[order],
                    "outcome": "atendido",
                    "caller_kind": "patron",
                    # queue channels only: a contact online or on paper never queued
                    "wait_seconds": np.where(WAIT_MEDIAN[ch] > 0, wait * 60, np.nan)[order],
                    "handle_seconds": handle[order] * 60,
                }
            ),
        )
        cc = np.flatnonzero(ch[order] == CH[ABANDON_CHANNEL])
        w_s = wait[order][cc] * 60
        gave_up = abandon_rng.poisson(np.expm1(w_s / PATIENCE_S))
        src = np.repeat(cc, gave_up)
        k = len(src)
        answered_total += len(cc)
        abandoned_total += k
        if k:
            w_src = wait[order][src] * 60
            u = abandon_rng.random(k)
            patience = -PATIENCE_S * np.log1p(-u * -np.expm1(-w_src / PATIENCE_S))
            waited = np.round(patience)  # whole seconds, as a switch logs them
            ids = np.arange(next_abandoned_id, next_abandoned_id + k)
            next_abandoned_id += k
            yield (
                "interaction",
                pd.DataFrame(
                    {
                        "id": ids,
                        "patron_id": pd.array([pd.NA] * k, dtype="Int64"),
                        "subdelegacion_id": subdel[who[order][src]],
                        "channel_id": ABANDON_CHANNEL,
                        "procedure_id": np.array(PROC_IDS)[proc[order][src]],
                        "started_at": started[order][src],
                        "day": day[order][src],
                        "month": month,
                        "iso_week": (iso["year"].to_numpy() * 100 + iso["week"].to_numpy())[order][
                            src
                        ],
                        "wait_minutes": waited / 60,
                        "handle_minutes": 0.0,
                        "resolved_first_contact": pd.array([pd.NA] * k, dtype="boolean"),
                        "cost": np.nan,
                        "outcome": "abandonado",
                        "caller_kind": "anonimo",
                        "wait_seconds": waited,
                        "handle_seconds": np.nan,
                    }
                ),
            )
        # keep arrays in id order for surveys and complaints
        who, ch, proc, day, peak, wait, resolved, weak = (
            who[order],
            ch[order],
            proc[order],
            day[order],
            peak[order],
            wait[order],
            resolved[order],
            weak[order],
        )

        # ---- surveys
        sel = np.flatnonzero(rng.random(m) < RESPONSE_RATE[ch])
        k = len(sel)
        sch = ch[sel]
        dropped = (sch == CH[DROP_CHANNEL]) & (day[sel] >= np.datetime64(DROP_DATE))
        q = (
            QUALITY_MU[sch]
            - DROP_SIZE * dropped
            - WEAK_QUALITY_CUT * weak[sel]
            - 0.25 * peak[sel]
            + rng.normal(0, 0.5, k)
        )
        channel_mu_sum += np.bincount(sch, weights=q, minlength=6)
        channel_mu_n += np.bincount(sch, minlength=6)

        def _dim(shift: np.ndarray | float) -> np.ndarray:
            return np.clip(np.round(q + shift + rng.normal(0, 0.7, k)), 1, 5).astype(int)

        courtesy = _dim(0.1)
        clarity = _dim(0.0)
        timeliness = _dim(-0.1 - 0.01 * np.minimum(wait[sel], 120))
        solution = _dim(np.where(resolved[sel], 0.4, -0.9))
        csat_cont = (
            DRIVER_WEIGHTS["courtesy"] * courtesy
            + DRIVER_WEIGHTS["clarity"] * clarity
            + DRIVER_WEIGHTS["timeliness"] * timeliness
            + DRIVER_WEIGHTS["solution"] * solution
            + rng.normal(0, 0.4, k)
        )
        csat = np.clip(np.round(csat_cont), 1, 5).astype(int)
        nps = np.clip(np.round(2.3 * csat_cont - 1.2 + rng.normal(0, 1.2, k)), 0, 10).astype(int)
        effort = np.clip(
            np.round(5.6 - 0.9 * csat_cont + 0.01 * wait[sel] + rng.normal(0, 0.6, k)), 1, 5
        ).astype(int)
        responded = (
            day[sel] + rng.geometric(0.6, k).astype("timedelta64[D]") - np.timedelta64(1, "D")
        )
        responded = np.minimum(responded, np.datetime64(month_end.date()))
        has_comment = rng.random(k) < 0.25
        comments = text.survey_comments(rng, csat)
        yield (
            "survey_response",
            pd.DataFrame(
                {
                    "id": np.arange(next_survey_id, next_survey_id + k),
                    "interaction_id": inter_ids[sel],
                    "subdelegacion_id": subdel[who[sel]],
                    "channel_id": np.array(CH_IDS)[sch],
                    "procedure_id": np.array(PROC_IDS)[proc[sel]],
                    "responded_on": responded,
                    "month": month,
                    "csat": csat,
                    "nps": nps,
                    "effort": effort,
                    "courtesy": courtesy,
                    "clarity": clarity,
                    "timeliness": timeliness,
                    "solution": solution,
                    "comment": pd.Series(
                        # numpy's stubs take no None for an object array's scalar
                        np.where(has_comment, comments, None),  # type: ignore[call-overload]
                        dtype=object,
                    ),
                }
            ),
        )
        next_survey_id += k

        # ---- complaints
        mult = np.where(resolved, 1.0, 2.2) * np.where(ch == CH["ventanilla"], 1.4, 1.0)
        csel = np.flatnonzero(rng.random(m) < COMPLAINT_RATE * mult)
        c_sub = subdel[who[csel]]
        c_ch = ch[csel]
        c_patron = np.where(rng.random(len(csel)) < 0.7, who[csel] + 1, -1)
        c_day = day[csel]
        extra_now = 0
        if month == SURGE_MONTH:
            contacts_there = int((subdel[who] == SURGE_SUBDELEGACION).sum())
            surge_expected = contacts_there * COMPLAINT_RATE * 1.6
            surge_extra = int(max(SURGE_MIN_EXTRA, round(SURGE_FACTOR * surge_expected)))
            extra_now = surge_extra
            days_s, dw_s = day_weights(month)
            c_sub = np.concatenate([c_sub, np.full(surge_extra, SURGE_SUBDELEGACION)])
            c_ch = np.concatenate([c_ch, np.full(surge_extra, CH["ventanilla"])])
            c_patron = np.concatenate([c_patron, np.full(surge_extra, -1)])
            c_day = np.concatenate([c_day, days_s[rng.choice(len(days_s), surge_extra, p=dw_s)]])
        nc = len(c_sub)
        is_surge = np.zeros(nc, dtype=bool)
        is_surge[nc - extra_now :] = extra_now > 0
        cat_probs = CATEGORY_BY_CHANNEL[c_ch]
        cat_probs = np.where(
            is_surge[:, None], np.array([0.25, 0.6, 0.05, 0.0, 0.05, 0.0, 0.0, 0.05]), cat_probs
        )
        category = _pick_rows(rng, cat_probs) + 1
        kind = rng.choice(4, size=nc, p=KIND_SHARES)
        # filed 0-3 days after the contact; the surge is filed in its month; nothing after the
        # data's as-of date
        lag = np.where(is_surge, 0, rng.integers(0, 4, nc)).astype("timedelta64[D]")
        received = np.minimum(c_day + lag, np.datetime64(DATA_AS_OF))
        due = add_working_days(received, kind_deadline[kind], YEARS)
        clock_days = kind_deadline[kind] * 1.4
        days_to_close = np.ceil(
            clock_days
            * 0.55
            * np.exp(rng.normal(0, 0.45, nc))
            * np.where(is_surge, np.where(rng.random(nc) < SURGE_STUCK_SHARE, 6.0, 1.6), 1.0)
        ).astype(int)
        closed = received + days_to_close.astype("timedelta64[D]")
        is_open = closed > np.datetime64(DATA_AS_OF)
        descriptions = text.complaint_descriptions(rng, category)
        labelled = rng.random(nc) >= UNLABELLED_SHARE
        r_iso = pd.DatetimeIndex(received).isocalendar()
        r_month = pd.DatetimeIndex(received).to_period("M").to_timestamp()
        ids = np.arange(next_complaint_id, next_complaint_id + nc)
        next_complaint_id += nc
        prefixes = np.array([KIND_PREFIX[k] for k in kind_ids])[kind]
        years = pd.DatetimeIndex(received).year.to_numpy()
        yield (
            "complaint",
            pd.DataFrame(
                {
                    "id": ids,
                    "folio": [
                        f"{p}-{y}-{i:07d}" for p, y, i in zip(prefixes, years, ids, strict=True)
                    ],
                    "kind_id": kind_ids[kind],
                    "category_id": pd.Series(category, dtype="Int64").where(labelled),
                    "channel_id": np.array(CH_IDS)[c_ch],
                    "subdelegacion_id": c_sub,
                    "patron_id": pd.Series(c_patron, dtype="Int64").where(c_patron > 0),
                    "received_on": received,
                    "month": r_month,
                    "iso_week": r_iso["year"].to_numpy() * 100 + r_iso["week"].to_numpy(),
                    "due_on": due,
                    "closed_on": pd.Series(np.where(is_open, np.datetime64("NaT"), closed)).astype(
                        "datetime64[s]"
                    ),
                    "days_to_close": pd.Series(days_to_close, dtype="Int64").where(~is_open),
                    "status": np.where(is_open, "abierta", "cerrada"),
                    "description": descriptions,
                }
            ),
        )

        # ---- proactive orientations given by offices (no planted effect)
        if t >= 6:
            o_p = 0.002 * (1 + 10 * p_act0) * active
            o_sel = np.flatnonzero(rng.random(n) < o_p)
            no = len(o_sel)
            days_o, dw_o = day_weights(month)
            o_day = days_o[rng.choice(len(days_o), no, p=dw_o)]
            yield (
                "orientation",
                pd.DataFrame(
                    {
                        "id": np.arange(next_orientation_id, next_orientation_id + no),
                        "patron_id": o_sel + 1,
                        "oriented_on": o_day,
                        "month": month,
                        "channel_id": np.where(
                            rng.random(no) < 0.6, "asistencia", "contact_center"
                        ),
                        "outcome": np.array(
                            ["regularizado", "compromiso de pago", "orientado", "sin contacto"]
                        )[rng.choice(4, no, p=[0.25, 0.3, 0.3, 0.15])],
                    }
                ),
            )
            next_orientation_id += no

        late_hist[t % 12] = late
        late_prev = late

    # ---------------------------------------------------------------------- ground truth
    for s in specs:
        # every campaign starts within the generated months, so its arms were assigned
        assert s.treated is not None and s.control is not None
        acc = effect_acc[s.code]
        pm = max(acc["pm"], 1)
        truth.add(
            f"campaign.{s.code}.effect_on_time_pp",
            100 * acc["p_diff"] / pm,
            "pp",
            f"Aumento verdadero (esperado) de la tasa de pago oportuno entre tratados de {s.code} "
            "durante la campaña",
            start=str(s.start.date()),
            months=s.months,
            assignment=s.assignment,
            planted_cut_pp=100 * s.effect_pp,
            realised_pp=100 * acc["late_diff"] / pm,
            patron_months=acc["pm"],
            treated=int(len(s.treated)),
            control=int(len(s.control)),
            pilot_ooads=[int(x) for x in pilot] if s.assignment == "dirigida" else None,
            ooads=list(SIN_CONTROL_OOADS) if s.assignment == "sin_control" else None,
        )
        truth.add(
            f"campaign.{s.code}.on_time_amount_per_patron_month",
            acc["on_time_amount"] / pm,
            "MXN",
            f"Monto adicional pagado a tiempo por patrón-mes tratado en {s.code}",
        )
        truth.add(
            f"campaign.{s.code}.additional_collection",
            acc["collected"],
            "MXN",
            f"Recaudación adicional total (a tiempo, tardía y recuperación de adeudos) de {s.code} "
            "durante la campaña",
        )
        truth.add(
            f"campaign.{s.code}.overdue_regularised",
            acc["overdue_cut"],
            "MXN",
            f"Saldo vencido menor al cierre de {s.code} frente al contrafactual",
        )
    mu = channel_mu_sum / np.maximum(channel_mu_n, 1)
    for i, c in enumerate(CH_IDS):
        truth.add(f"channel.{c}.unit_cost", UNIT_COST[i], "MXN", f"Costo medio por contacto de {c}")
        truth.add(
            f"channel.{c}.first_contact_resolution",
            FCR[i],
            "proporción",
            f"Resolución al primer contacto planteada para {c}",
        )
        truth.add(
            f"channel.{c}.quality_mu",
            QUALITY_MU[i],
            "puntos 1-5",
            f"Calidad latente planteada para {c}",
            realised_mean=float(mu[i]),
        )
    for sub_id in WEAK_SUBDELEGACIONES:
        truth.add(
            f"weak_office.{sub_id}.quality_cut",
            WEAK_QUALITY_CUT,
            "puntos 1-5",
            "Calidad latente menor en la atención presencial (ventanilla y asistencia) de la "
            "subdelegación, con esperas 1.5 veces más largas en esos canales",
            subdelegacion_id=sub_id,
            wait_factor=WEAK_WAIT_FACTOR,
        )
    truth.add(
        "channel.equal_first_contact_resolution",
        float(FCR[CH["contact_center"]]),
        "proporción",
        "Contact center y Buzón IMSS tienen la misma resolución al primer contacto planteada: "
        "una diferencia entre ellos es ruido",
        channels=["contact_center", "buzon"],
    )
    truth.add(
        "satisfaction_drop.size",
        DROP_SIZE,
        "puntos 1-5",
        "Caída de la calidad latente del canal después de la fecha",
        channel=DROP_CHANNEL,
        date=str(DROP_DATE),
    )
    truth.add(
        "complaint_surge.extra",
        surge_extra,
        "quejas",
        "Quejas adicionales plantadas en una subdelegación y mes",
        subdelegacion_id=SURGE_SUBDELEGACION,
        month=str(SURGE_MONTH.date()),
        expected_without_surge=surge_expected,
    )
    for dim_name, v in DRIVER_WEIGHTS.items():
        truth.add(
            f"survey_driver.{dim_name}",
            v,
            "peso",
            f"Peso de la dimensión {dim_name} en la satisfacción general",
        )
    truth.add(
        "contact_center.patience_seconds",
        PATIENCE_S,
        "segundos",
        "Paciencia media de quien llama al contact center: el abandono crece con la espera, "
        "P(abandonar | espera w) = 1 - exp(-w / paciencia)",
        channel=ABANDON_CHANNEL,
        abandoned=int(abandoned_total),
        answered=int(answered_total),
        abandonment_rate=abandoned_total / max(abandoned_total + answered_total, 1),
    )
    truth.add(
        "digital_share.drift",
        float(CHANNEL_DRIFT[[CH["en_linea"], CH["buzon"]]].sum()),
        "proporción por año",
        "Aumento anual planteado de la participación digital",
    )
    yield "ground_truth", truth.frame()
