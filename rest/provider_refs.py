"""`providers: [{alias, id}]` in a request, and the header that names providers an action skipped."""
from __future__ import annotations

import orjson
from aiohttp import web

from core.errors import validation_error

SKIPPED_HEADER = "X-Skipped-Providers"
MAX_PROVIDERS = 100


def provider_refs(value: object, required: bool = False) -> list[tuple[str, str]]:
    """`providers: [{alias, id}]` as (alias, id) pairs; 422 naming each malformed item."""
    if value is None or value == []:
        if required:
            raise validation_error({"providers": ["The providers field is required."]})
        return []
    if not isinstance(value, list):
        raise validation_error({"providers": ["The providers must be an array."]})
    errors: dict[str, list[str]] = {}
    refs = []
    for n, item in enumerate(value[:MAX_PROVIDERS]):
        alias = item.get("alias") if isinstance(item, dict) else None
        pid = item.get("id") if isinstance(item, dict) else None
        if not isinstance(alias, str) or not alias:
            errors[f"providers.{n}.alias"] = [f"The providers.{n}.alias field is required."]
        if not isinstance(pid, (str, int)) or isinstance(pid, bool) or pid == "":
            errors[f"providers.{n}.id"] = [f"The providers.{n}.id field is required."]
        if not errors:
            refs.append((str(alias), str(pid)))
    if len(value) > MAX_PROVIDERS:
        errors["providers"] = [f"The providers must not have more than {MAX_PROVIDERS} items."]
    if errors:
        raise validation_error(errors)
    return refs


def with_skipped(response: web.Response, skipped: list[dict]) -> web.Response:
    """Name the providers that were not added (not friends, unknown, already in) in a response header."""
    response.headers[SKIPPED_HEADER] = orjson.dumps(skipped).decode()
    return response
