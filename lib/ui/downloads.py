"""Files built by a deferred download button, kept long enough for the browser to fetch them.

The exports build their file only when clicked (``st.download_button(data=callable)``,
lib/ui/layout.py), so a page run does not build a workbook nobody asks for. Streamlit 1.67
stores the built file without tying it to a session, and its orphan cleanup, which runs after
*every* session's script run, marks such a file on one pass and deletes it on the next. With
a few script runs a second in a process (the load test through the proxy: 50 sessions on two
processes), two passes fall between the click building the file and the browser's GET of its
URL, and the download fails with HTTP 404: 4–6 of 49 exports per 5-minute run, one of them in
Chromium (docs/performance.md, «Load test through the proxy»).

:func:`keep_built_downloads` wraps two methods of Streamlit's ``MediaFileManager`` so that a
file built by ``execute_deferred`` is deleted no sooner than :data:`GRACE_S` seconds after it
was built (a later cleanup pass deletes it); every other file is handled as before. It is
installed once, when lib/ui/layout.py is imported. Tied to Streamlit's internals, pinned at
1.67.0 in pyproject; tests/test_downloads.py drives the real manager and fails if they move.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from streamlit.runtime.media_file_manager import MediaFileManager

GRACE_S = 120.0  # a browser fetches a built file within seconds; a slow one within two minutes

_lock = threading.Lock()
_installed = False
_built_at: dict[str, float] = {}  # file id -> when execute_deferred built it (clock below)
clock: Callable[[], float] = time.monotonic  # replaced by tests


def _file_id(url: str) -> str:
    """``/media/<id>.<ext>`` (MemoryMediaFileStorage.get_url) -> ``<id>``."""
    return PurePosixPath(url).name.split(".", 1)[0]


def keep_built_downloads() -> None:
    """Install the grace period on Streamlit's MediaFileManager (once per process)."""
    global _installed
    with _lock:
        if _installed:
            return
        original_execute = MediaFileManager.execute_deferred
        original_delete = MediaFileManager._delete_file

        def execute_deferred(self: MediaFileManager, file_id: str) -> str:
            url = original_execute(self, file_id)
            with _lock:
                _built_at[_file_id(url)] = clock()
            return url

        def _delete_file(self: MediaFileManager, file_id: str) -> None:
            with _lock:
                built = _built_at.get(file_id)
                if built is not None and clock() - built < GRACE_S:
                    return  # still marked: a pass after the grace period deletes it
                _built_at.pop(file_id, None)
            original_delete(self, file_id)

        patched: Any = MediaFileManager
        patched.execute_deferred = execute_deferred
        patched._delete_file = _delete_file
        _installed = True
