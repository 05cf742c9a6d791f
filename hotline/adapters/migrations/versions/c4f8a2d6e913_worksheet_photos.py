"""worksheet photos: each MMS image downloaded from Twilio and kept by its SHA-256

Revision ID: c4f8a2d6e913
Revises: b7e2c4a91d05
Create Date: 2026-12-03 14:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hotline.adapters.models

revision = 'c4f8a2d6e913'
down_revision = 'b7e2c4a91d05'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('worksheet_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('precinct_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('inbound_id', sa.Integer(), nullable=False),
    sa.Column('source_url', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('content_type', sa.String(length=40), nullable=True),
    sa.Column('bytes', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('received_at', hotline.adapters.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('stored_at', hotline.adapters.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['inbound_id'], ['inbound_messages.id'],
                            name=op.f('fk_worksheet_photos_inbound_id_inbound_messages')),
    sa.ForeignKeyConstraint(['precinct_id'], ['precincts.id'], name=op.f('fk_worksheet_photos_precinct_id_precincts')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'],
                            name=op.f('fk_worksheet_photos_submission_id_submissions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worksheet_photos'))
    )
    with op.batch_alter_table('worksheet_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worksheet_photos_inbound_id'), ['inbound_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_worksheet_photos_precinct_id'), ['precinct_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_worksheet_photos_sha256'), ['sha256'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('worksheet_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worksheet_photos_sha256'))
        batch_op.drop_index(batch_op.f('ix_worksheet_photos_precinct_id'))
        batch_op.drop_index(batch_op.f('ix_worksheet_photos_inbound_id'))
    op.drop_table('worksheet_photos')
