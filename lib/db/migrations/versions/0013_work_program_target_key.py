"""work program targets name their indicator by key

work_program_target gains indicator_key (NULL allowed): the key of the program indicator the
target is set on (lib.planning.targets), so other pages can follow the target. Rows already
saved are backfilled from their label: the labels the program has shown (today's and the
earlier ones, frozen below as they were when this revision was written, case, accents and
spaces folded) and «Contactos: <channel name>» for a channel of the channel table. A label
that matches none keeps its row with a NULL key: the planner sees it flagged and chooses its
indicator. The saved snapshots in work_program_revision are history and are not rewritten;
the app reads their keys from the same labels when it opens a draft.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 17:30:00
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# the program's labels when this revision was written (and the earlier ones), by key
LABELS = {
    "contacts": ["Contactos (todos los canales)"],
    "digital_share": ["Participación digital"],
    "fcr": ["Resolución al primer contacto"],
    "csat": ["Satisfacción (CSAT)", "Satisfacción (CSAT 4-5)"],
    "complaints_on_time": ["Quejas cerradas en plazo"],
    "collection_on_time": ["Recaudación a tiempo", "Recaudación pagada a tiempo"],
    "patrons_on_time": ["Patrones con pago oportuno"],
    "campaigns": ["Campañas iniciadas"],
    "campaign_return": ["Retorno medido de campañas"],
    "oriented": ["Patrones orientados"],
}


def _folded(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.casefold().split())


def upgrade() -> None:
    with op.batch_alter_table("work_program_target", schema=None) as batch_op:
        batch_op.add_column(sa.Column("indicator_key", sa.String(length=60), nullable=True))

    conn = op.get_bind()
    known = {_folded(label): key for key, labels in LABELS.items() for label in labels}
    known |= {_folded(key): key for key in LABELS}
    for channel_id, name in conn.execute(sa.text("SELECT id, name FROM channel")):
        known[_folded(f"Contactos: {name}")] = f"contacts_{channel_id}"
    rows = conn.execute(sa.text("SELECT id, indicator FROM work_program_target")).all()
    for row_id, label in rows:
        key = known.get(_folded(label or ""))
        if key is not None:
            conn.execute(
                sa.text("UPDATE work_program_target SET indicator_key = :k WHERE id = :i"),
                {"k": key, "i": row_id},
            )


def downgrade() -> None:
    with op.batch_alter_table("work_program_target", schema=None) as batch_op:
        batch_op.drop_column("indicator_key")
