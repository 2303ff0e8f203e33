"""Page reads on a streaming replica, only when it holds what the page claims to show.

A page reads the dataset version from the primary (lib/queries/meta.py ``dataset_meta``, on
every view) and keys its cached results on it. Its cached reads may go to a read replica
(``MIRADOR_READ_DATABASE_URL``, lib/db/engine.py ``read_url``) only when the replica's own
``dataset_info`` gives the same version: WAL is replayed in commit order, so a replica showing
the transaction that set the version holds everything committed before it, and the figures
are those of the version the page states. Otherwise — the replica lags (a load or refresh not
replayed yet, replay paused) or does not answer — the read goes to the primary, and one line is
logged when the state changes (never a page error, never patron data in the log).

A replica that does not answer is not asked again for ``retry_after_s`` seconds, so a host
that is down costs one connection attempt per half minute, not one per page view. A decision
is reused for ``recheck_s`` seconds for the same version, so a page with many cache misses
asks the replica once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from lib.queries.meta import dataset_version

log = logging.getLogger("mirador.replica")

State = Literal["unknown", "in_use", "behind", "down"]


@dataclass
class ReplicaRouter:
    """Where one process sends its cached page reads: ``replica`` or the primary."""

    replica: Engine
    retry_after_s: float = 30.0
    recheck_s: float = 1.0
    clock: Callable[[], float] = time.monotonic
    state: State = "unknown"
    _down_until: float = 0.0
    _decided: tuple[str, float, bool] | None = None  # (version, when, replica usable)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def reader(self, primary: Engine, version: str) -> Engine:
        """The engine for a read of data at ``version`` (the primary's dataset version)."""
        return self.replica if self.usable(version) else primary

    def usable(self, version: str) -> bool:
        now = self.clock()
        with self._lock:
            if now < self._down_until:
                return False
            decided = self._decided
            if decided and decided[0] == version and now - decided[1] < self.recheck_s:
                return decided[2]
        try:
            seen = dataset_version(self.replica)
        except (SQLAlchemyError, OSError) as exc:
            self.failed(exc)
            return False
        ok = seen == version
        with self._lock:
            self._decided = (version, now, ok)
            self._set(
                "in_use" if ok else "behind",
                "read replica in use for page reads"
                if ok
                else "read replica has not replayed the primary's dataset version yet: "
                "page reads go to the primary",
            )
        return ok

    def failed(self, exc: BaseException) -> None:
        """The replica did not answer (or failed a read): the primary for ``retry_after_s``."""
        with self._lock:
            self._down_until = self.clock() + self.retry_after_s
            self._decided = None
            self._set(
                "down",
                f"read replica unavailable ({type(exc).__name__}): page reads go to the "
                f"primary; next try in {self.retry_after_s:.0f} s",
            )

    def _set(self, state: State, message: str) -> None:
        if state != self.state:
            if state == "in_use" and self.state == "unknown":
                log.info(message)
            else:
                log.warning(message)
            self.state = state
