"""Middlewares: JSON errors, metrics and the access log for everything; bearer-token authentication under the API."""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware
from sqlalchemy.exc import TimeoutError as PoolTimeout

from messenger_gateway.core.errors import ApiError
from messenger_gateway.core.jsonio import json_response
from messenger_gateway.core.outages import describe, is_outage
from messenger_gateway.core.services import SERVICES, Services
from messenger_gateway.rest.auth import PROVIDER, SESSION, TOKEN, bearer_token
from messenger_gateway.rest.body_gate import BODY_METHODS, read_whole_body
from messenger_gateway.rest.cors import CorsPolicy

log = logging.getLogger("messenger.rest")
access_log = logging.getLogger("messenger.access")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Operational routes answer while draining, and with the Socket.IO transport they stay out of the access log
# (probes every few seconds, long-polls every ping interval); they are still counted in /metrics.
OPERATIONAL = ("/health", "/ready", "/metrics")
QUIET_PREFIXES = (*OPERATIONAL, "/socket.io/")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def errors_middleware(svc: Services) -> Middleware:
    """Every request: counted and timed (by route template), logged in one line, errors answered as JSON.

    A declared body over the limit is refused before any of it is read (streamed uploads included). One
    middleware for all of it, bound to the node's services: each layer and lookup costs every request, heartbeats
    included."""
    observe = svc.metrics.observe_request
    logging_config = svc.config.logging
    lifecycle = svc.lifecycle
    limit = svc.config.server.max_request_kb * 1024
    idle_timeout = svc.config.server.body_idle_timeout_seconds
    total_timeout = svc.config.server.body_timeout_seconds
    cors = CorsPolicy(svc.config.cors_origins)

    @web.middleware
    async def observed(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        response: web.StreamResponse
        lifecycle.in_flight += 1
        origin = cors.applies(request)
        try:
            if origin is not None and cors.is_preflight(request):
                response = cors.preflight(origin)
            elif lifecycle.draining and not request.path.startswith(OPERATIONAL):
                response = _error(ApiError(503, "The server is shutting down. Retry on another node.",
                                           headers={"Connection": "close", "Retry-After": "1"}))
            elif request.content_length is not None and request.content_length > limit:
                response = _error(ApiError(413, f"The request body is too large (limit {limit // 1024} KB)."))
            else:
                response = await _answer(request, handler, limit, idle_timeout, total_timeout)
            if origin is not None and not response.prepared:
                cors.decorate(response.headers, origin)
            status = response.status
            return response
        except web.HTTPException as exc:  # redirects pass through
            status = exc.status
            raise
        except asyncio.CancelledError:
            status = 499  # the client went away before the answer
            raise
        finally:
            lifecycle.in_flight -= 1
            seconds = time.perf_counter() - started
            resource = request.match_info.route.resource
            route = resource.canonical if resource is not None else "unmatched"
            method = request.method if request.method in METHODS else "OTHER"
            observe(route, method, status, seconds)
            if logging_config.access_log and access_log.isEnabledFor(logging.INFO) \
                    and not request.path.startswith(QUIET_PREFIXES):
                _log_access(request, route, status, seconds)

    return observed


def _log_access(request: web.Request, route: str, status: int, seconds: float) -> None:
    provider = request.get(PROVIDER)
    user_id = provider.id if provider is not None else None
    access_log.info("%s %s %d %.1fms user=%s ip=%s", request.method, request.path, status, seconds * 1000,
                    user_id or "-", request.remote, extra={"http": {
                        "method": request.method, "path": request.path, "route": route, "status": status,
                        "duration_ms": round(seconds * 1000, 2), "user_id": user_id, "remote": request.remote}})


def _error(exc: ApiError) -> web.Response:
    return json_response(exc.body(), status=exc.status, headers=exc.headers or None)


async def _answer(
    request: web.Request, handler: Handler, limit: int, idle_timeout: float, total_timeout: float,
) -> web.StreamResponse:
    try:
        if "\x00" in request.path:  # no route parameter can hold one (and PostgreSQL could not compare it)
            raise web.HTTPNotFound()
        if "\x00" in request.query_string:  # yarl's decoded query
            raise ApiError(422, "The given data was invalid.", {"query": ["The query must not contain NUL characters."]})
        # Socket.IO's transport reads its own bodies (bounded by gateway.limits.max_payload_kb, no database)
        if request.method in BODY_METHODS and request.body_exists and not request.path.startswith("/socket.io/"):
            await read_whole_body(request, limit, idle_timeout, total_timeout)
        return await handler(request)
    except ApiError as exc:
        return _error(exc)
    except web.HTTPMethodNotAllowed as exc:
        allowed = ", ".join(sorted(exc.allowed_methods))
        return json_response(
            {"message": f"The {request.method} method is not supported for this route. Supported methods: {allowed}."},
            status=405, headers={"Allow": allowed},
        )
    except web.HTTPNotFound:
        return json_response({"message": f"The route {request.path} could not be found."}, status=404)
    except web.HTTPRequestEntityTooLarge:
        return json_response({"message": f"The request body is too large (limit {limit // 1024} KB)."}, status=413,
                             headers={"Connection": "close"})
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return json_response({"message": exc.reason}, status=exc.status)
    except Exception as exc:
        if isinstance(exc, PoolTimeout):
            log.warning("%s %s: no database connection free within the pool timeout", request.method, request.path)
            return json_response({"message": "The server is busy. Try again shortly."}, status=503,
                                 headers={"Retry-After": "1"})
        if is_outage(exc):
            log.warning("%s %s: a dependency is unavailable (%s)", request.method, request.path, describe(exc))
            return json_response({"message": "A service this server depends on is unavailable. Try again shortly."},
                                 status=503, headers={"Retry-After": "2"})
        log.exception("unhandled error on %s %s", request.method, request.path)
        return json_response({"message": "Server Error."}, status=500)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every route under /api/ and under `messenger.api_prefix` needs a valid bearer token unless its handler is
    marked @public (no session) or @guest_allowed (a session, and the provider when a valid token came with the
    request)."""
    route_handler = request.match_info.handler
    is_public = getattr(route_handler, "public", False)
    guest_allowed = getattr(route_handler, "guest_allowed", False)
    svc = request.app[SERVICES]
    path = request.path
    under_api = path.startswith("/api/") or path.startswith(svc.config.messenger.api_prefix)
    if not under_api or (is_public and not guest_allowed):
        return await handler(request)
    if request.match_info.http_exception is not None:
        raise request.match_info.http_exception
    token = bearer_token(request)
    if token is None and not guest_allowed:
        raise ApiError(401, "Unauthenticated.")
    session = svc.db.session()
    try:
        request[SESSION] = session
        found = await svc.accounts.authenticate(session, token) if token else None
        if found is None:
            if guest_allowed:
                return await handler(request)
            raise ApiError(401, "Unauthenticated.")
        provider, access_token = found
        if session.in_transaction():  # a token-cache miss: give the connection back before the handler runs
            await session.commit()
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
