"""`?since=` on the thread and message lists: what changed after a moment, for clients that were away longer than
the channel history keeps (docs/recovery.md)."""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import quote

from aiohttp import web

from messenger_gateway.core.errors import ApiError
from messenger_gateway.core.jsonio import iso


def since_of(request: web.Request) -> datetime | None:
    """The `since` query parameter as a naive UTC datetime (how times are stored), or None when absent."""
    raw = request.query.get("since")
    if raw is None:
        return None
    try:
        parsed = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise ApiError(422, "The given data was invalid.",
                       errors={"since": ["The since must be a date and time (ISO 8601), e.g. 2026-01-31T12:00:00Z."]})
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def since_query(since: datetime | None) -> str:
    """What the next page's route carries so it stays within the same window."""
    return "" if since is None else f"?since={quote(iso(since) or '')}"
