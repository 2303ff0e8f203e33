"""Drafts of the Programa Anual de Trabajo in the shared database, with versions and
optimistic concurrency.

- ``work_program`` holds one row per draft: the latest version number, status, author, times.
- ``work_program_revision`` holds every saved version as a JSON snapshot (targets, capacity
  inputs, campaign plan, notes): the history, and the base a concurrent save is compared with.
- ``work_program_target`` mirrors the latest version's targets as plain rows, so the targets
  can be queried with SQL, each with the key of its indicator (``indicator_key``,
  lib.planning.targets; empty for a label saved before keys that names no indicator); the
  snapshot is the source of truth (it also has the milestone date, which that table has no
  column for).

A save says which version it started from. The version is bumped with
``UPDATE ... WHERE id = :id AND version = :expected`` in the same transaction that writes the
revision, the mirror rows and the audit event, so of two planners who started from the same
version exactly one wins; the other gets :class:`DraftConflict`, which lists what the winner
changed. Nothing is written when validation fails or the versions do not match.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, delete, insert, select, update

from lib.access import User, require
from lib.audit import record_event
from lib.db.schema import WorkProgram, WorkProgramRevision, WorkProgramTarget
from lib.planning.validation import DraftInvalid, validate_targets
from lib.policy import Permission

WP = WorkProgram.__table__
WR = WorkProgramRevision.__table__
WT = WorkProgramTarget.__table__

STATUSES = {"borrador": "Borrador", "en_revision": "En revisión", "aprobado": "Aprobado"}
SECTIONS = {"targets": "indicator", "capacity": "channel_id", "campaigns": "code"}
SECTION_LABELS = {"targets": "Metas", "capacity": "Capacidad", "campaigns": "Campañas"}
TOP_FIELDS = {"title": "Título", "status": "Estado", "notes": "Notas generales"}


@dataclass
class Draft:
    id: int
    year: int
    title: str
    status: str
    version: int
    author: str
    created_at: dt.datetime
    updated_at: dt.datetime
    notes: str | None
    content: dict[str, Any] = field(default_factory=dict)

    @property
    def targets(self) -> pd.DataFrame:
        return pd.DataFrame(self.content.get("targets", []))

    @property
    def capacity(self) -> pd.DataFrame:
        return pd.DataFrame(self.content.get("capacity", []))

    @property
    def campaigns(self) -> pd.DataFrame:
        return pd.DataFrame(self.content.get("campaigns", []))


class DraftNotFound(LookupError):
    pass


class DraftConflict(RuntimeError):
    """Someone saved the draft after the version this save started from."""

    def __init__(
        self, draft_id: int, expected: int, current: int, author: str, changes: list[dict]
    ) -> None:
        self.draft_id, self.expected, self.current = draft_id, expected, current
        self.author, self.changes = author, changes
        super().__init__(
            f"El borrador cambió mientras lo editaba: usted partió de la versión {expected} y "
            f"{author} ya guardó la versión {current}. No se guardó nada; revise los cambios "
            "y vuelva a aplicar los suyos sobre la versión nueva."
        )


def _clean(v: Any) -> Any:
    """JSON-safe scalars: NaN → None, numpy → Python, dates → ISO strings."""
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item") and not isinstance(v, str | bytes):
        v = v.item()
        if isinstance(v, float) and math.isnan(v):
            return None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def _records(section: Any) -> list[dict]:
    if section is None:
        return []
    rows = section.to_dict("records") if isinstance(section, pd.DataFrame) else list(section)
    return [{str(k): _clean(v) for k, v in r.items()} for r in rows]


def prepare_content(
    year: int,
    title: str,
    status: str,
    notes: str | None,
    targets: pd.DataFrame | list[dict],
    capacity: pd.DataFrame | list[dict] | None = None,
    campaigns: pd.DataFrame | list[dict] | None = None,
    keys: Collection[str] | None = None,
) -> dict[str, Any]:
    """Validate and normalise a draft's content (raises DraftInvalid, in Spanish);
    ``keys``: the indicators a target may name (lib.planning.targets.program_indicators)."""
    problems = []
    if not (title or "").strip():
        problems.append("Falta el título del programa")
    if status not in STATUSES:
        problems.append(f"Estado desconocido: {status!r}")
    try:
        clean_targets = validate_targets(targets, year, keys)
    except DraftInvalid as exc:
        problems += exc.problems
        clean_targets = []
    for r in _records(capacity):
        for col, label in (
            ("handle_minutes", "minutos de atención"),
            ("hours_available", "horas disponibles"),
        ):
            v = r.get(col)
            if v is not None and v < 0:
                problems.append(f"Capacidad ({r.get('channel_id')}): {label} negativas")
    if problems:
        raise DraftInvalid(problems)
    return {
        "year": int(year),
        "title": title.strip(),
        "status": status,
        "notes": (notes or "").strip() or None,
        "targets": clean_targets,
        "capacity": _records(capacity),
        "campaigns": _records(campaigns),
    }


def _username(user: User) -> str:
    return user.username[:120]


def _write_rows(conn: Connection, draft_id: int, version: int, user: User, content: dict):
    now = dt.datetime.now()
    conn.execute(
        insert(WR).values(
            work_program_id=draft_id,
            version=version,
            saved_at=now,
            author=_username(user),
            status=content["status"],
            snapshot=content,
        )
    )
    conn.execute(delete(WT).where(WT.c.work_program_id == draft_id))
    rows = [
        {
            "work_program_id": draft_id,
            "indicator": t["indicator"][:120],
            "indicator_key": t.get("key"),
            "unit": (t.get("unit") or "")[:20],
            "baseline": t.get("baseline"),
            "target": t.get("target"),
            "owner_unit": t.get("owner_unit"),
            "q1": t.get("q1"),
            "q2": t.get("q2"),
            "q3": t.get("q3"),
            "q4": t.get("q4"),
            "notes": t.get("notes"),
        }
        for t in content["targets"]
    ]
    if rows:
        conn.execute(insert(WT), rows)
    record_event(
        conn,
        user,
        "draft_save",
        f"programa {draft_id} v{version}",
        rows=len(rows),
        details={"año": content["year"], "estado": content["status"], "versión": version},
    )


def create_draft(engine: Engine, user: User, content: dict[str, Any]) -> Draft:
    """A new draft at version 1 (``content`` from :func:`prepare_content`), if the policy
    lets ``user`` save drafts."""
    require(user, Permission.DRAFT_SAVE)
    now = dt.datetime.now()
    with engine.begin() as conn:
        draft_id = conn.execute(
            insert(WP)
            .values(
                year=content["year"],
                title=content["title"][:200],
                status=content["status"],
                version=1,
                author=_username(user),
                created_at=now,
                updated_at=now,
                notes=content["notes"],
            )
            .returning(WP.c.id)
        ).scalar_one()
        _write_rows(conn, draft_id, 1, user, content)
    return load_draft(engine, draft_id)


def save_draft(
    engine: Engine, draft_id: int, user: User, content: dict[str, Any], expected_version: int
) -> Draft:
    """Save ``content`` as the next version, if the stored version is still
    ``expected_version``; otherwise raise DraftConflict with what changed meanwhile. The
    policy is checked first (an office user's stale tab cannot save over a draft)."""
    require(user, Permission.DRAFT_SAVE)
    draft_id = int(draft_id)
    with engine.begin() as conn:
        moved = conn.execute(
            update(WP)
            .where(WP.c.id == draft_id, WP.c.version == int(expected_version))
            .values(
                version=WP.c.version + 1,
                title=content["title"][:200],
                status=content["status"],
                notes=content["notes"],
                updated_at=dt.datetime.now(),
            )
        ).rowcount
        if moved == 1:
            _write_rows(conn, draft_id, int(expected_version) + 1, user, content)
    if moved != 1:
        current = load_draft(engine, draft_id)  # raises DraftNotFound when it is gone
        base = load_draft(engine, draft_id, version=int(expected_version))
        raise DraftConflict(
            draft_id,
            int(expected_version),
            current.version,
            _last_author(engine, draft_id),
            diff_content(base.content, current.content),
        )
    return load_draft(engine, draft_id)


def _last_author(engine: Engine, draft_id: int) -> str:
    with engine.connect() as conn:
        return conn.execute(
            select(WR.c.author)
            .where(WR.c.work_program_id == draft_id)
            .order_by(WR.c.version.desc())
            .limit(1)
        ).scalar_one()


def load_draft(engine: Engine, draft_id: int, version: int | None = None) -> Draft:
    """The draft as of its latest version, or as of ``version``."""
    draft_id = int(draft_id)
    with engine.connect() as conn:
        head = conn.execute(select(WP).where(WP.c.id == draft_id)).mappings().first()
        if head is None:
            raise DraftNotFound(f"No existe el borrador {draft_id}")
        v = head["version"] if version is None else int(version)
        rev = (
            conn.execute(select(WR).where(WR.c.work_program_id == draft_id, WR.c.version == v))
            .mappings()
            .first()
        )
    if rev is None:
        raise DraftNotFound(f"El borrador {draft_id} no tiene versión {v}")
    snap = dict(rev["snapshot"])
    return Draft(
        id=draft_id,
        year=int(head["year"]),
        title=snap.get("title", head["title"]),
        status=rev["status"],
        version=v,
        author=rev["author"] if version is not None else head["author"],
        created_at=head["created_at"],
        updated_at=rev["saved_at"],
        notes=snap.get("notes"),
        content=snap,
    )


def list_drafts(engine: Engine, year: int | None = None) -> pd.DataFrame:
    """id, year, title, status, version, author (creator), updated_at, last_author."""
    q = (
        select(
            WP.c.id,
            WP.c.year,
            WP.c.title,
            WP.c.status,
            WP.c.version,
            WP.c.author,
            WP.c.updated_at,
            WR.c.author.label("last_author"),
        )
        .select_from(
            WP.outerjoin(WR, (WR.c.work_program_id == WP.c.id) & (WR.c.version == WP.c.version))
        )
        .order_by(WP.c.updated_at.desc(), WP.c.id.desc())
    )
    if year is not None:
        q = q.where(WP.c.year == int(year))
    with engine.connect() as conn:
        return pd.DataFrame(
            conn.execute(q).mappings().all(), columns=[c.name for c in q.selected_columns]
        )


def versions(engine: Engine, draft_id: int) -> pd.DataFrame:
    """Every saved version of a draft, newest first: version, saved_at, author, status."""
    q = (
        select(WR.c.version, WR.c.saved_at, WR.c.author, WR.c.status)
        .where(WR.c.work_program_id == int(draft_id))
        .order_by(WR.c.version.desc())
    )
    with engine.connect() as conn:
        return pd.DataFrame(
            conn.execute(q).mappings().all(), columns=["version", "saved_at", "author", "status"]
        )


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float | int):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(b, float) and isinstance(a, int):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def diff_content(old: dict[str, Any], new: dict[str, Any]) -> list[dict]:
    """What changed from ``old`` to ``new``: rows (section, item, field, before, after), with
    field "(fila agregada)" / "(fila eliminada)" for whole rows."""
    out = []
    for key, label in TOP_FIELDS.items():
        if not _same(old.get(key), new.get(key)):
            out.append(
                {
                    "section": "General",
                    "item": label,
                    "field": key,
                    "before": old.get(key),
                    "after": new.get(key),
                }
            )
    for section, ident in SECTIONS.items():
        before = {str(r.get(ident)): r for r in old.get(section, [])}
        after = {str(r.get(ident)): r for r in new.get(section, [])}
        for k in after.keys() - before.keys():
            out.append(
                {
                    "section": SECTION_LABELS[section],
                    "item": k,
                    "field": "(fila agregada)",
                    "before": None,
                    "after": None,
                }
            )
        for k in before.keys() - after.keys():
            out.append(
                {
                    "section": SECTION_LABELS[section],
                    "item": k,
                    "field": "(fila eliminada)",
                    "before": None,
                    "after": None,
                }
            )
        for k in sorted(before.keys() & after.keys()):
            b, a = before[k], after[k]
            for col in sorted(set(a) | set(b)):
                if not _same(b.get(col), a.get(col)):
                    out.append(
                        {
                            "section": SECTION_LABELS[section],
                            "item": k,
                            "field": col,
                            "before": b.get(col),
                            "after": a.get(col),
                        }
                    )
    return out
