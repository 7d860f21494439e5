"""Reading request bodies: JSON, urlencoded or multipart, always as a dict of fields."""
from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from messenger_gateway.core.errors import ApiError

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# what aiohttp's form parser raises for a body that is not a well-formed form (no or wrong boundary, unterminated:
# an AssertionError "Reading after EOF" before aiohttp 3.12, control characters in a part's headers)
MALFORMED_MULTIPART = (ValueError, RuntimeError, AssertionError, HttpProcessingError)


NUL_MESSAGE = "The {} must not contain NUL characters."


def reject_nul(data: Any, path: str = "") -> None:
    """422 for any string holding U+0000: PostgreSQL cannot store one (SQLite can), so both refuse it alike."""
    if isinstance(data, str):
        if "\x00" in data:
            field = path or "body"
            raise ApiError(422, "The given data was invalid.", {field: [NUL_MESSAGE.format(field.replace("_", " "))]})
    elif isinstance(data, dict):
        for key, value in data.items():
            reject_nul(key, path or "body")
            reject_nul(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            reject_nul(value, f"{path}.{index}" if path else str(index))


async def read_fields(request: web.Request) -> dict[str, Any]:
    """The body's fields. Empty body -> {}; malformed JSON -> 400; other media types -> 415; NUL in a string -> 422."""
    ctype = request.content_type
    if ctype in FORM_TYPES:
        try:
            fields = dict(await request.post())
        except MALFORMED_MULTIPART:
            raise ApiError(400, "The form data is malformed.") from None
        reject_nul({k: v for k, v in fields.items() if isinstance(v, str)})
        return fields
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
    reject_nul(data)
    return data
