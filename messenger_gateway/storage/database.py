"""The async engine and session factory, for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import event, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from messenger_gateway.storage import sqlite_driver
from messenger_gateway.storage.thread_audience import track_audience_changes


class MessengerSession(Session):
    """The ORM session every request uses; it keeps threads' audience versions current (storage/thread_audience.py)."""


track_audience_changes(MessengerSession)


class Database:
    def __init__(self, url: str, schema: str | None = None, echo: bool = False, pool_timeout: float = 5.0) -> None:
        """`pool_timeout`: how long a session waits for a connection before the request gets a 503."""
        self.url = url
        self.schema = schema
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo}
        self.sqlite_file: str | None = None
        if self.is_sqlite:
            path = self.sqlite_file = _ensure_sqlite_dir(url)
            if path:
                kwargs["async_creator"] = lambda: sqlite_driver.connect(path, busy_timeout=30.0)
                # One connection: SQLite has one writer at a time, and concurrent write transactions on several
                # connections wait in SQLite's busy handler (sleeping up to 100 ms a try). Queuing for the one
                # connection in asyncio instead hands it over the moment the previous transaction ends.
                kwargs["pool_size"] = 1
                kwargs["max_overflow"] = 0
                kwargs["pool_timeout"] = pool_timeout
            else:  # in memory: SQLAlchemy keeps the one connection (StaticPool), which takes no pool sizes
                kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs["pool_size"] = 10
            kwargs["max_overflow"] = 20
            kwargs["pool_timeout"] = pool_timeout
            kwargs["pool_pre_ping"] = True
            if schema:
                kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite and "async_creator" not in kwargs:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, sync_session_class=MessengerSession)

    def session(self) -> AsyncSession:
        return self.sessions()

    async def ping(self) -> None:
        """One round trip to the database (for /ready and the start-up wait)."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    def pool_use(self) -> dict[str, int]:
        """Connections of the pool: open in all, lent to a session now, and the pool's size."""
        pool: Any = self.engine.pool
        read = {name: getattr(pool, name, None) for name in ("checkedout", "checkedin", "size")}
        checked_out = read["checkedout"]() if callable(read["checkedout"]) else 0
        checked_in = read["checkedin"]() if callable(read["checkedin"]) else 0
        size = read["size"]() if callable(read["size"]) else 0
        return {"open": checked_out + checked_in, "in_use": checked_out, "size": size}

    async def checkpoint(self) -> None:
        """Move the SQLite WAL into the database file, off the event loop (see storage/sqlite_driver.py)."""
        if self.sqlite_file is not None:
            await asyncio.to_thread(sqlite_driver.checkpoint, self.sqlite_file)

    async def dispose(self) -> None:
        await self.engine.dispose()


def _ensure_sqlite_dir(url: str) -> str | None:
    """The database file's path (its directory created), or None for an in-memory database."""
    path = make_url(url).database or ""
    if not path or path == ":memory:":
        return None
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return path


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """For an in-memory database (plain aiosqlite; a file goes through storage/sqlite_driver.py)."""
    cursor = dbapi_connection.cursor()
    for pragma in (*sqlite_driver.PRAGMAS, "busy_timeout=30000"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()
