"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 18:11:36.915489
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('providers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('alias', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('avatar', sa.String(length=255), nullable=True),
    sa.Column('email_verified_at', sa.DateTime(), nullable=True),
    sa.Column('last_active_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email')
    )
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.create_index('ix_providers_name', ['name'], unique=False)

    op.create_table('threads',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('type', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=True),
    sa.Column('image', sa.String(length=255), nullable=True),
    sa.Column('add_participants', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('invitations', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('calling', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('messaging', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('knocks', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('lockout', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.create_index('ix_threads_updated_at', ['updated_at'], unique=False)

    op.create_table('access_tokens',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('provider_id', sa.String(length=36), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_tokens_provider_id'), ['provider_id'], unique=False)

    op.create_table('calls',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('thread_id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('owner_type', sa.String(length=255), nullable=False),
    sa.Column('type', sa.Integer(), nullable=False),
    sa.Column('setup_complete', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('teardown_complete', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('room_id', sa.String(length=255), nullable=True),
    sa.Column('room_pin', sa.String(length=255), nullable=True),
    sa.Column('room_secret', sa.String(length=255), nullable=True),
    sa.Column('payload', sa.Text(), nullable=True),
    sa.Column('call_ended', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['providers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calls_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_calls_thread_ended', ['thread_id', 'call_ended'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_thread_id'), ['thread_id'], unique=False)

    op.create_table('friends',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('owner_type', sa.String(length=255), nullable=False),
    sa.Column('party_id', sa.String(length=36), nullable=False),
    sa.Column('party_type', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['providers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['party_id'], ['providers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('owner_id', 'party_id', name='uq_friends_owner_party')
    )
    with op.batch_alter_table('friends', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_friends_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_friends_party_id'), ['party_id'], unique=False)

    op.create_table('invites',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('thread_id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('owner_type', sa.String(length=255), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('max_use', sa.Integer(), nullable=False),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['providers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('invites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invites_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invites_thread_id'), ['thread_id'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('thread_id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('owner_type', sa.String(length=255), nullable=False),
    sa.Column('type', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('edited', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['providers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_messages_thread_created', ['thread_id', 'created_at'], unique=False)

    op.create_table('messengers',
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('owner_type', sa.String(length=255), nullable=False),
    sa.Column('message_popups', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('message_sound', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('call_ringtone_sound', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('notify_sound', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('dark_mode', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('online_status', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['providers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('owner_id')
    )
    op.create_table('participants',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('thread_id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('owner_type', sa.String(length=255), nullable=False),
    sa.Column('admin', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('pending', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('muted', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('send_messages', sa.Boolean(), server_default=sa.text('(true)'), nullable=False),
    sa.Column('send_knocks', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('start_calls', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('add_participants', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('manage_invites', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('last_read', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['providers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participants_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_participants_owner_thread', ['owner_id', 'thread_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_participants_thread_id'), ['thread_id'], unique=False)

    op.create_table('pending_friends',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('sender_id', sa.String(length=36), nullable=False),
    sa.Column('sender_type', sa.String(length=255), nullable=False),
    sa.Column('recipient_id', sa.String(length=36), nullable=False),
    sa.Column('recipient_type', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['recipient_id'], ['providers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sender_id'], ['providers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sender_id', 'recipient_id', name='uq_pending_friends_sender_recipient')
    )
    with op.batch_alter_table('pending_friends', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_friends_recipient_id'), ['recipient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_friends_sender_id'), ['sender_id'], unique=False)

    op.create_table('call_participants',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('call_id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('owner_type', sa.String(length=255), nullable=False),
    sa.Column('left_call', sa.DateTime(), nullable=True),
    sa.Column('kicked', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['providers.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('call_id', 'owner_id', name='uq_call_participants_call_owner')
    )
    with op.batch_alter_table('call_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_participants_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_participants_owner_id'), ['owner_id'], unique=False)

    op.create_table('message_edits',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('message_id', sa.String(length=36), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('edited_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('message_edits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_edits_message_id'), ['message_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('message_edits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_edits_message_id'))

    op.drop_table('message_edits')
    with op.batch_alter_table('call_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_participants_owner_id'))
        batch_op.drop_index(batch_op.f('ix_call_participants_call_id'))

    op.drop_table('call_participants')
    with op.batch_alter_table('pending_friends', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_friends_sender_id'))
        batch_op.drop_index(batch_op.f('ix_pending_friends_recipient_id'))

    op.drop_table('pending_friends')
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participants_thread_id'))
        batch_op.drop_index('ix_participants_owner_thread')
        batch_op.drop_index(batch_op.f('ix_participants_owner_id'))

    op.drop_table('participants')
    op.drop_table('messengers')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_thread_created')
        batch_op.drop_index(batch_op.f('ix_messages_owner_id'))

    op.drop_table('messages')
    with op.batch_alter_table('invites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invites_thread_id'))
        batch_op.drop_index(batch_op.f('ix_invites_owner_id'))

    op.drop_table('invites')
    with op.batch_alter_table('friends', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_friends_party_id'))
        batch_op.drop_index(batch_op.f('ix_friends_owner_id'))

    op.drop_table('friends')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calls_thread_id'))
        batch_op.drop_index('ix_calls_thread_ended')
        batch_op.drop_index(batch_op.f('ix_calls_owner_id'))

    op.drop_table('calls')
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_tokens_provider_id'))

    op.drop_table('access_tokens')
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.drop_index('ix_threads_updated_at')

    op.drop_table('threads')
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.drop_index('ix_providers_name')

    op.drop_table('providers')
