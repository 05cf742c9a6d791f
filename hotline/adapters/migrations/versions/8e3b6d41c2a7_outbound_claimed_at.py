"""when a sender claimed an outbound text (so a claim its worker never finished can be settled)

Revision ID: 8e3b6d41c2a7
Revises: 5c1f2a9e7b30
Create Date: 2026-11-23 13:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.adapters.models

revision = '8e3b6d41c2a7'
down_revision = '5c1f2a9e7b30'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', hotline.adapters.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_column('claimed_at')
