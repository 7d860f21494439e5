"""call heartbeats and one active call per thread

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

ACTIVE = sa.text("call_ended IS NULL")


def upgrade() -> None:
    op.add_column('call_participants', sa.Column('last_heartbeat_at', sa.DateTime(), nullable=True))
    op.create_index('uq_calls_one_active_per_thread', 'calls', ['thread_id'], unique=True,
                    sqlite_where=ACTIVE, postgresql_where=ACTIVE)


def downgrade() -> None:
    op.drop_index('uq_calls_one_active_per_thread', table_name='calls')
    op.drop_column('call_participants', 'last_heartbeat_at')
