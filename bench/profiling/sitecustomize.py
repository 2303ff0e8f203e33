"""A sampling profiler for one app process under load, switched on from the environment.

Start a Streamlit process with ``PYTHONPATH=bench/profiling`` and ``MIRADOR_PROFILE_OUT=FILE``:
Python imports this module at start-up, and a daemon thread samples, every
``MIRADOR_PROFILE_MS`` ms (5 by default), the stacks of the threads that run page scripts
(Streamlit's ``ScriptRunner`` threads; other threads are only counted). Every 10 s and on
exit it writes FILE (JSON): samples per thread kind, and per function
(``file:line name``) the samples where it was running (self) and on the stack (total).
Without ``MIRADOR_PROFILE_OUT`` it does nothing. Nothing of the app is changed.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import sys
import threading
import time
from collections import Counter
from types import FrameType

OUT = os.environ.get("MIRADOR_PROFILE_OUT")


def _where(code) -> str:
    path = code.co_filename
    for marker in ("site-packages/", "/lib/", "/pages/"):
        if marker in path:
            path = path[path.index(marker) + (0 if marker != "site-packages/" else len(marker)) :]
            break
    return f"{path}:{code.co_firstlineno} {code.co_name}"


class Sampler(threading.Thread):
    def __init__(self, out: str, every_s: float) -> None:
        super().__init__(daemon=True, name="mirador-profiler")
        self.out, self.every_s = out, every_s
        self.self_: Counter[str] = Counter()
        self.total: Counter[str] = Counter()
        self.kinds: Counter[str] = Counter()
        self.started = time.time()

    def run(self) -> None:
        me = threading.get_ident()
        last_dump = time.monotonic()
        while True:
            time.sleep(self.every_s)
            if time.monotonic() - last_dump > 10:  # also written every 10 s, whatever the end
                self.dump()
                last_dump = time.monotonic()
            names = {t.ident: t.name for t in threading.enumerate()}
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                name = names.get(ident, "")
                kind = "script" if name.startswith("ScriptRunner") else "other:" + name[:30]
                self.kinds[kind] += 1
                if kind != "script":
                    continue
                seen = set()
                self.self_[_where(frame.f_code)] += 1
                f: FrameType | None = frame
                while f is not None:
                    key = _where(f.f_code)
                    if key not in seen:
                        self.total[key] += 1
                        seen.add(key)
                    f = f.f_back

    def dump(self) -> None:
        data = {
            "seconds": round(time.time() - self.started, 1),
            "every_s": self.every_s,
            "samples_by_thread": dict(self.kinds.most_common(20)),
            "self": self.self_.most_common(80),
            "total": self.total.most_common(200),
        }
        with open(self.out, "w") as fh:
            json.dump(data, fh, indent=1)


if OUT:
    _sampler = Sampler(OUT, float(os.environ.get("MIRADOR_PROFILE_MS", "5")) / 1000)
    _sampler.start()
    atexit.register(_sampler.dump)
    _previous = signal.getsignal(signal.SIGTERM)

    def _on_term(signum, frame) -> None:  # write the profile, then stop as before
        _sampler.dump()
        if callable(_previous):
            _previous(signum, frame)
        else:
            raise SystemExit(0)

    signal.signal(signal.SIGTERM, _on_term)
