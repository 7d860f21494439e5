"""GET /api/openapi.json: the machine-readable contract of every HTTP route."""
from __future__ import annotations

from functools import lru_cache

import orjson
from aiohttp import web

from messenger_gateway.core.services import services
from messenger_gateway.rest.auth import public
from messenger_gateway.rest.openapi import openapi_document


@lru_cache(maxsize=4)
def _rendered(api_prefix: str, web_prefix: str, web_client: bool) -> bytes:
    return orjson.dumps(openapi_document(api_prefix, web_prefix, web_client))


@public
async def document(request: web.Request) -> web.Response:
    m = services(request).config.messenger
    return web.Response(body=_rendered(m.api_prefix, m.web_prefix, m.web_client), content_type="application/json")
