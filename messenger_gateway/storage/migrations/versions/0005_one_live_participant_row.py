"""participants: one live row per provider and thread, enforced by a unique index (racing joins: one wins)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 14:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

WHERE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT id, thread_id, owner_id FROM participants WHERE deleted_at IS NULL ORDER BY created_at, id")).fetchall()
    seen: set[tuple[str, str]] = set()
    for row_id, thread_id, owner_id in rows:  # oldest first: the older row stays, later duplicates are retired
        if (thread_id, owner_id) in seen:
            bind.execute(sa.text("UPDATE participants SET deleted_at = updated_at WHERE id = :id"), {"id": row_id})
        seen.add((thread_id, owner_id))
    op.create_index('uq_participants_live_thread_owner', 'participants', ['thread_id', 'owner_id'], unique=True,
                    sqlite_where=WHERE, postgresql_where=WHERE)


def downgrade() -> None:
    op.drop_index('uq_participants_live_thread_owner', table_name='participants')
