"""The embedded SQLite database: slow statements and other processes' locks never freeze the event loop, and the
WAL is checkpointed into the database file in the background."""
from __future__ import annotations

import asyncio
import shutil
import sqlite3
import threading
import time
from pathlib import Path
from typing import Awaitable, Callable, TypeVar

import pytest
from sqlalchemy import text

from messenger_gateway.core.services import SERVICES
from messenger_gateway.storage.database import Database

T = TypeVar("T")

# About a quarter of a second of work inside SQLite on this kind of machine.
SLOW_QUERY = text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000000) SELECT count(*) FROM n")


@pytest.fixture
def database(sqlite_database):
    return sqlite_database


async def ticks_during(work: Callable[[], Awaitable[T]]) -> tuple[T, int]:
    """Run `work` while a ticker counts how often the event loop got to run it."""
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    try:
        result = await work()
    finally:
        done.set()
        await task
    return result, ticks


async def test_a_slow_statement_runs_off_the_event_loop_every_time(tmp_path: Path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'slow.sqlite3'}")
    try:
        async def slow() -> tuple[int, float]:
            async with db.session() as session:
                started = time.perf_counter()
                count = (await session.execute(SLOW_QUERY)).scalar_one()
                return count, time.perf_counter() - started

        for _ in range(3):  # the first run is timed; the later ones know it is slow
            (count, seconds), ticks = await ticks_during(slow)
            assert count == 2_000_000
            assert ticks >= seconds / 0.005 / 4, f"the loop ran {ticks} times in {seconds:.3f} s"
    finally:
        await db.dispose()


async def befriend(api, sender, recipient):
    return await api.post("/api/messenger/friends/sent", sender.token,
                          json={"recipient_id": recipient.id, "recipient_alias": "user"})


async def test_a_write_waits_for_another_process_lock_without_freezing_the_server(api, server, tmp_path):
    ann, ben, cat = [await api.register(name) for name in ("Ann", "Ben", "Cat")]
    # the same statements once without the lock: they are known to be fast, so they would run on the loop
    assert (await befriend(api, ann, cat)).status == 201
    path = server.app[SERVICES].db.sqlite_file
    locked, release = threading.Event(), threading.Event()

    def hold_the_write_lock() -> None:
        conn = sqlite3.connect(path)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        release.wait(5)
        conn.rollback()
        conn.close()

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    locked.wait(5)
    try:
        write = asyncio.create_task(befriend(api, ann, ben))
        started = time.perf_counter()
        for _ in range(5):  # meanwhile the server answers: the wait happens off its event loop
            info = await api.get("/api/messenger")
            assert info.status == 200
            await asyncio.sleep(0.05)
        assert time.perf_counter() - started < 1.0
        assert not write.done()  # still waiting for the lock
    finally:
        release.set()
        await asyncio.to_thread(holder.join)
    assert (await write).status == 201  # stored once the lock was released
    pending = (await api.get("/api/messenger/friends/pending", ben.token)).body
    assert [p["sender_id"] for p in pending] == [ann.id]


async def test_the_database_file_itself_holds_the_data_within_seconds(api, server, tmp_path):
    users = [await api.register(f"User {i}") for i in range(20)]
    path = Path(server.app[SERVICES].db.sqlite_file)
    for _ in range(40):  # the checkpoint runs every second
        await asyncio.sleep(0.1)
        copy = tmp_path / "copy.sqlite3"
        shutil.copyfile(path, copy)  # the file alone, without its -wal: what a plain file copy would take
        try:
            with sqlite3.connect(copy) as conn:
                emails = {row[0] for row in conn.execute("SELECT email FROM providers")}
        except sqlite3.DatabaseError:
            continue
        if all(u.email in emails for u in users):
            break
    assert all(u.email in emails for u in users)
