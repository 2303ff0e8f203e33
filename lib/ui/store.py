"""The pages' one way to the live tables: every write and the few reads that must not be cached.

Pages never hold an engine (tests/test_architecture.py). Cached reads of the rollups go
through ``query``/``cached`` with the page context; what changes under the user's hands —
drafts, accounts, the audit log, import attempts — and every write go through
``ctx.store``, which knows the writer connection (a separate role on PostgreSQL,
lib/db/engine.py ``write_url``) and the signed-in user, so a page cannot write as someone else
or through the read-only role. Permissions are still checked by the lib functions it calls
(lib/policy.py), not here: this module only routes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Engine

from lib.access import User, require
from lib.audit import AuditQuery, audit_page, export_totals, record_event
from lib.planning import drafts as dr
from lib.policy import Permission
from lib.queries import complaints as complaint_queries
from lib.queries.ingest import recent_loads
from lib.ui.data import Source
from lib.users import list_users, save_user

if TYPE_CHECKING:
    from lib.ingest.load import ImportResult

# The importer (pandera, the refresh and its campaign estimators) and the model pipeline
# (scikit-learn) are imported by the methods that use them: every page builds a store, and
# importing them here cost each new server process about 2 s before its first page.

Progress = Callable[[float, str], object]  # its return is ignored (st.progress)


@dataclass(frozen=True)
class Store:
    source: Source
    user: User

    @property
    def _reader(self) -> Engine:
        return self.source.engine

    @property
    def _writer(self) -> Engine:
        return self.source.write_engine

    # audit -------------------------------------------------------------------------------
    def record_export(self, file_name: str, rows: int, details: dict) -> None:
        """Who downloaded what, and how many rows (a download button's on_click). Refuses,
        before anything is recorded as given, a user the policy does not let download."""
        require(self.user, Permission.EXPORT)
        record_event(self._writer, self.user, "export", file_name, rows=rows, details=details)

    def audit_page(
        self, query: AuditQuery, *, limit: int = 100, offset: int = 0
    ) -> tuple[pd.DataFrame, int]:
        return audit_page(self._reader, query, limit=limit, offset=offset)

    def export_totals(self, query: AuditQuery) -> tuple[int, int]:
        return export_totals(self._reader, query)

    # accounts ----------------------------------------------------------------------------
    def users(self) -> pd.DataFrame:
        return list_users(self._reader)

    def save_user(self, username: str, name: str, role: str, **fields: Any) -> None:
        save_user(self._writer, self.user, username, name, role, **fields)

    # imports -----------------------------------------------------------------------------
    def import_file(self, table: str, content: bytes, **options: Any) -> ImportResult:
        from lib.ingest.load import import_file

        return import_file(self._writer, table, content, user=self.user, **options)

    def close_stale_attempts(self) -> int:
        from lib.ingest.attempts import close_stale_attempts

        return close_stale_attempts(self._writer)

    def recent_loads(self, limit: int = 20) -> pd.DataFrame:
        return recent_loads(self._reader, limit)

    # the orientation model ---------------------------------------------------------------
    def train_and_score(
        self, test_cutoff: dt.date, score_cutoff: dt.date, progress: Progress | None = None
    ) -> int:
        from lib.model.pipeline import train_store_and_score

        return train_store_and_score(
            self._writer, test_cutoff, score_cutoff, actor=self.user, progress=progress
        )

    def complaint_texts(self) -> pd.DataFrame:
        """Every complaint's text and category, for training the text classifier (cached
        by the page as a resource, keyed on the dataset version)."""
        return complaint_queries.texts(self._reader)

    # work-program drafts -----------------------------------------------------------------
    def drafts(self, year: int | None = None) -> pd.DataFrame:
        return dr.list_drafts(self._reader, year)

    def draft(self, draft_id: int, version: int | None = None) -> dr.Draft:
        return dr.load_draft(self._reader, draft_id, version)

    def draft_versions(self, draft_id: int) -> pd.DataFrame:
        return dr.versions(self._reader, draft_id)

    def create_draft(self, content: dict[str, Any]) -> dr.Draft:
        return dr.create_draft(self._writer, self.user, content)

    def save_draft(self, draft_id: int, content: dict[str, Any], expected_version: int) -> dr.Draft:
        return dr.save_draft(self._writer, draft_id, self.user, content, expected_version)
