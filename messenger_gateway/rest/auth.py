"""Who is calling: the bearer token, resolved once per request by the auth middleware."""
from __future__ import annotations

from typing import Any, Callable

from aiohttp import web

from messenger_gateway.core.errors import ApiError
from messenger_gateway.storage.models import AccessToken, Provider

PROVIDER = "provider"
TOKEN = "access_token"
SESSION = "db_session"


def public(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a handler under /api/ as reachable without a token."""
    handler.__dict__["public"] = True
    return handler


def guest_allowed(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a handler reachable without a token that still learns who is calling when one is sent."""
    handler.__dict__["public"] = True
    handler.__dict__["guest_allowed"] = True
    return handler


def optional_provider(request: web.Request) -> Provider | None:
    return request.get(PROVIDER)


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def current_provider(request: web.Request) -> Provider:
    provider: Provider | None = request.get(PROVIDER)
    if provider is None:
        raise ApiError(401, "Unauthenticated.")
    return provider


def current_token(request: web.Request) -> AccessToken:
    token: AccessToken = request[TOKEN]
    return token


def socket_id(request: web.Request) -> str | None:
    """The `X-Socket-ID` Echo adds to the page's own requests: events "to others" skip that socket."""
    value = request.headers.get("X-Socket-ID", "").strip()
    return value if 0 < len(value) <= 64 else None
