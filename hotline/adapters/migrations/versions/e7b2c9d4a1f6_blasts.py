"""blasts: reminders and broadcasts sent to many chairs, and who each went to

Revision ID: e7b2c9d4a1f6
Revises: d1e5a7c3f2b9
Create Date: 2026-12-03 16:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.adapters.models

revision = 'e7b2c9d4a1f6'
down_revision = 'd1e5a7c3f2b9'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('blasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', hotline.adapters.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('cancelled_at', hotline.adapters.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.String(length=80), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blasts'))
    )
    op.create_table('blast_recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('blast_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('precinct_id', sa.Integer(), nullable=True),
    sa.Column('outbound_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['blast_id'], ['blasts.id'], name=op.f('fk_blast_recipients_blast_id_blasts')),
    sa.ForeignKeyConstraint(['outbound_id'], ['outbound_messages.id'],
                            name=op.f('fk_blast_recipients_outbound_id_outbound_messages')),
    sa.ForeignKeyConstraint(['precinct_id'], ['precincts.id'], name=op.f('fk_blast_recipients_precinct_id_precincts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blast_recipients')),
    sa.UniqueConstraint('blast_id', 'phone', name=op.f('uq_blast_recipients_blast_id'))
    )
    with op.batch_alter_table('blast_recipients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_blast_recipients_blast_id'), ['blast_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_blast_recipients_phone'), ['phone'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('blast_recipients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blast_recipients_phone'))
        batch_op.drop_index(batch_op.f('ix_blast_recipients_blast_id'))
    op.drop_table('blast_recipients')
    op.drop_table('blasts')
