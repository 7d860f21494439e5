"""Rows written straight into the service's database, for state whose REST routes come later."""
from __future__ import annotations

from datetime import datetime, timedelta

from messenger_gateway.core.services import Services
from sqlalchemy import insert, update

from messenger_gateway.storage.models import Call, CallParticipant, Friend, Message, Participant, PendingFriend, Thread

OWNER_TYPE = "App\\Models\\User"


async def make_thread(
    svc: Services, members: list[str], *, group: bool = False, subject: str | None = None,
    read_by: tuple[str, ...] = (), admins: tuple[str, ...] = (), updated: datetime | None = None,
) -> str:
    now = svc.clock.now()
    updated = updated or now
    thread = Thread(type=2 if group else 1, subject=subject, image="3.png" if group else None,
                    created_at=now - timedelta(minutes=5), updated_at=updated)
    async with svc.db.session() as session:
        session.add(thread)
        await session.flush()
        for member in members:
            session.add(Participant(
                thread_id=thread.id, owner_id=member, owner_type=OWNER_TYPE, admin=member in admins,
                last_read=updated + timedelta(seconds=1) if member in read_by else None,
                created_at=now, updated_at=now,
            ))
        await session.commit()
    return thread.id


async def make_call(svc: Services, thread_id: str, owner: str, joined: tuple[str, ...] = (), ended: bool = False) -> str:
    now = svc.clock.now()
    call = Call(thread_id=thread_id, owner_id=owner, owner_type=OWNER_TYPE, type=1, setup_complete=True,
                call_ended=now if ended else None, created_at=now, updated_at=now)
    async with svc.db.session() as session:
        session.add(call)
        await session.flush()
        for member in joined:
            session.add(CallParticipant(call_id=call.id, owner_id=member, owner_type=OWNER_TYPE,
                                        created_at=now, updated_at=now))
        await session.commit()
    return call.id


async def make_friends(svc: Services, a: str, b: str) -> tuple[str, str]:
    now = svc.clock.now()
    ab = Friend(owner_id=a, owner_type=OWNER_TYPE, party_id=b, party_type=OWNER_TYPE, created_at=now, updated_at=now)
    ba = Friend(owner_id=b, owner_type=OWNER_TYPE, party_id=a, party_type=OWNER_TYPE, created_at=now, updated_at=now)
    async with svc.db.session() as session:
        session.add_all([ab, ba])
        await session.commit()
    return ab.id, ba.id


async def make_friend_request(svc: Services, sender: str, recipient: str) -> str:
    now = svc.clock.now()
    row = PendingFriend(sender_id=sender, sender_type=OWNER_TYPE, recipient_id=recipient,
                        recipient_type=OWNER_TYPE, created_at=now, updated_at=now)
    async with svc.db.session() as session:
        session.add(row)
        await session.commit()
    return row.id


async def make_messages(svc: Services, thread_id: str, owners: list[str], count: int, start: datetime) -> None:
    """`count` text messages "message {n}", one a second from `start`, the owners taking turns (one statement)."""
    rows = [{"thread_id": thread_id, "owner_id": owners[n % len(owners)], "owner_type": OWNER_TYPE, "type": 0,
             "body": f"message {n}", "created_at": start + timedelta(seconds=n), "updated_at": start + timedelta(seconds=n)}
            for n in range(count)]
    async with svc.db.session() as session:
        await session.execute(insert(Message), rows)
        await session.execute(update(Thread).where(Thread.id == thread_id).values(updated_at=start + timedelta(seconds=count)))
        await session.commit()
