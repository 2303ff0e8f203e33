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

from lib.db.bulk import insert_frame
from lib.db.schema import DatasetInfo, ModelRun, PatronFlag
from lib.format import fmt_int, fmt_mxn
from lib.model.features import CATEGORICAL, HORIZON, NUMERIC, features_as_of
from lib.model.train import TrainingResult

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
                    "calibration": "isotonic, cv=3",
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
    return int(run_id)


def load_run(engine: Engine, run_id: int | None = None) -> tuple[int, dict]:
    with engine.connect() as conn:
        q = select(ModelRun.id, ModelRun.artifact)
        q = q.where(ModelRun.id == run_id) if run_id else q.where(ModelRun.in_use.is_(True))
        row = conn.execute(q.order_by(ModelRun.id.desc()).limit(1)).first()
    if row is None:
        raise ValueError("No hay un modelo entrenado: ejecute `python -m lib train`")
    return int(row.id), pickle.loads(row.artifact)  # noqa: S301 (our own database)


def reasons(features: pd.DataFrame, coefficients: pd.Series, top: int = 3) -> list[list[str]]:
    """For each patron, the features pushing its risk up most, in words (linear contributions
    of the standardized logistic reading: coefficient × distance from the average)."""
    phrases = []
    num = [c for c in coefficients.index if c.startswith("num__")]
    cols = [c.removeprefix("num__") for c in num]
    x = features[cols].astype(float)
    z = (x - x.mean()) / x.std(ddof=0).replace(0, 1)
    contrib = z.to_numpy() * coefficients[num].to_numpy()
    size_coef = {
        c.removeprefix("cat__size_band_id_"): v
        for c, v in coefficients.items()
        if c.startswith("cat__size_band_id_")
    }
    for i, (_, row) in enumerate(features.iterrows()):
        cands = [(contrib[i, j], cols[j]) for j in range(len(cols)) if contrib[i, j] > 0]
        size_push = -min(size_coef.values(), default=0) if row["size_band_id"] in SIZE_WORDS else 0
        if size_push > 0:
            cands.append((size_push * 0.5, "size"))
        words = [_say(name, row) for _, name in sorted(cands, reverse=True)]
        phrases.append([w for w in words if w][:top])
    return phrases


def _say(name: str, r: pd.Series) -> str | None:
    if name == "late_6m" and r["late_6m"] > 0:
        return f"{fmt_int(r['late_6m'])} pagos tardíos en 6 meses"
    if name == "late_12m" and r["late_12m"] > 0:
        return f"{fmt_int(r['late_12m'])} pagos tardíos en 12 meses"
    if name == "late_1m" and r["late_1m"] > 0:
        return "pagó tarde el mes pasado"
    if name == "log_overdue" and r["log_overdue"] > 0:
        return f"saldo vencido de {fmt_mxn(np.expm1(r['log_overdue']))}"
    if name == "overdue_up" and r["overdue_up"]:
        return "su saldo vencido creció en 3 meses"
    if name == "age_years":
        return f"registrado hace {r['age_years']:.1f} años"
    if name == "unresolved_3m" and r["unresolved_3m"] > 0:
        return f"{fmt_int(r['unresolved_3m'])} contactos sin resolver en 3 meses"
    if name == "contacts_3m" and r["contacts_3m"] > 0:
        return f"{fmt_int(r['contacts_3m'])} contactos en 3 meses"
    if name == "complaints_12m" and r["complaints_12m"] > 0:
        return "presentó quejas en el último año"
    if name == "size":
        return SIZE_WORDS.get(r["size_band_id"])
    return None


def score_all(
    engine: Engine, cutoff: dt.date, run_id: int | None = None, chunk: int = 200_000
) -> tuple[int, int]:
    """Score every patron as of ``cutoff`` with a stored run; returns (run id, patrons)."""
    run_id, art = load_run(engine, run_id)
    feats = features_as_of(engine, cutoff, with_label=False)
    model, coefs = art["model"], art["coefficients"]

    scores = (
        np.concatenate(
            [
                model.predict_proba(feats.iloc[i : i + chunk][NUMERIC + CATEGORICAL])[:, 1]
                for i in range(0, len(feats), chunk)
            ]
        )
        if len(feats)
        else np.array([])
    )
    feats["score"] = scores
    feats["rank"] = feats["score"].rank(ascending=False, method="first").astype(int)
    flags = pd.DataFrame(
        {
            "model_run_id": run_id,
            "patron_id": feats["id"],
            "score": feats["score"].round(6),
            "rank": feats["rank"],
        }
    )
    why = []
    for i in range(0, len(feats), chunk):
        why += reasons(feats.iloc[i : i + chunk], coefs)
    with engine.begin() as conn:  # all or nothing: a failed scoring keeps the previous one
        conn.execute(delete(PatronFlag).where(PatronFlag.model_run_id == run_id))
        insert_frame(
            conn,
            PatronFlag.__table__,
            flags.assign(reasons=[json.dumps(w, ensure_ascii=False) for w in why]),
        )
    return run_id, len(flags)
