"""result changes: the versioned public results feed (a global sequence of published changes)

Revision ID: e2a9c7f4b615
Revises: c4f8a2d6e913
Create Date: 2026-12-03 14:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.adapters.models

revision = 'e2a9c7f4b615'
down_revision = 'c4f8a2d6e913'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('result_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('at', hotline.adapters.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('precinct_code', sa.String(length=32), nullable=False),
    sa.Column('stages', sa.JSON(), nullable=False),
    sa.Column('old', sa.JSON(), nullable=True),
    sa.Column('new', sa.JSON(), nullable=True),
    sa.Column('reason', sa.String(length=80), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_result_changes')),
    sa.UniqueConstraint('sequence', name=op.f('uq_result_changes_sequence'))
    )
    with op.batch_alter_table('result_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_result_changes_precinct_code'), ['precinct_code'], unique=False)
    op.create_table('result_sequence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('at', hotline.adapters.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_result_sequence'))
    )
    op.execute("INSERT INTO result_sequence (id, value) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table('result_sequence')
    with op.batch_alter_table('result_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_result_changes_precinct_code'))
    op.drop_table('result_changes')
