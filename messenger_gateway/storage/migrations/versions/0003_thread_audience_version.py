"""threads.audience_version: tells every node whether its remembered participant list is current

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 16:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('threads', sa.Column('audience_version', sa.BigInteger(), nullable=False, server_default=sa.text('0')))


def downgrade() -> None:
    op.drop_column('threads', 'audience_version')
