"""a patron's contacts indexed in date order

ix_interaction_patron_id (patron_id) becomes ix_interaction_patron_day (patron_id, day). It
serves every lookup of a patron's contacts as before, and the orientation list's "last
contact" of each listed patron becomes a read of the index's last entry for the patron
instead of a visit to every one of the patron's contact rows, scattered over the table: at
national scale the list's 1,512 patrons read 16,604 heap pages and took 1.4 s cold
(docs/performance.md, issue 20).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 21:05:00
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_interaction_patron_day", "interaction", ["patron_id", "day"])
    op.drop_index("ix_interaction_patron_id", table_name="interaction")


def downgrade() -> None:
    op.create_index("ix_interaction_patron_id", "interaction", ["patron_id"])
    op.drop_index("ix_interaction_patron_day", table_name="interaction")
