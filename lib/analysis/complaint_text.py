"""Complaint categories from their text: TF-IDF on Spanish words and a linear classifier.

Trained on the labelled history, evaluated on the most recent labelled complaints it did not
see (a time-honest hold-out), then used to suggest a category for unlabelled complaints.
"Rising terms" compare each word's share of the current period's complaints with the
previous period's, smoothed so that rare words do not dominate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.pipeline import Pipeline

SPANISH_STOP = [
    "a",
    "al",
    "algo",
    "ante",
    "antes",
    "aun",
    "aunque",
    "como",
    "con",
    "contra",
    "cual",
    "cuando",
    "de",
    "del",
    "desde",
    "donde",
    "durante",
    "e",
    "el",
    "ella",
    "ellas",
    "ellos",
    "en",
    "entre",
    "era",
    "es",
    "esa",
    "ese",
    "eso",
    "esta",
    "este",
    "esto",
    "fue",
    "ha",
    "hay",
    "la",
    "las",
    "le",
    "les",
    "lo",
    "los",
    "mas",
    "me",
    "mi",
    "muy",
    "no",
    "nos",
    "o",
    "otra",
    "otro",
    "para",
    "pero",
    "por",
    "porque",
    "que",
    "quien",
    "se",
    "ser",
    "si",
    "sin",
    "sobre",
    "su",
    "sus",
    "tambien",
    "te",
    "tiene",
    "todo",
    "tras",
    "tu",
    "un",
    "una",
    "uno",
    "unos",
    "y",
    "ya",
    "además",
    "manifiesta",
    "refiere",
    "indica",
    "señala",
    "reporta",
    "solicita",
    "pide",
    "requiere",
    "patrón",
    "persona",
    "usuaria",
    "representante",
    "legal",
    "contador",
    "externo",
    "caso",
    "respuesta",
    "escrito",
    "brevedad",
    "intervención",
    "subdelegación",
    "revise",
    "atienda",
    "se",
    "recibe",
    "inconformidad",
    "porque",
]


@dataclass
class TextModel:
    pipeline: Pipeline
    accuracy: float
    n_train: int
    n_test: int
    baseline_accuracy: float  # always predicting the most common category


def train(texts: pd.DataFrame, test_share: float = 0.2, min_rows: int = 40) -> TextModel:
    """Fit on older labelled complaints, score on the newest ``test_share`` of them."""
    labelled = texts.dropna(subset=["category_id"]).sort_values(["month", "id"])
    if len(labelled) < min_rows or labelled["category_id"].nunique() < 2:
        raise ValueError(
            f"Se necesitan al menos {min_rows} quejas clasificadas de dos o más "
            "categorías para entrenar el modelo de texto"
        )
    cut = int(len(labelled) * (1 - test_share))
    train_, test = labelled.iloc[:cut], labelled.iloc[cut:]
    pipe = Pipeline(
        [
            (
                "tfidf",
                TfidfVectorizer(
                    stop_words=SPANISH_STOP,
                    ngram_range=(1, 2),
                    min_df=2,
                    sublinear_tf=True,
                    strip_accents=None,
                    lowercase=True,
                ),
            ),
            ("clf", LogisticRegression(max_iter=2000, C=4.0)),
        ]
    )
    pipe.fit(train_["description"], train_["category_id"].astype(int))
    pred = pipe.predict(test["description"])
    majority = train_["category_id"].astype(int).mode().iloc[0]
    return TextModel(
        pipe,
        float(accuracy_score(test["category_id"].astype(int), pred)),
        len(train_),
        len(test),
        float((test["category_id"].astype(int) == majority).mean()),
    )


def suggest(model: TextModel, texts: pd.DataFrame) -> pd.DataFrame:
    """Category and confidence for each text."""
    if texts.empty:
        return texts.assign(suggested=[], confidence=[])
    proba = model.pipeline.predict_proba(texts["description"])
    classes = model.pipeline.classes_
    return texts.assign(suggested=classes[proba.argmax(axis=1)], confidence=proba.max(axis=1))


def rising_terms(
    current: pd.Series, previous: pd.Series, top: int = 10, min_count: int = 3
) -> pd.DataFrame:
    """Words whose share of complaints grew most from ``previous`` to ``current`` texts."""
    if current.empty:
        return pd.DataFrame(columns=["term", "current", "previous", "ratio"])
    vec = CountVectorizer(stop_words=SPANISH_STOP, binary=True, min_df=1)
    vec.fit(pd.concat([current, previous]))
    cur = np.asarray(vec.transform(current).sum(axis=0)).ravel()
    prev = np.asarray(vec.transform(previous).sum(axis=0)).ravel() if len(previous) else 0 * cur
    n_cur, n_prev = max(len(current), 1), max(len(previous), 1)
    ratio = ((cur + 0.5) / n_cur) / ((prev + 0.5) / n_prev)
    terms = np.array(vec.get_feature_names_out())
    out = pd.DataFrame({"term": terms, "current": cur, "previous": prev, "ratio": ratio})
    out = out[out["current"] >= min_count]
    return out.sort_values(["ratio", "current"], ascending=False).head(top).reset_index(drop=True)
