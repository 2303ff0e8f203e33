"""patron_flag: office, OOAD and rank within the office (issue 10)

The orientation list then reads the top k of every office from an index instead of ranking
every flag of the run per office on each view. Existing flags are left with the new columns
empty (no backfill: a national run holds 1.1 million flags, and the next scoring fills them);
lib.queries.orientation.top_per_office ranks on the fly, as before, for such a run.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 15:10:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('patron_flag', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subdelegacion_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ooad_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('office_rank', sa.Integer(), nullable=True))
        batch_op.create_index(
            'ix_patron_flag_office_rank',
            ['model_run_id', 'subdelegacion_id', 'office_rank'],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table('patron_flag', schema=None) as batch_op:
        batch_op.drop_index('ix_patron_flag_office_rank')
        batch_op.drop_column('office_rank')
        batch_op.drop_column('ooad_id')
        batch_op.drop_column('subdelegacion_id')
