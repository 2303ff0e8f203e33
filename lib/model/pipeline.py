"""Train, store and score in one call: what `python -m lib train` + `score` and the page's
button do, with progress reported for the screen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Engine

from lib.access import User, require
from lib.audit import record_event
from lib.filters import add_months
from lib.model.features import HORIZON, features_as_of
from lib.model.registry import save_run, score_all
from lib.model.train import TrainingResult, train
from lib.policy import Permission

Progress = Callable[[float, str], object]  # its return is ignored (st.progress returns the bar)


def default_cutoffs(last_month: dt.date) -> tuple[dt.date, dt.date]:
    """(evaluation cut-off, scoring cut-off) for data whose last full month is ``last_month``:
    evaluate on the cut-off six months back (its 3-month label is then observed) and score
    as of the month after the data, i.e. on everything known."""
    return add_months(last_month, -6), add_months(last_month, 1)


def train_and_store(
    engine: Engine, test_cutoff: dt.date, actor: User, progress: Progress | None = None
) -> tuple[int, TrainingResult]:
    """Train on three cut-offs before ``test_cutoff``, evaluate on it, store the run. The
    policy is checked here, not only on the page: a new model changes every office's list."""
    require(actor, Permission.TRAIN_SCORE)
    report = progress or (lambda _f, _m: None)
    cutoffs = [add_months(test_cutoff, -HORIZON * k) for k in (4, 3, 2)]
    frames = []
    for i, c in enumerate(cutoffs):
        report(i / 6, f"Variables al {c:%m/%Y}")
        frames.append(features_as_of(engine, c))
    report(3 / 6, f"Variables al {test_cutoff:%m/%Y} (evaluación)")
    test = features_as_of(engine, test_cutoff)
    report(4 / 6, "Entrenando y calibrando dos modelos")
    result = train(frames, test)
    run_id = save_run(engine, result, author=actor.username)
    record_event(engine, actor, "train", f"model_run {run_id}", details={"model": result.chosen})
    return run_id, result


def train_store_and_score(
    engine: Engine,
    test_cutoff: dt.date,
    score_cutoff: dt.date,
    actor: User,
    progress: Progress | None = None,
) -> int:
    report = progress or (lambda _f, _m: None)
    run_id, _ = train_and_store(engine, test_cutoff, actor, report)
    report(5 / 6, "Calificando a todos los patrones")
    _, scored = score_all(engine, score_cutoff, run_id)
    record_event(engine, actor, "score", f"model_run {run_id}", rows=scored)
    report(1.0, "Listo")
    return run_id
