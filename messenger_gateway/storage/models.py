"""SQLAlchemy models. Ids are UUID strings (36 chars) so SQLite and PostgreSQL share one schema.

Timestamps are naive UTC datetimes with microseconds. `*_type` columns hold the provider's owner_type
(e.g. "App\\Models\\User") as shown on the wire; `*_id` columns point at providers.id.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

UUID_LEN = 36


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    pass


def _id() -> Mapped[str]:
    return mapped_column(String(UUID_LEN), primary_key=True, default=new_id)


def _fk(target: str, index: bool = True, nullable: bool = False) -> Mapped[str]:
    return mapped_column(String(UUID_LEN), ForeignKey(target, ondelete="CASCADE"), index=index, nullable=nullable)


def _flag(default: bool) -> Mapped[bool]:
    return mapped_column(Boolean, nullable=False, default=default, server_default=text("true" if default else "false"))


def _ts(nullable: bool = False) -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=False), nullable=nullable)


class Provider(Base):
    """An account that can use the messenger (a "user" provider by default)."""

    __tablename__ = "providers"
    id: Mapped[str] = _id()
    alias: Mapped[str] = mapped_column(String(32), nullable=False, default="user")
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    email: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    avatar: Mapped[str | None] = mapped_column(String(255), nullable=True)
    email_verified_at: Mapped[datetime | None] = _ts(nullable=True)
    last_active_at: Mapped[datetime | None] = _ts(nullable=True)
    created_at: Mapped[datetime] = _ts()
    updated_at: Mapped[datetime] = _ts()
    __table_args__ = (Index("ix_providers_name", "name"),)


class AccessToken(Base):
    __tablename__ = "access_tokens"
    id: Mapped[str] = _id()
    provider_id: Mapped[str] = _fk("providers.id")
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False, default="api")
    created_at: Mapped[datetime] = _ts()
    last_used_at: Mapped[datetime | None] = _ts(nullable=True)


class MessengerSettings(Base):
    """The per-provider settings row (the PHP package's `messengers` table)."""

    __tablename__ = "messengers"
    owner_id: Mapped[str] = mapped_column(
        String(UUID_LEN), ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True
    )
    owner_type: Mapped[str] = mapped_column(String(255), nullable=False)
    message_popups: Mapped[bool] = _flag(True)
    message_sound: Mapped[bool] = _flag(True)
    call_ringtone_sound: Mapped[bool] = _flag(True)
    notify_sound: Mapped[bool] = _flag(True)
    dark_mode: Mapped[bool] = _flag(True)
    online_status: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default=text("1"))
    created_at: Mapped[datetime] = _ts()
    updated_at: Mapped[datetime] = _ts()


class Thread(Base):
    __tablename__ = "threads"
    id: Mapped[str] = _id()
    type: Mapped[int] = mapped_column(Integer, nullable=False)
    subject: Mapped[str | None] = mapped_column(String(255), nullable=True)
    image: Mapped[str | None] = mapped_column(String(255), nullable=True)
    add_participants: Mapped[bool] = _flag(False)
    invitations: Mapped[bool] = _flag(False)
    calling: Mapped[bool] = _flag(True)
    messaging: Mapped[bool] = _flag(True)
    knocks: Mapped[bool] = _flag(True)
    lockout: Mapped[bool] = _flag(False)
    # replaced whenever a participant joins, leaves or (un)mutes (storage/thread_audience.py)
    audience_version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, server_default=text("0"))
    # private threads: "{id}|{id}" of the two providers, sorted; unique among live threads (two racing starts: one wins)
    private_pair: Mapped[str | None] = mapped_column(String(160), nullable=True)
    created_at: Mapped[datetime] = _ts()
    updated_at: Mapped[datetime] = _ts()
    deleted_at: Mapped[datetime | None] = _ts(nullable=True)
    __table_args__ = (
        Index("ix_threads_updated_at", "updated_at"),
        Index("uq_threads_private_pair", "private_pair", unique=True,
              sqlite_where=text("deleted_at IS NULL"), postgresql_where=text("deleted_at IS NULL")),
    )


class Participant(Base):
    __tablename__ = "participants"
    id: Mapped[str] = _id()
    thread_id: Mapped[str] = _fk("threads.id")
    owner_id: Mapped[str] = _fk("providers.id")
    owner_type: Mapped[str] = mapped_column(String(255), nullable=False)
    admin: Mapped[bool] = _flag(False)
    pending: Mapped[bool] = _flag(False)
    muted: Mapped[bool] = _flag(False)
    send_messages: Mapped[bool] = _flag(True)
    send_knocks: Mapped[bool] = _flag(False)
    start_calls: Mapped[bool] = _flag(False)
    add_participants: Mapped[bool] = _flag(False)
    manage_invites: Mapped[bool] = _flag(False)
    last_read: Mapped[datetime | None] = _ts(nullable=True)
    created_at: Mapped[datetime] = _ts()
    updated_at: Mapped[datetime] = _ts()
    deleted_at: Mapped[datetime | None] = _ts(nullable=True)
    __table_args__ = (
        Index("ix_participants_owner_thread", "owner_id", "thread_id"),
        # one live row per provider and thread: racing joins or adds have one winner
        Index("uq_participants_live_thread_owner", "thread_id", "owner_id", unique=True,
              sqlite_where=text("deleted_at IS NULL"), postgresql_where=text("deleted_at IS NULL")),
    )


class Message(Base):
    __tablename__ = "messages"
    id: Mapped[str] = _id()
    thread_id: Mapped[str] = _fk("threads.id", index=False)
    owner_id: Mapped[str] = _fk("providers.id")
    owner_type: Mapped[str] = mapped_column(String(255), nullable=False)
    type: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    edited: Mapped[bool] = _flag(False)
    created_at: Mapped[datetime] = _ts()
    updated_at: Mapped[datetime] = _ts()
    deleted_at: Mapped[datetime | None] = _ts(nullable=True)
    __table_args__ = (Index("ix_messages_thread_created", "thread_id", "created_at"),)


class MessageEdit(Base):
    """The previous bodies of an edited message."""

    __tablename__ = "message_edits"
    id: Mapped[str] = _id()
    message_id: Mapped[str] = _fk("messages.id")
    body: Mapped[str] = mapped_column(Text, nullable=False)
    edited_at: Mapped[datetime] = _ts()


class Call(Base):
    __tablename__ = "calls"
    id: Mapped[str] = _id()
    thread_id: Mapped[str] = _fk("threads.id")
    owner_id: Mapped[str] = _fk("providers.id")
    owner_type: Mapped[str] = mapped_column(String(255), nullable=False)
    type: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    setup_complete: Mapped[bool] = _flag(False)
    teardown_complete: Mapped[bool] = _flag(False)
    room_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    room_pin: Mapped[str | None] = mapped_column(String(255), nullable=True)
    room_secret: Mapped[str | None] = mapped_column(String(255), nullable=True)
    payload: Mapped[str | None] = mapped_column(Text, nullable=True)
    call_ended: Mapped[datetime | None] = _ts(nullable=True)
    created_at: Mapped[datetime] = _ts()
    updated_at: Mapped[datetime] = _ts()
    __table_args__ = (
        Index("ix_calls_thread_ended", "thread_id", "call_ended"),
        # at most one active call per thread, enforced by the database (two racing starts: one wins)
        Index("uq_calls_one_active_per_thread", "thread_id", unique=True,
              sqlite_where=text("call_ended IS NULL"), postgresql_where=text("call_ended IS NULL")),
    )


class CallParticipant(Base):
    __tablename__ = "call_participants"
    id: Mapped[str] = _id()
    call_id: Mapped[str] = _fk("calls.id")
    owner_id: Mapped[str] = _fk("providers.id")
    owner_type: Mapped[str] = mapped_column(String(255), nullable=False)
    left_call: Mapped[datetime | None] = _ts(nullable=True)
    kicked: Mapped[bool] = _flag(False)
    last_heartbeat_at: Mapped[datetime | None] = _ts(nullable=True)  # the activity checker drops stale ones
    created_at: Mapped[datetime] = _ts()
    updated_at: Mapped[datetime] = _ts()
    __table_args__ = (UniqueConstraint("call_id", "owner_id", name="uq_call_participants_call_owner"),)


class Friend(Base):
    """One row per direction: owner is friends with party."""

    __tablename__ = "friends"
    id: Mapped[str] = _id()
    owner_id: Mapped[str] = _fk("providers.id")
    owner_type: Mapped[str] = mapped_column(String(255), nullable=False)
    party_id: Mapped[str] = _fk("providers.id")
    party_type: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[datetime] = _ts()
    updated_at: Mapped[datetime] = _ts()
    __table_args__ = (UniqueConstraint("owner_id", "party_id", name="uq_friends_owner_party"),)


class PendingFriend(Base):
    """A friend request from sender to recipient (seen as "sent" by one and "pending" by the other)."""

    __tablename__ = "pending_friends"
    id: Mapped[str] = _id()
    sender_id: Mapped[str] = _fk("providers.id")
    sender_type: Mapped[str] = mapped_column(String(255), nullable=False)
    recipient_id: Mapped[str] = _fk("providers.id")
    recipient_type: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[datetime] = _ts()
    updated_at: Mapped[datetime] = _ts()
    __table_args__ = (UniqueConstraint("sender_id", "recipient_id", name="uq_pending_friends_sender_recipient"),)


class Invite(Base):
    __tablename__ = "invites"
    id: Mapped[str] = _id()
    thread_id: Mapped[str] = _fk("threads.id")
    owner_id: Mapped[str] = _fk("providers.id")
    owner_type: Mapped[str] = mapped_column(String(255), nullable=False)
    code: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    max_use: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    uses: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    expires_at: Mapped[datetime | None] = _ts(nullable=True)
    created_at: Mapped[datetime] = _ts()
    updated_at: Mapped[datetime] = _ts()
    deleted_at: Mapped[datetime | None] = _ts(nullable=True)
