"""verification log entries keep who (phone, staff) behind a salted commitment

Entries written from now on hash a salted SHA-256 of their phone and actor instead of the two
values themselves, so one entry can be shown in public (a precinct's proof) without them.
Earlier entries keep their first form (salt NULL).

Revision ID: a3f1c9e7d2b4
Revises: b7d3e1f0a952
Create Date: 2026-12-03 15:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'a3f1c9e7d2b4'
down_revision = 'b7d3e1f0a952'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('salt', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('log_entries', schema=None) as batch_op:
        batch_op.drop_column('salt')
