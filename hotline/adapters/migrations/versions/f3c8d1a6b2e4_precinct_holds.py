"""precinct holds: staff (or the copy-error checks) hold a precinct back from the public results

Revision ID: f3c8d1a6b2e4
Revises: e7b2c9d4a1f6
Create Date: 2026-12-03 16:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.adapters.models

revision = 'f3c8d1a6b2e4'
down_revision = 'e7b2c9d4a1f6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'precinct_holds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('precinct_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('findings', sa.JSON(), nullable=False),
        sa.Column('held_by', sa.String(length=80), nullable=True),
        sa.Column('held_at', hotline.adapters.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('released_by', sa.String(length=80), nullable=True),
        sa.Column('released_at', hotline.adapters.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('release_note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['precinct_id'], ['precincts.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('precinct_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_precinct_holds_precinct_id'), ['precinct_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('precinct_holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_precinct_holds_precinct_id'))
    op.drop_table('precinct_holds')
