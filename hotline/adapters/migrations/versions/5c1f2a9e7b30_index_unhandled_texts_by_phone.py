"""index unhandled texts (partial: by phone, and by id) instead of every text by processed_at

Revision ID: 5c1f2a9e7b30
Revises: 935d10e2f193
Create Date: 2026-11-23 09:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '5c1f2a9e7b30'
down_revision = '935d10e2f193'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Partial: only the few rows not yet handled are in it, so it stays small all night. The
    # full index on processed_at served only "IS NULL" lookups and cost a write per text.
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_messages_processed_at')
        batch_op.create_index('ix_inbound_unhandled_by_phone', ['from_number', 'id'], unique=False,
                              sqlite_where=sa.text('processed_at IS NULL'),
                              postgresql_where=sa.text('processed_at IS NULL'))
        batch_op.create_index('ix_inbound_unhandled', ['id'], unique=False,
                              sqlite_where=sa.text('processed_at IS NULL'),
                              postgresql_where=sa.text('processed_at IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_unhandled_by_phone')
        batch_op.drop_index('ix_inbound_unhandled')
        batch_op.create_index('ix_inbound_messages_processed_at', ['processed_at'], unique=False)
