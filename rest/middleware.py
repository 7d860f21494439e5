"""Middlewares: JSON errors for everything, and bearer-token authentication under /api/."""
from __future__ import annotations

import logging
from typing import Awaitable, Callable

from aiohttp import web

from core.errors import ApiError
from core.jsonio import json_response
from core.services import SERVICES
from rest.auth import PROVIDER, SESSION, TOKEN, bearer_token

log = logging.getLogger("messenger.rest")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """JSON errors for everything; and a declared body over the limit is refused before any of it is read
    (streamed uploads included). One middleware for both: each layer costs every request, heartbeats included."""
    try:
        limit = request.app[SERVICES].config.server.max_request_kb * 1024
        if request.content_length is not None and request.content_length > limit:
            raise ApiError(413, f"The request body is too large (limit {limit // 1024} KB).")
        return await handler(request)
    except ApiError as exc:
        return json_response(exc.body(), status=exc.status, headers=exc.headers or None)
    except web.HTTPMethodNotAllowed as exc:
        allowed = ", ".join(sorted(exc.allowed_methods))
        return json_response(
            {"message": f"The {request.method} method is not supported for this route. Supported methods: {allowed}."},
            status=405, headers={"Allow": allowed},
        )
    except web.HTTPNotFound:
        return json_response({"message": f"The route {request.path} could not be found."}, status=404)
    except web.HTTPRequestEntityTooLarge as exc:
        return json_response({"message": f"The request body is too large ({exc.text or 'over the limit'})."}, status=413)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return json_response({"message": exc.reason}, status=exc.status)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return json_response({"message": "Server Error."}, status=500)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every /api/ route needs a valid bearer token unless its handler is marked @public (no session)
    or @guest_allowed (a session, and the provider when a valid token came with the request)."""
    route_handler = request.match_info.handler
    is_public = getattr(route_handler, "public", False)
    guest_allowed = getattr(route_handler, "guest_allowed", False)
    if not request.path.startswith("/api/") or (is_public and not guest_allowed):
        return await handler(request)
    if request.match_info.http_exception is not None:
        raise request.match_info.http_exception
    token = bearer_token(request)
    if token is None and not guest_allowed:
        raise ApiError(401, "Unauthenticated.")
    svc = request.app[SERVICES]
    session = svc.db.session()
    try:
        request[SESSION] = session
        found = await svc.accounts.authenticate(session, token) if token else None
        if found is None:
            if guest_allowed:
                return await handler(request)
            raise ApiError(401, "Unauthenticated.")
        provider, access_token = found
        if svc.providers.get(provider.alias) is None:
            raise ApiError(403, "Messenger provider not set or compatible.")
        request[PROVIDER] = provider
        request[TOKEN] = access_token
        return await handler(request)
    finally:
        # A request answered from the caches (most heartbeats) never began a transaction: nothing to close,
        # and closing would still cost a greenlet.
        if session.in_transaction() or session.sync_session.identity_map:
            await session.close()
