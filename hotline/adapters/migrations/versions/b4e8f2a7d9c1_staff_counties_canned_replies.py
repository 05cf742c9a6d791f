"""staff counties (the queue shows them first) and canned replies for Text the chair

Revision ID: b4e8f2a7d9c1
Revises: a9d2e6f1c3b7
Create Date: 2026-12-03 16:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.adapters.models

revision = 'b4e8f2a7d9c1'
down_revision = 'a9d2e6f1c3b7'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'staff_counties',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('staff_user_id', sa.Integer(), nullable=False),
        sa.Column('county_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['county_id'], ['counties.id'], name=op.f('fk_staff_counties_county_id_counties')),
        sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'],
                                name=op.f('fk_staff_counties_staff_user_id_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_counties')),
        sa.UniqueConstraint('staff_user_id', 'county_id', name=op.f('uq_staff_counties_staff_user_id')),
    )
    with op.batch_alter_table('staff_counties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_counties_staff_user_id'), ['staff_user_id'], unique=False)
    op.create_table(
        'canned_replies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=80), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('created_by', sa.String(length=80), nullable=False),
        sa.Column('created_at', hotline.adapters.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=80), nullable=True),
        sa.Column('updated_at', hotline.adapters.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_replies')),
    )


def downgrade() -> None:
    op.drop_table('canned_replies')
    with op.batch_alter_table('staff_counties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_counties_staff_user_id'))
    op.drop_table('staff_counties')
