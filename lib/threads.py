"""Native thread pools (BLAS, OpenMP) held to one thread while a heavy fit runs.

An app server runs many sessions at once on few cores, so a library that starts one thread
per core for each fit competes with every other session and with itself. Measured on this
project's 2 shared cores:

- BLAS (the campaign estimators' SVD of a tall, narrow design, 780,000 x 24 at national
  scale): ``analyse`` 11.1 s wall / 7.7 s CPU with OpenBLAS's default threads, 4.1 s / 3.0 s
  with one.
- OpenMP (scikit-learn's HistGradientBoosting in the orientation model): training and
  calibrating both models on the tiny institute took 2.2 s with one thread and 18.7 s with
  two while the other core was busy (a test run beside it); the demo's first start spent
  92 s there. OpenMP's threads spin while they wait for each other, so a busy core stalls
  the whole fit.

The limit is process-wide (threadpoolctl changes the libraries' global setting), so it is
counted per library: set by the first fit that starts and restored when the last concurrent
one ends.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from threadpoolctl import threadpool_limits

Api = Literal["blas", "openmp"]

_lock = threading.Lock()
_users: dict[str, int] = {}
_limiters: dict[str, threadpool_limits] = {}


@contextmanager
def one_thread(api: Api) -> Iterator[None]:
    """Run the block with ``api``'s pool at one thread (see the module's measurements)."""
    with _lock:
        if _users.get(api, 0) == 0:
            _limiters[api] = threadpool_limits(limits=1, user_api=api)
        _users[api] = _users.get(api, 0) + 1
    try:
        yield
    finally:
        with _lock:
            _users[api] -= 1
            if _users[api] == 0:
                _limiters.pop(api).restore_original_limits()
