"""chair language: the language a chair reads and hears (en or es), from the roster

Revision ID: a9d2e6f1c3b7
Revises: f3c8d1a6b2e4
Create Date: 2026-12-03 16:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'a9d2e6f1c3b7'
down_revision = 'f3c8d1a6b2e4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('chairs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=False, server_default='en'))


def downgrade() -> None:
    with op.batch_alter_table('chairs', schema=None) as batch_op:
        batch_op.drop_column('language')
