"""Migrations upgrade a database that already holds data, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from messenger_gateway.storage.database import Database
from messenger_gateway.storage.migrate import upgrade
from messenger_gateway.storage.models import Participant, Provider, Thread

NOW = datetime(2026, 1, 1, 10)  # naive UTC, as the models store it


def participant(row_id: str, at: datetime) -> Participant:
    return Participant(id=row_id, thread_id="t1", owner_id="p1", owner_type="App\\Models\\User",
                       created_at=at, updated_at=at)


async def test_0005_retires_duplicate_participant_rows_and_then_refuses_them(database):
    db = Database(database["database_url"], schema=database.get("database_schema"))
    try:
        await upgrade(db, "0004")  # the schema before the unique index, holding a duplicate a race once made
        async with db.session() as session:
            session.add(Provider(id="p1", name="P", email="p@example.com", password_hash="x", created_at=NOW,
                                 updated_at=NOW))
            session.add(Thread(id="t1", type=2, subject="G", created_at=NOW, updated_at=NOW))
            await session.flush()
            session.add_all([participant("a-old", NOW), participant("b-new", NOW + timedelta(hours=1))])
            await session.commit()
        await upgrade(db)
        async with db.session() as session:
            live = (await session.execute(select(Participant.id).where(Participant.deleted_at.is_(None)))).scalars()
            assert list(live) == ["a-old"]  # the older row stays
            session.add(participant("c", NOW + timedelta(hours=2)))
            with pytest.raises(IntegrityError):
                await session.commit()
    finally:
        await db.dispose()


async def test_nodes_starting_together_on_an_empty_schema_all_come_up(database):
    """Several nodes migrating one empty PostgreSQL schema at once."""
    import asyncio

    if database["database_url"].startswith("sqlite"):
        pytest.skip("a SQLite file belongs to one node: several nodes share PostgreSQL")

    from messenger_gateway.storage.migrate import current_revision, head_revision

    dbs = [Database(database["database_url"], schema=database.get("database_schema")) for _ in range(4)]
    try:
        results = await asyncio.gather(*(upgrade(db) for db in dbs), return_exceptions=True)
        assert [r for r in results if isinstance(r, BaseException)] == []
        assert await current_revision(dbs[0]) == head_revision()
    finally:
        for db in dbs:
            await db.dispose()
