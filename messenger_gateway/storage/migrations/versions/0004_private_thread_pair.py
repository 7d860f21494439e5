"""threads.private_pair: one live private thread per pair of providers, enforced by a unique index

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 12:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

WHERE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    op.add_column('threads', sa.Column('private_pair', sa.String(160), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT t.id, p.owner_id FROM threads t JOIN participants p ON p.thread_id = t.id "
        "WHERE t.type = 1 AND t.deleted_at IS NULL ORDER BY t.created_at, t.id")).fetchall()
    members: dict[str, list[str]] = {}
    for thread_id, owner_id in rows:
        members.setdefault(thread_id, []).append(owner_id)
    taken: set[str] = set()
    for thread_id, owners in members.items():  # oldest first: an older duplicate keeps the pair
        if len(owners) != 2:
            continue
        pair = "|".join(sorted(owners))
        if pair in taken:
            continue
        taken.add(pair)
        bind.execute(sa.text("UPDATE threads SET private_pair = :pair WHERE id = :id"), {"pair": pair, "id": thread_id})
    op.create_index('uq_threads_private_pair', 'threads', ['private_pair'], unique=True,
                    sqlite_where=WHERE, postgresql_where=WHERE)


def downgrade() -> None:
    op.drop_index('uq_threads_private_pair', table_name='threads')
    op.drop_column('threads', 'private_pair')
