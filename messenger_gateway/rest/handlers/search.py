"""GET /api/messenger/search/{query}: providers by name or exact email, 25 per page."""
from __future__ import annotations

import re

from aiohttp import web

from messenger_gateway.core.jsonio import json_response
from messenger_gateway.core.services import services
from messenger_gateway.rest.auth import SESSION, current_provider
from messenger_gateway.rest.pagination import page_number, paginator
from messenger_gateway.storage.models import Provider
from messenger_gateway.storage.search import search_providers

STRIPPED = re.compile(r'[%<>`"]')
SEPARATORS = re.compile(r"[ \n,]+")
MAX_ITEMS = 4


def search_terms(raw: str) -> tuple[str, list[str]]:
    """The sanitised query and its items: unique pieces of at least 2 characters, at most 4."""
    query = STRIPPED.sub("", raw).strip()
    items: list[str] = []
    for piece in SEPARATORS.split(query):
        if len(piece) >= 2 and piece not in items:
            items.append(piece)
        if len(items) == MAX_ITEMS:
            break
    return query, items


async def search(request: web.Request) -> web.Response:
    svc = services(request)
    me = current_provider(request)
    decision = await svc.search_limiter.enforce(me.id)
    query, items = search_terms(request.match_info.get("query", ""))
    per_page = svc.config.messenger.collections.search_page_count
    page = page_number(request.query.get("page"))
    kind = svc.providers.get(me.alias)
    aliases = list(kind.can_search) if kind else []
    hits: list[Provider] = []
    total = 0
    if len(query) >= 2 and aliases:
        session = request[SESSION]
        hits, total = await search_providers(session, query, items, aliases, (page - 1) * per_page, per_page)
        options = await svc.options.for_targets(session, me, hits)
        data = [svc.resources.provider(p, options=options[p.id]) for p in hits]
    else:
        data = []
    path = str(request.url.with_query(None).with_fragment(None))
    body = paginator(
        data, total=total, page=page, per_page=per_page, path=path,
        extra_meta={"search": query, "search_items": items},
    )
    return json_response(body, headers=decision.headers())
