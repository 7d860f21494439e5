"""Reading request bodies: JSON, urlencoded or multipart, always as a dict of fields."""
from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from core.errors import ApiError

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def read_fields(request: web.Request) -> dict[str, Any]:
    """The body's fields. Empty body -> {}; malformed JSON -> 400; other media types -> 415."""
    ctype = request.content_type
    if ctype in FORM_TYPES:
        return dict(await request.post())
    raw = await request.read()
    if not raw.strip():
        return {}
    if ctype not in ("application/json", "application/octet-stream") and not ctype.endswith("+json"):
        raise ApiError(415, "Unsupported media type: send application/json or form data.")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiError(400, "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(422, "The request body must be a JSON object.")
    return data
