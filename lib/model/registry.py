"""Model runs in the shared database: parameters, window, metrics, code version and the fitted
model itself (pickled into model_run.artifact), so any app process can score; scoring writes
one patron_flag row per patron with score, rank and reasons a field officer can say."""

from __future__ import annotations

import datetime as dt
import json
import pickle
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete, insert, select, update

from lib.db.bulk import indexes_built_after_load, insert_frame
from lib.db.generation import bump_generation
from lib.db.schema import DatasetInfo, ModelRun, PatronFlag
from lib.format import fmt_mxn
from lib.model.features import CATEGORICAL, HORIZON, NUMERIC, features_as_of
from lib.model.train import TrainingResult
from lib.threads import one_thread

ROOT = Path(__file__).resolve().parents[2]
SIZE_WORDS = {"S1": "tiene un solo puesto de trabajo", "S2": "tiene de 2 a 5 puestos de trabajo"}


def code_version() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return out.stdout.strip() or "desconocida"
    except (OSError, subprocess.SubprocessError):
        return "desconocida"


def save_run(engine: Engine, result: TrainingResult, author: str | None = None) -> int:
    """One model_run row with everything needed to score and to explain; returns its id."""
    artifact = pickle.dumps(
        {
            "model": result.models[result.chosen],
            "coefficients": result.coefficients,
            "chosen": result.chosen,
        }
    )
    with engine.begin() as conn:
        conn.execute(update(ModelRun).values(in_use=False))
        run_id = conn.execute(
            insert(ModelRun)
            .values(
                created_at=dt.datetime.now().replace(microsecond=0),
                model_kind=result.chosen,
                params={
                    "horizon_months": HORIZON,
                    "calibration": "isotonic, cv=3, ensemble=False",
                    "train_cutoffs": [str(c) for c in result.train_cutoffs],
                },
                train_from=min(result.train_cutoffs),
                train_to=max(result.train_cutoffs),
                cutoff=result.test_cutoff,
                metrics=result.metrics,
                code_version=code_version(),
                artifact=artifact,
                in_use=True,
                created_by=author,
            )
            .returning(ModelRun.id)
        ).scalar_one()
        # part of every cache key (DatasetMeta.version): pages see the new model at once
        conn.execute(delete(DatasetInfo).where(DatasetInfo.key == "model_trained_at"))
        conn.execute(
            insert(DatasetInfo).values(
                key="model_trained_at", value=dt.datetime.now().isoformat(timespec="seconds")
            )
        )
        bump_generation(conn)
    return int(run_id)


def load_run(engine: Engine, run_id: int | None = None) -> tuple[int, dict]:
    with engine.connect() as conn:
        q = select(ModelRun.id, ModelRun.artifact)
        q = q.where(ModelRun.id == run_id) if run_id else q.where(ModelRun.in_use.is_(True))
        row = conn.execute(q.order_by(ModelRun.id.desc()).limit(1)).first()
    if row is None:
        raise ValueError("No hay un modelo entrenado: ejecute `python -m lib train`")
    return int(row.id), pickle.loads(row.artifact)


MIN_CONTRIBUTION = 0.1  # log-odds; a weaker push is not a reason worth telling the patron
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V"}


def _count_phrase(n: pd.Series, one: str, many: str) -> pd.Series:
    k = n.fillna(0).astype(int)
    return pd.Series(
        np.where(k == 1, one, k.astype(str) + " " + many), index=n.index, dtype=object
    ).where(k > 0)


def _phrases(f: pd.DataFrame) -> pd.DataFrame:
    """What can be said of each patron for each feature, in a field officer's words (NaN where
    the feature does not describe a risk for that patron: no late payments, an old registry)."""
    overdue = np.expm1(f["log_overdue"].astype(float))
    out = {
        "late_1m": pd.Series("pagó tarde el mes pasado", index=f.index).where(f["late_1m"] > 0),
        "late_6m": _count_phrase(
            f["late_6m"], "1 pago tardío en 6 meses", "pagos tardíos en 6 meses"
        ),
        "late_12m": _count_phrase(
            f["late_12m"], "1 pago tardío en 12 meses", "pagos tardíos en 12 meses"
        ),
        "log_overdue": overdue.where(overdue > 0.5).map(
            lambda v: f"saldo vencido de {fmt_mxn(v)}", na_action="ignore"
        ),
        "overdue_up": pd.Series("su saldo vencido creció en 3 meses", index=f.index).where(
            f["overdue_up"] > 0
        ),
        "age_years": f["age_years"]
        .where(f["age_years"] < 3)
        .map(lambda v: f"registro reciente (hace {v:.1f} años)", na_action="ignore"),
        "risk_class": f["risk_class"]
        .where(f["risk_class"] >= 4)
        .map(lambda v: f"clase de riesgo {ROMAN[int(v)]}", na_action="ignore"),
        "unresolved_3m": _count_phrase(
            f["unresolved_3m"],
            "1 contacto sin resolver en 3 meses",
            "contactos sin resolver en 3 meses",
        ),
        "contacts_3m": _count_phrase(
            f["contacts_3m"], "1 contacto en 3 meses", "contactos en 3 meses"
        ),
        "complaints_12m": pd.Series("presentó quejas en el último año", index=f.index).where(
            f["complaints_12m"] > 0
        ),
        "size": f["size_band_id"].map(SIZE_WORDS),
    }
    return pd.DataFrame(out, index=f.index)


def reasons(
    features: pd.DataFrame,
    coefficients: pd.Series,
    top: int = 3,
    center: pd.Series | None = None,
    spread: pd.Series | None = None,
) -> list[list[str]]:
    """For each patron, the (at most ``top``) features pushing its risk up most, in words.

    A push is the standardized logistic reading: coefficient × distance from the average
    patron (``center``/``spread``, the whole scored population when scoring in chunks). Pushes
    under MIN_CONTRIBUTION, and features with nothing to say for that patron, are left out, so a
    low-risk patron may get fewer reasons, or none, rather than a weak one.
    """
    num = [c for c in coefficients.index if c.startswith("num__")]
    cols = [c.removeprefix("num__") for c in num]
    x = features[cols].astype(float)
    center = x.mean() if center is None else center[cols]
    spread = (x.std(ddof=0) if spread is None else spread[cols]).replace(0, 1)
    push = ((x - center) / spread) * coefficients[num].to_numpy()
    size_coef = [v for c, v in coefficients.items() if c.startswith("cat__size_band_id_")]
    size_push = -min(size_coef, default=0) * 0.5
    push["size"] = np.where(features["size_band_id"].isin(list(SIZE_WORDS)), size_push, 0.0)
    words = _phrases(features)
    push = push[[c for c in push.columns if c in words.columns]]
    strength = push.where(words[push.columns].notna() & (push >= MIN_CONTRIBUTION)).to_numpy()
    said = words[push.columns].to_numpy(dtype=object)
    order = np.argsort(-np.nan_to_num(strength, nan=-np.inf), axis=1)[:, :top]
    picked = np.take_along_axis(strength, order, axis=1)
    phrases = np.take_along_axis(said, order, axis=1)
    keep = ~np.isnan(picked)
    return [list(p[k]) for p, k in zip(phrases, keep, strict=True)]


def office_ranks(rank: np.ndarray, office: np.ndarray) -> np.ndarray:
    """Each patron's place within its office (1 = the office's highest risk), in the order of
    the run's ``rank``: what the orientation list reads to take each office's top k."""
    return pd.Series(rank).groupby(office).rank(method="first").astype(int).to_numpy()


def score_all(
    engine: Engine, cutoff: dt.date, run_id: int | None = None, chunk: int = 200_000
) -> tuple[int, int]:
    """Score every patron as of ``cutoff`` with a stored run; returns (run id, patrons).

    Memory: the feature matrix, one score per patron, the reasons of one chunk at a time as
    frames and every patron's reasons as JSON text (about 0.15 GB at national scale). The
    population stability index of these scores against the run's evaluation scores is stored
    with the run, so the page can warn when the population has drifted.

    The flags are written in one transaction that replaces the run's previous ones. On
    PostgreSQL the table's key, foreign keys and indexes are dropped and rebuilt around the
    COPY (``indexes_built_after_load``): checking two foreign keys row by row, and the key
    against the run's just-deleted rows, took 5 times as long as the load itself. The rebuild
    locks ``patron_flag`` until the commit (seconds), so a list page waits for it; everything
    slow (features, prediction, reasons) happens before the transaction.
    """
    from lib.model.train import population_stability

    run_id, art = load_run(engine, run_id)
    feats = features_as_of(engine, cutoff, with_label=False)
    if feats.empty:
        raise ValueError(f"No hay patrones con pagos en los 12 meses previos al {cutoff:%d/%m/%Y}")
    model, coefs = art["model"], art["coefficients"]
    x = feats[NUMERIC + CATEGORICAL]
    with one_thread("openmp"):  # lib/threads.py
        scores = np.concatenate(
            [model.predict_proba(x.iloc[i : i + chunk])[:, 1] for i in range(0, len(feats), chunk)]
        )
    del x
    ranks = pd.Series(scores).rank(ascending=False, method="first").astype(int).to_numpy()
    numeric = feats[NUMERIC].astype(float)
    center, spread = numeric.mean(), numeric.std(ddof=0)
    del numeric
    why = [
        json.dumps(w, ensure_ascii=False)
        for i in range(0, len(feats), chunk)
        for w in reasons(feats.iloc[i : i + chunk], coefs, center=center, spread=spread)
    ]
    flags = pd.DataFrame(
        {
            "model_run_id": run_id,
            "patron_id": feats["id"].to_numpy(),
            "score": scores.round(6),
            "rank": ranks,
            "reasons": why,
            "subdelegacion_id": feats["subdelegacion_id"].to_numpy(),
            "ooad_id": feats["ooad_id"].to_numpy(),
            "office_rank": office_ranks(ranks, feats["subdelegacion_id"].to_numpy()),
        }
    )
    del feats, why
    with engine.connect() as conn:
        run_metrics = dict(
            conn.execute(select(ModelRun.metrics).where(ModelRun.id == run_id)).scalar_one()
        )
    reference = run_metrics.get("score_reference")
    drift = {
        "psi": population_stability(reference, scores) if reference else None,
        "cutoff": str(cutoff),
        "scored_at": dt.datetime.now().isoformat(timespec="seconds"),
        "patrons": int(len(flags)),
        "mean_score": float(scores.mean()),
    }
    with engine.begin() as conn:  # all or nothing: a failed scoring keeps the previous one
        conn.execute(delete(PatronFlag).where(PatronFlag.model_run_id == run_id))
        with indexes_built_after_load(conn, [PatronFlag.__tablename__]):
            insert_frame(conn, PatronFlag.__table__, flags)
        conn.execute(
            update(ModelRun)
            .where(ModelRun.id == run_id)
            .values(metrics={**run_metrics, "drift": drift})
        )
        if conn.dialect.name == "postgresql":  # fresh statistics for the list's ranking query
            conn.exec_driver_sql("ANALYZE patron_flag")
    return run_id, len(flags)
