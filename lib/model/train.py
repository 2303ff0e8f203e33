"""Time-honest training: fit on cut-offs before a date, evaluate on a later cut-off.

Two calibrated models (logistic regression, histogram gradient boosting) and a one-line rule
("paid late last month") as the bar to clear. Metrics are computed on the later cut-off only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from lib.model.features import CATEGORICAL, NUMERIC


def _logistic() -> Pipeline:
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore", drop="first"), CATEGORICAL),
        ]
    )
    return Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=2000, C=1.0))])


def _boosting() -> Pipeline:
    pre = ColumnTransformer(
        [
            ("num", "passthrough", NUMERIC),
            (
                "cat",
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
                CATEGORICAL,
            ),
        ]
    )
    cat_mask = [False] * len(NUMERIC) + [True] * len(CATEGORICAL)
    clf = HistGradientBoostingClassifier(
        max_iter=200,
        learning_rate=0.08,
        max_leaf_nodes=31,
        categorical_features=cat_mask,
        random_state=0,
    )
    return Pipeline([("pre", pre), ("clf", clf)])


def metrics(y: np.ndarray, score: np.ndarray, k: int) -> dict[str, float]:
    """ROC AUC, PR AUC, Brier, and precision/recall among the ``k`` highest scores."""
    order = np.argsort(-score, kind="stable")[:k]
    hits = y[order].sum()
    return {
        "roc_auc": float(roc_auc_score(y, score)),
        "pr_auc": float(average_precision_score(y, score)),
        "brier": float(brier_score_loss(y, np.clip(score, 0, 1))),
        "precision_at_k": float(hits / max(k, 1)),
        "recall_at_k": float(hits / max(y.sum(), 1)),
        "base_rate": float(y.mean()),
    }


@dataclass
class TrainingResult:
    models: dict[str, Pipeline]
    metrics: dict[str, dict[str, float]]
    chosen: str
    train_cutoffs: list[dt.date]
    test_cutoff: dt.date
    coefficients: pd.Series = field(default_factory=pd.Series)


def train(
    train_frames: list[pd.DataFrame], test_frame: pd.DataFrame, k: int | None = None
) -> TrainingResult:
    """Fit both calibrated models on the stacked training cut-offs; score the test cut-off."""
    train_df = pd.concat(train_frames, ignore_index=True)
    if train_df["label"].nunique() < 2 or test_frame["label"].nunique() < 2:
        raise ValueError("Los cortes no tienen patrones cumplidos e incumplidos a la vez")
    x, y = train_df[NUMERIC + CATEGORICAL], train_df["label"].to_numpy()
    xt, yt = test_frame[NUMERIC + CATEGORICAL], test_frame["label"].to_numpy()
    k = k or max(1, len(test_frame) // 20)
    models, result = {}, {}
    for name, make in (("logistic", _logistic), ("boosting", _boosting)):
        model = CalibratedClassifierCV(make(), method="isotonic", cv=3)
        model.fit(x, y)
        models[name] = model
        result[name] = metrics(yt, model.predict_proba(xt)[:, 1], k)
    result["rule_late_last_month"] = metrics(yt, test_frame["late_1m"].to_numpy(float), k)
    chosen = max(("logistic", "boosting"), key=lambda n: result[n]["roc_auc"])
    # Coefficients of a plain (uncalibrated) logistic fit: the reading of the drivers.
    plain = _logistic().fit(x, y)
    names = plain.named_steps["pre"].get_feature_names_out()
    coefs = pd.Series(plain.named_steps["clf"].coef_[0], index=names)
    return TrainingResult(
        models,
        result,
        chosen,
        sorted({f for f in train_df["cutoff"]}),
        test_frame["cutoff"].iloc[0],
        coefs.sort_values(key=np.abs, ascending=False),
    )
