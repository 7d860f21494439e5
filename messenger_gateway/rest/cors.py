"""Cross-origin access for browser pages: the origins of `gateway.cors_allowed_origins` (the setting Socket.IO uses)
may call every HTTP route; preflights are answered here, before authentication and routing.

`*` lets any origin read responses without credentials; a listed origin is echoed back with credentials allowed;
no setting (production's default) adds nothing, so only same-origin pages can read the API. Socket.IO's own
transport (`/socket.io/`) is left to python-engineio, which applies the same setting."""
from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web
from multidict import CIMultiDict

from messenger_gateway.core.jsonio import json_response

ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE"
ALLOWED_HEADERS = ("Authorization", "Content-Type", "X-Socket-ID", "X-Requested-With", "Accept", "Accept-Language")
# what a page may read beyond the always-safe headers: retry hints, rate limits, download names
EXPOSED_HEADERS = "Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, Content-Disposition"
PREFLIGHT_MAX_AGE = "600"


class CorsPolicy:
    """Which origins may read our responses, and the headers that tell a browser so."""

    __slots__ = ("any_origin", "origins", "skip_prefix")

    def __init__(self, allowed: str | Iterable[str] | None, skip_prefix: str = "/socket.io/") -> None:
        listed = [] if allowed is None else [allowed] if isinstance(allowed, str) else list(allowed)
        self.any_origin = "*" in listed
        self.origins = frozenset(origin.rstrip("/") for origin in listed if origin != "*")
        self.skip_prefix = skip_prefix

    def applies(self, request: web.Request) -> str | None:
        """The request's Origin when this policy answers for it (a browser's cross-origin call), else None."""
        origin = request.headers.get("Origin")
        if origin is None or request.path.startswith(self.skip_prefix):
            return None
        return origin

    def allows(self, origin: str) -> bool:
        return self.any_origin or origin in self.origins

    @staticmethod
    def is_preflight(request: web.Request) -> bool:
        return request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers

    def preflight(self, origin: str) -> web.Response:
        """The answer to a preflight (before `decorate`): 204 with what may be sent, or a JSON 403 for an origin
        that is not allowed."""
        if not self.allows(origin):
            return json_response({"message": f"Cross-origin requests from {origin} are not allowed "
                                             "(gateway.cors_allowed_origins)."}, status=403)
        response = web.Response(status=204)
        headers = response.headers
        headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        headers["Access-Control-Allow-Headers"] = ", ".join(ALLOWED_HEADERS)
        headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        return response

    def decorate(self, headers: CIMultiDict[str], origin: str) -> None:
        """Let the page of `origin` read this response (nothing when that origin is not allowed)."""
        if self.any_origin and origin not in self.origins:
            headers["Access-Control-Allow-Origin"] = "*"
        elif origin in self.origins:
            headers["Access-Control-Allow-Origin"] = origin
            headers["Access-Control-Allow-Credentials"] = "true"
            headers.add("Vary", "Origin")
        else:
            return
        headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
