"""Message queries: one message of a thread, and the lists (all, logs, images, documents) with their owners."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from messenger_gateway.storage.message_types import DOCUMENT, IMAGE, USER_TYPES
from messenger_gateway.storage.models import Message, MessageEdit, Participant, Provider, Thread

KINDS = ("messages", "logs", "images", "documents")


def message_list(thread_id: str, kind: str = "messages") -> Select[Message, Provider]:
    stmt = (
        select(Message, Provider).join(Provider, Provider.id == Message.owner_id)
        .where(Message.thread_id == thread_id, Message.deleted_at.is_(None))
    )
    if kind == "logs":
        return stmt.where(Message.type.not_in(USER_TYPES))
    if kind == "images":
        return stmt.where(Message.type == IMAGE)
    if kind == "documents":
        return stmt.where(Message.type == DOCUMENT)
    return stmt


async def deleted_since(session: AsyncSession, thread_id: str, since: datetime, limit: int) -> list[str]:
    """The ids of the thread's messages deleted after `since`, oldest deletion first."""
    rows = await session.execute(
        select(Message.id).where(Message.thread_id == thread_id, Message.deleted_at > since)
        .order_by(Message.deleted_at).limit(limit))
    return list(rows.scalars())


async def message_in_thread(
    session: AsyncSession, thread_id: str, message_id: str, kind: str = "messages",
) -> tuple[Message, Provider] | None:
    row = (await session.execute(message_list(thread_id, kind).where(Message.id == message_id))).first()
    return (row[0], row[1]) if row else None


async def edits_of(session: AsyncSession, message_id: str) -> list[MessageEdit]:
    rows = await session.execute(
        select(MessageEdit).where(MessageEdit.message_id == message_id).order_by(MessageEdit.edited_at.desc())
    )
    return list(rows.scalars())


# Built once: sending a message runs these and nothing else (no unit of work to sort out).
_messages, _threads, _participants = (cast(Table, model.__table__) for model in (Message, Thread, Participant))
_INSERT_MESSAGE = insert(_messages)
_TOUCH_THREAD = update(_threads).where(_threads.c.id == bindparam("thread")).values(updated_at=bindparam("at"))
_MARK_READ = update(_participants).where(_participants.c.id == bindparam("reader")).values(last_read=bindparam("at"))


def _send_in_one_statement() -> Any:
    """PostgreSQL: the whole send in one statement. Touching the thread row first takes its lock, which concurrent
    sends to the thread queue on until this transaction commits; the message's time is then read from that row
    (never before its previous activity), so `created_at` order is commit order, the order the messages are pushed
    in, and the lock is held for one round trip."""
    touched = (update(_threads).where(_threads.c.id == bindparam("thread"))
               .values(updated_at=func.greatest(bindparam("at"), _threads.c.updated_at + timedelta(microseconds=1)))
               .returning(_threads.c.updated_at).cte("touched"))
    stamp = select(touched.c.updated_at).scalar_subquery()
    values = [touched.c.updated_at if column.key in ("created_at", "updated_at")
              else bindparam(f"m_{column.key}", type_=column.type) for column in _messages.columns]
    inserted = insert(_messages).from_select([c.key for c in _messages.columns], select(*values)).cte("inserted")
    return (update(_participants).where(_participants.c.id == bindparam("reader")).values(last_read=stamp)
            .add_cte(touched).add_cte(inserted).returning(_participants.c.last_read))


_SEND = _send_in_one_statement()


async def record_sent(session: AsyncSession, message: Message, thread: Thread, sender: Participant) -> None:
    """Store a message (its id and every column already set), make it the thread's latest activity and mark the
    thread read for its sender; the loaded message, thread and sender rows are updated in memory to match."""
    if session.get_bind().dialect.name == "postgresql":
        params = {f"m_{column.key}": getattr(message, column.key) for column in _messages.columns}
        at = (await session.execute(_SEND, {**params, "thread": thread.id, "reader": sender.id,
                                            "at": message.created_at})).scalar_one()
        message.created_at = message.updated_at = at
    else:  # SQLite: one writer at a time (this session has held the connection since it read the thread), so the
        # loaded thread is current; no data-modifying WITH
        at = max(message.created_at, thread.updated_at + timedelta(microseconds=1))
        message.created_at = message.updated_at = at
        await session.execute(_INSERT_MESSAGE, {column.key: getattr(message, column.key) for column in _messages.columns})
        rows = {"thread": thread.id, "reader": sender.id, "at": message.created_at}
        await session.execute(_TOUCH_THREAD, rows)
        await session.execute(_MARK_READ, rows)
    set_committed_value(thread, "updated_at", message.created_at)
    set_committed_value(sender, "last_read", message.created_at)
