"""aiosqlite, with fast statements run right on the event loop and one thread hop for the others.

aiosqlite runs every sqlite3 call on its connection's thread, and SQLAlchemy's aiosqlite adapter makes four calls
per SELECT (cursor, execute, fetchall, close) and three per write. Each is a round trip between the event loop and
that thread (a queue put, a thread wake-up, the GIL changing hands, a self-pipe write, a loop wake-up): about
40 µs of CPU on one core, and far more under load, while the statements a message send runs (primary-key and
index lookups, three small writes) take a few microseconds inside SQLite. So:

- a statement runs in one call (execute, description, every row, close) and its rows are kept by the cursor;
- a statement that ran fast last time (under `INLINE_LIMIT_SECONDS`) runs inline on the event loop; one that is new
  or ran slow (a search scanning a large table, say) runs on the connection's thread, so a slow query never
  stalls the sockets. Each run re-times it, so a statement moves between the two as its cost changes;
- commits and rollbacks run inline: in WAL mode with synchronous=NORMAL a commit appends to the WAL and does not
  sync. The one slow part of a commit, the WAL checkpoint, is taken off it: `checkpoint()` runs on its own
  connection and thread every second (app/factory.py), and automatic checkpoints only start past a large WAL.

Only one of the loop or the thread uses the connection at a time: the pool hands it to one session, and the
adapter awaits each call before making the next.
"""
from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import aiosqlite

PRAGMAS = ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL")
INLINE_LIMIT_SECONDS = 0.001
AUTOCHECKPOINT_PAGES = 10_000  # a backstop: the periodic checkpoint keeps the WAL far smaller
_MAX_TIMED_STATEMENTS = 4_096

_T = TypeVar("_T")
_Description = tuple[tuple[Any, ...], ...] | None


class _Outcome:
    __slots__ = ("description", "lastrowid", "rowcount", "rows")

    def __init__(self, description: _Description, rows: list[Any], rowcount: int, lastrowid: int | None) -> None:
        self.description = description
        self.rows = rows
        self.rowcount = rowcount
        self.lastrowid = lastrowid


_NOTHING = _Outcome(None, [], -1, None)


def _run(conn: sqlite3.Connection, sql: str, parameters: Any, many: bool) -> tuple[_Outcome, float]:
    """The whole statement, its rows included, and how long it took."""
    started = time.perf_counter()
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return _Outcome(description, rows, cursor.rowcount, cursor.lastrowid), time.perf_counter() - started
    finally:
        cursor.close()


def _busy(error: sqlite3.OperationalError) -> bool:
    return getattr(error, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _waiting(call: Callable[[], _T], timeout: float) -> _T:
    """On the thread: `call`, retried while another connection holds the lock (SQLite's busy handler is off, so
    that a statement run inline never sleeps on the event loop). A statement that failed busy changed nothing."""
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        try:
            return call()
        except sqlite3.OperationalError as error:
            if not _busy(error) or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


class PrefetchingCursor:
    """The part of aiosqlite's Cursor that SQLAlchemy uses, with the rows fetched when the statement runs."""

    arraysize = 1

    def __init__(self, connection: FastConnection) -> None:
        self._connection = connection
        self._outcome = _NOTHING
        self._position = 0

    async def __aenter__(self) -> PrefetchingCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def execute(self, sql: str, parameters: Any = None) -> PrefetchingCursor:
        return await self._run(sql, () if parameters is None else parameters, many=False)

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> PrefetchingCursor:
        return await self._run(sql, list(parameters), many=True)

    async def _run(self, sql: str, parameters: Any, many: bool) -> PrefetchingCursor:
        self._outcome = await self._connection.run_statement(sql, parameters, many)
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
        self._position = len(self._outcome.rows)

    @property
    def description(self) -> _Description:
        return self._outcome.description

    @property
    def rowcount(self) -> int:
        return self._outcome.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._outcome.lastrowid


class FastConnection(aiosqlite.Connection):
    def __init__(self, connector: Callable[[], sqlite3.Connection], busy_timeout: float) -> None:
        super().__init__(connector, 64)
        self._busy_timeout = busy_timeout
        self._last_seconds: dict[str, float] = {}  # statement -> how long it took last time
        self.inline_statements = 0  # run right on the event loop (the fast path); a test checks it is taken

    def cursor(self) -> PrefetchingCursor:  # type: ignore[override]
        return PrefetchingCursor(self)

    async def run_statement(self, sql: str, parameters: Any, many: bool) -> _Outcome:
        conn = self._conn
        last = self._last_seconds.get(sql)
        outcome: _Outcome | None = None
        if last is not None and last < INLINE_LIMIT_SECONDS:
            try:
                outcome, seconds = _run(conn, sql, parameters, many)
                self.inline_statements += 1
            except sqlite3.OperationalError as error:
                if not _busy(error):
                    raise
        if outcome is None:
            outcome, seconds = await self._execute(  # type: ignore[no-untyped-call]  # aiosqlite's, unannotated
                _waiting, lambda: _run(conn, sql, parameters, many), self._busy_timeout)
        if last is None and len(self._last_seconds) >= _MAX_TIMED_STATEMENTS:
            self._last_seconds.clear()
        self._last_seconds[sql] = seconds
        return outcome

    async def commit(self) -> None:
        await self._inline_or_waiting(self._conn.commit)

    async def rollback(self) -> None:
        await self._inline_or_waiting(self._conn.rollback)

    async def _inline_or_waiting(self, call: Callable[[], None]) -> None:
        try:
            call()
        except sqlite3.OperationalError as error:
            if not _busy(error):
                raise
            await self._execute(_waiting, call, self._busy_timeout)  # type: ignore[no-untyped-call]


def connect(database: str, busy_timeout: float = 30.0) -> FastConnection:
    """Like `aiosqlite.connect`. The connection may be used from the loop and from its thread, one at a time."""

    def connector() -> sqlite3.Connection:
        conn = sqlite3.connect(database, timeout=0, check_same_thread=False)
        for pragma in (*PRAGMAS, "busy_timeout=0", f"wal_autocheckpoint={AUTOCHECKPOINT_PAGES}"):
            conn.execute(f"PRAGMA {pragma}")
        return conn

    connection = FastConnection(connector, busy_timeout)
    connection._thread.daemon = True  # as SQLAlchemy's adapter makes aiosqlite's own
    return connection


def checkpoint(database: str) -> None:
    """Copy what the WAL holds into the database file, without waiting for readers or writers (blocking: run it
    on a thread). Its own short-lived connection, so it never competes for the service's one."""
    conn = sqlite3.connect(database, timeout=30)
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        conn.close()
