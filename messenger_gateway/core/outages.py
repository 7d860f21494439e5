"""Expected failures of a dependency (the database or Redis is down, slow or unreachable): how to recognise them,
how to say them in one line, and how to wait for a dependency to come back with backoff.

A dependency outage is part of a bad day, not a bug: it gets one log line naming what failed and why, never a
stack trace. This module imports no client library; it recognises their errors by what they derive from.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger("messenger")

# Class names (anywhere in the exception's MRO) that mean "could not reach or talk to the service":
# redis-py's ConnectionError/TimeoutError/BusyLoadingError, asyncpg's connection and "cannot connect now" errors,
# SQLAlchemy's wrapper around them (OperationalError / InterfaceError carry the driver's error as `orig`).
_OUTAGE_NAMES = {
    "ConnectionError", "TimeoutError", "BusyLoadingError", "ConnectionDoesNotExistError",
    "CannotConnectNowError", "ConnectionFailureError", "TooManyConnectionsError", "PostgresConnectionError",
}


def is_outage(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) says a dependency could not be reached or did not answer."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (OSError, asyncio.TimeoutError)):
            return True
        if any(cls.__name__ in _OUTAGE_NAMES for cls in type(current).__mro__):
            return True
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else (current.__cause__ or current.__context__)
    return False


def describe(exc: BaseException) -> str:
    """One line: the innermost reason, without the driver's boilerplate."""
    inner: BaseException = exc
    orig = getattr(exc, "orig", None)
    if isinstance(orig, BaseException):
        inner = orig
    elif exc.__cause__ is not None:
        inner = exc.__cause__
    if isinstance(inner, OSError) and inner.strerror:
        return inner.strerror
    text = str(inner).strip().splitlines()[0] if str(inner).strip() else ""
    return text or type(inner).__name__


def redact_url(url: str) -> str:
    """The URL with any password replaced by ***, for logs and `messenger-gateway config`."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{user}:***@{host}{port}", parts.path, parts.query, parts.fragment))


class DependencyUnreachable(Exception):
    """A dependency did not answer within `server.wait_for_dependencies_seconds` at start-up."""


async def wait_until_reachable(
    name: str, url: str, probe: Callable[[], Awaitable[object]], *,
    first_delay: float = 0.5, max_delay: float = 30.0, give_up_after: float | None = None,
    waiting: Callable[[str | None], None] | None = None,
) -> None:
    """Run `probe` until it succeeds. Each failure that is an outage gives one line (what, where, why, when the
    next try is) and the delay doubles up to `max_delay`; any other error is raised. After `give_up_after`
    seconds (None: never), DependencyUnreachable. `waiting` is told what is awaited (None once it answered)."""
    delay = first_delay
    failures = 0
    loop = asyncio.get_running_loop()
    deadline = None if give_up_after is None else loop.time() + give_up_after
    while True:
        try:
            await probe()
        except Exception as exc:
            if not is_outage(exc):
                raise
            failures += 1
            where = f"{name} at {redact_url(url)}"
            if waiting is not None:
                waiting(f"waiting for {where} ({describe(exc)})")
            pause = delay if deadline is None else min(delay, deadline - loop.time())
            if pause <= 0:
                raise DependencyUnreachable(
                    f"{where} is unreachable ({describe(exc)}); gave up after {give_up_after:g} s "
                    f"(server.wait_for_dependencies_seconds)") from None
            log.warning("%s is unreachable (%s); retrying in %.1f s", where, describe(exc), pause)
            await asyncio.sleep(pause)
            delay = min(delay * 2, max_delay)
            continue
        if waiting is not None:
            waiting(None)
        if failures:
            log.info("%s at %s is reachable again", name, redact_url(url))
        return
