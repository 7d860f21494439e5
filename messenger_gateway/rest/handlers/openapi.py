"""GET /api/openapi.json: the machine-readable contract of every HTTP route."""
from __future__ import annotations

from functools import lru_cache

import orjson
from aiohttp import web

from messenger_gateway.core.services import services
from messenger_gateway.rest.auth import public
from messenger_gateway.rest.openapi import openapi_document


@lru_cache(maxsize=4)
def _rendered(api_prefix: str) -> bytes:
    return orjson.dumps(openapi_document(api_prefix))


@public
async def document(request: web.Request) -> web.Response:
    return web.Response(body=_rendered(services(request).config.messenger.api_prefix), content_type="application/json")
