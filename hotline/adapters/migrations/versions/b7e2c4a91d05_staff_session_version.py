"""a per-account session version: bumping it ends every signed-in session of that account

Revision ID: b7e2c4a91d05
Revises: 3a7c9e5d1b42
Create Date: 2026-12-03 12:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b7e2c4a91d05'
down_revision = '3a7c9e5d1b42'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
