"""observers and their observations (a second source per precinct)

Revision ID: c5e9a1d3f7b2
Revises: b4e8f2a7d9c1
Create Date: 2026-12-03 17:44:49.962421
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.adapters.models


revision = 'c5e9a1d3f7b2'
down_revision = 'b4e8f2a7d9c1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('observers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('organisation', sa.String(length=120), nullable=False),
    sa.Column('pin_hash', sa.String(length=200), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=True),
    sa.Column('created_at', hotline.adapters.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observers'))
    )
    op.create_table('observer_phones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('observer_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['observer_id'], ['observers.id'], name=op.f('fk_observer_phones_observer_id_observers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observer_phones')),
    sa.UniqueConstraint('phone', name=op.f('uq_observer_phones_phone'))
    )
    with op.batch_alter_table('observer_phones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_observer_phones_observer_id'), ['observer_id'], unique=False)

    op.create_table('observer_precincts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('observer_id', sa.Integer(), nullable=False),
    sa.Column('precinct_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['observer_id'], ['observers.id'], name=op.f('fk_observer_precincts_observer_id_observers')),
    sa.ForeignKeyConstraint(['precinct_id'], ['precincts.id'], name=op.f('fk_observer_precincts_precinct_id_precincts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observer_precincts')),
    sa.UniqueConstraint('observer_id', 'precinct_id', name=op.f('uq_observer_precincts_observer_id'))
    )
    with op.batch_alter_table('observer_precincts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_observer_precincts_observer_id'), ['observer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_observer_precincts_precinct_id'), ['precinct_id'], unique=False)

    op.create_table('observations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('observer_id', sa.Integer(), nullable=False),
    sa.Column('precinct_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('stages', sa.JSON(), nullable=False),
    sa.Column('attendance', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('code_hash', sa.String(length=200), nullable=False),
    sa.Column('expires_at', hotline.adapters.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', hotline.adapters.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', hotline.adapters.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('inbound_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['inbound_id'], ['inbound_messages.id'], name=op.f('fk_observations_inbound_id_inbound_messages')),
    sa.ForeignKeyConstraint(['observer_id'], ['observers.id'], name=op.f('fk_observations_observer_id_observers')),
    sa.ForeignKeyConstraint(['precinct_id'], ['precincts.id'], name=op.f('fk_observations_precinct_id_precincts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observations'))
    )
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_observations_observer_id'), ['observer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_observations_phone'), ['phone'], unique=False)
        batch_op.create_index('ix_observations_precinct_status', ['precinct_id', 'status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.drop_index('ix_observations_precinct_status')
        batch_op.drop_index(batch_op.f('ix_observations_phone'))
        batch_op.drop_index(batch_op.f('ix_observations_observer_id'))

    op.drop_table('observations')
    with op.batch_alter_table('observer_precincts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_observer_precincts_precinct_id'))
        batch_op.drop_index(batch_op.f('ix_observer_precincts_observer_id'))

    op.drop_table('observer_precincts')
    with op.batch_alter_table('observer_phones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_observer_phones_observer_id'))

    op.drop_table('observer_phones')
    op.drop_table('observers')
