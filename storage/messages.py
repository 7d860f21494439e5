"""Message queries: one message of a thread, and the lists (all, logs, images, documents) with their owners."""
from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.system_messages import DOCUMENT, IMAGE, USER_TYPES
from storage.models import Message, MessageEdit, Provider

KINDS = ("messages", "logs", "images", "documents")


def message_list(thread_id: str, kind: str = "messages") -> Select:
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
