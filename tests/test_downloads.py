"""A file built by a deferred download button survives Streamlit's orphan cleanup long enough
for the browser to fetch it (lib/ui/downloads.py): driven on Streamlit's real MediaFileManager
and in-memory storage, with the cleanup passes that other sessions' script runs trigger."""

from __future__ import annotations

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.media_file_storage import MediaFileStorageError
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

import lib.ui.layout  # noqa: F401  (installs the grace period, as every page does)
from lib.ui import downloads

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def now(monkeypatch) -> list[float]:
    t = [1000.0]
    monkeypatch.setattr(downloads, "clock", lambda: t[0])
    return t


def _built(manager: MediaFileManager, storage: MemoryMediaFileStorage) -> str:
    """A session's export button, then the click that builds the file: the file's id."""
    placeholder = manager.add_deferred(lambda: b"PK\x03\x04 libro", XLSX, "coord", "r.xlsx")
    url = manager.execute_deferred(placeholder)
    file_id = downloads._file_id(url)
    assert storage.get_file(file_id).content == b"PK\x03\x04 libro"
    return file_id


def test_two_cleanup_passes_right_after_the_click_keep_the_file(now):
    storage = MemoryMediaFileStorage("/media")
    manager = MediaFileManager(storage)
    file_id = _built(manager, storage)
    # two other sessions finish a script run before the browser's GET arrives
    manager.remove_orphaned_files()
    manager.remove_orphaned_files()
    assert storage.get_file(file_id).content == b"PK\x03\x04 libro"  # Streamlit alone: 404


def test_after_the_grace_period_the_cleanup_deletes_it(now):
    storage = MemoryMediaFileStorage("/media")
    manager = MediaFileManager(storage)
    file_id = _built(manager, storage)
    manager.remove_orphaned_files()
    now[0] += downloads.GRACE_S + 1
    manager.remove_orphaned_files()
    with pytest.raises(MediaFileStorageError):
        storage.get_file(file_id)
    assert file_id not in downloads._built_at  # nothing kept for it any longer


def test_installing_twice_wraps_once():
    wrapped = MediaFileManager._delete_file
    downloads.keep_built_downloads()
    assert MediaFileManager._delete_file is wrapped
