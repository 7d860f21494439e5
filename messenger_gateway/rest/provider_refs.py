"""`providers: [{alias, id}]` in a request, and the header that names providers an action skipped."""
from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from messenger_gateway.rest.validation import Validator

SKIPPED_HEADER = "X-Skipped-Providers"
MAX_PROVIDERS = 100
MAX_HEADER_BYTES = 8192


def provider_refs(v: Validator, required: bool = False) -> list[tuple[str, str]]:
    """`providers` as (alias, id) pairs; each malformed item is reported on the validator."""
    value = v.data.get("providers")
    if value is None or value == []:
        if required:
            v.fail("providers", "The providers field is required.")
        return []
    if not isinstance(value, list):
        v.fail("providers", "The providers must be an array.")
        return []
    if len(value) > MAX_PROVIDERS:
        v.fail("providers", f"The providers must not have more than {MAX_PROVIDERS} items.")
        return []
    refs = []
    for n, item in enumerate(value):
        alias = item.get("alias") if isinstance(item, dict) else None
        pid = item.get("id") if isinstance(item, dict) else None
        bad_alias = not isinstance(alias, str) or not alias
        bad_id = not isinstance(pid, (str, int)) or isinstance(pid, bool) or pid == ""
        if bad_alias:  # both reported when both are wrong, as Laravel's validator does
            v.fail(f"providers.{n}.alias", f"The providers.{n}.alias field is required.")
        if bad_id:
            v.fail(f"providers.{n}.id", f"The providers.{n}.id field is required.")
        if bad_alias or bad_id:
            continue
        if len(str(alias)) > 32 or len(str(pid)) > 64:
            v.fail(f"providers.{n}", f"The providers.{n} alias or id is too long.")
        else:
            refs.append((str(alias), str(pid)))
    return refs


def with_skipped(response: web.Response, skipped: list[dict[str, Any]]) -> web.Response:
    """Name the providers that were not added (not friends, unknown, already in) in a response header."""
    shown = skipped
    while shown and len(orjson.dumps(shown)) > MAX_HEADER_BYTES:  # at most 8 KB, whole items only
        shown = shown[: len(shown) // 2]
    response.headers[SKIPPED_HEADER] = orjson.dumps(shown).decode()
    return response
