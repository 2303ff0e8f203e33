"""complaint: description optional; agg_complaint_month.closed_no_date (closed, date unknown)

A complaint export may carry no free text, and may mark a complaint cerrada without its
closing date: such a complaint counts as closed with unknown timeliness (issue 18). Run
`python -m lib refresh` after upgrading so the new column counts the rows already loaded.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 02:00:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.alter_column('description', existing_type=sa.Text(), nullable=True)
    with op.batch_alter_table('agg_complaint_month', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('closed_no_date', sa.BigInteger(), server_default=sa.text('0'), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('agg_complaint_month', schema=None) as batch_op:
        batch_op.drop_column('closed_no_date')
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.alter_column('description', existing_type=sa.Text(), nullable=False)
