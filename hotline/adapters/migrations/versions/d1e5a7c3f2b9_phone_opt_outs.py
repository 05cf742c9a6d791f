"""phone opt-outs: which phones opted out of our texts (STOP, Twilio error 21610), or back in

Revision ID: d1e5a7c3f2b9
Revises: c0a7f3e19b58
Create Date: 2026-12-03 16:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.adapters.models

revision = 'd1e5a7c3f2b9'
down_revision = 'c0a7f3e19b58'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('phone_opt_outs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('opted_out', sa.Boolean(), nullable=False),
    sa.Column('changed_at', hotline.adapters.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('inbound_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['inbound_id'], ['inbound_messages.id'],
                            name=op.f('fk_phone_opt_outs_inbound_id_inbound_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_opt_outs')),
    sa.UniqueConstraint('phone', name=op.f('uq_phone_opt_outs_phone'))
    )


def downgrade() -> None:
    op.drop_table('phone_opt_outs')
