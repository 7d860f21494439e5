"""aiosqlite with one thread hop per statement.

aiosqlite runs every sqlite3 call on its connection's thread, and SQLAlchemy's aiosqlite adapter makes four calls
per SELECT (cursor, execute, fetchall, close) and three per write: each one a round trip between the event loop
and that thread (a queue put, a thread wake-up, a self-pipe write, a loop wake-up), about 40 µs of CPU on one
core. The adapter fetches every row right after executing anyway, so here the cursor does all of it in one call
on the thread: execute, read the description, fetch the rows, close. A message send goes from 19 round trips
to 7. Everything else (transactions, functions, closing) is aiosqlite's own.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite

_Description = tuple[tuple[Any, ...], ...] | None


class _Outcome:
    __slots__ = ("description", "rows", "rowcount", "lastrowid")

    def __init__(self, description: _Description, rows: list[Any], rowcount: int, lastrowid: int | None) -> None:
        self.description = description
        self.rows = rows
        self.rowcount = rowcount
        self.lastrowid = lastrowid


def _run(conn: sqlite3.Connection, sql: str, parameters: Any, many: bool) -> _Outcome:
    """On the connection's thread: the whole statement, its rows included."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return _Outcome(description, rows, cursor.rowcount, cursor.lastrowid)
    finally:
        cursor.close()


class PrefetchingCursor:
    """The part of aiosqlite's Cursor that SQLAlchemy uses, with rows fetched during `execute`."""

    arraysize = 1

    def __init__(self, connection: OneHopConnection) -> None:
        self._connection = connection
        self._outcome = _Outcome(None, [], -1, None)
        self._position = 0

    async def __aenter__(self) -> PrefetchingCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __await__(self) -> Any:
        return self.__aenter__().__await__()

    async def execute(self, sql: str, parameters: Any = None) -> PrefetchingCursor:
        return await self._do(sql, () if parameters is None else parameters, many=False)

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> PrefetchingCursor:
        return await self._do(sql, parameters, many=True)

    async def _do(self, sql: str, parameters: Any, many: bool) -> PrefetchingCursor:
        self._outcome = await self._connection._execute(_run, self._connection._conn, sql, parameters, many)
        self._position = 0
        return self

    def _take(self, count: int | None) -> list[Any]:
        rows = self._outcome.rows
        end = len(rows) if count is None else min(len(rows), self._position + count)
        taken = rows[self._position:end]
        self._position = end
        return taken

    async def fetchone(self) -> Any:
        taken = self._take(1)
        return taken[0] if taken else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        return self._take(size or self.arraysize)

    async def fetchall(self) -> Sequence[Any]:
        return self._take(None)

    async def close(self) -> None:
        self._outcome = _Outcome(self._outcome.description, [], self._outcome.rowcount, self._outcome.lastrowid)

    async def nextset(self) -> None:
        return None

    async def setinputsizes(self, *sizes: Any) -> None:
        return None

    @property
    def description(self) -> _Description:
        return self._outcome.description

    @property
    def rowcount(self) -> int:
        return self._outcome.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._outcome.lastrowid


class OneHopConnection(aiosqlite.Connection):
    def cursor(self) -> PrefetchingCursor:  # type: ignore[override]
        return PrefetchingCursor(self)


def connect(database: str, **kwargs: Any) -> OneHopConnection:
    """Like `aiosqlite.connect`, with the one-hop cursor. The worker thread is a daemon, as SQLAlchemy makes it."""

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(database, **kwargs)

    connection = OneHopConnection(connector, 64)
    connection._thread.daemon = True
    return connection
