"""worksheet photo marks: staff's latest mark of a stored photo against the recorded report

Revision ID: b7d3e1f0a952
Revises: e2a9c7f4b615
Create Date: 2026-12-03 14:35:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.adapters.models

revision = 'b7d3e1f0a952'
down_revision = 'e2a9c7f4b615'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('worksheet_photos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mark', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('marked_by', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('marked_at', hotline.adapters.models.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('worksheet_photos', schema=None) as batch_op:
        batch_op.drop_column('marked_at')
        batch_op.drop_column('marked_by')
        batch_op.drop_column('mark')
