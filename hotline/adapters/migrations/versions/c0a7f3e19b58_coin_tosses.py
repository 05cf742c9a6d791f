"""coin tosses: who won the toss that decided a precinct's delegates

Revision ID: c0a7f3e19b58
Revises: a3f1c9e7d2b4
Create Date: 2026-12-03 16:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.adapters.models

revision = 'c0a7f3e19b58'
down_revision = 'a3f1c9e7d2b4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('coin_tosses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('precinct_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('winners', sa.JSON(), nullable=False),
    sa.Column('groups', sa.JSON(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('recorded_by', sa.String(length=80), nullable=False),
    sa.Column('recorded_at', hotline.adapters.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('log_seq', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['precinct_id'], ['precincts.id'], name=op.f('fk_coin_tosses_precinct_id_precincts')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'],
                            name=op.f('fk_coin_tosses_submission_id_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coin_tosses'))
    )
    with op.batch_alter_table('coin_tosses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coin_tosses_precinct_id'), ['precinct_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('coin_tosses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coin_tosses_precinct_id'))
    op.drop_table('coin_tosses')
