"""Behind a reverse proxy: believe X-Forwarded-For/-Proto/-Host only from the proxies named in
`server.trusted_proxies`, so the client address (rate limits, logs) and every absolute URL we build (socketEndpoint,
paginator links, invite routes) are the ones the client used.

Hand-written rather than aiohttp-remotes: its strict mode answers 400 to any peer outside the trusted list (a
health probe or a service calling a node directly), and its relaxed mode trusts every peer.
"""
from __future__ import annotations

import ipaddress
from typing import Awaitable, Callable, Iterable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip().strip('"')
    if text.startswith("["):  # [v6]:port
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class ForwardedHeaders:
    def __init__(self, trusted: Iterable[str]) -> None:
        self.trusted: tuple[Network, ...] = tuple(ipaddress.ip_network(t, strict=False) for t in trusted)

    def _is_trusted(self, text: str | None) -> bool:
        address = _address(text) if text else None
        return address is not None and any(address in network for network in self.trusted)

    def client_address(self, peer: str | None, forwarded_for: str) -> str | None:
        """The first address, from the right of X-Forwarded-For, that is not one of our proxies."""
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not self._is_trusted(hop):
                address = _address(hop)
                return str(address) if address is not None else peer
        return str(_address(hops[0])) if hops and _address(hops[0]) is not None else peer

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self._is_trusted(request.remote):
            return await handler(request)
        headers = request.headers
        changes: dict[str, str] = {}
        proto = headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        if proto in ("http", "https"):
            changes["scheme"] = proto
        host = headers.get("X-Forwarded-Host", "").split(",")[0].strip()
        if host and all(c.isalnum() or c in ".-:[]" for c in host):
            changes["host"] = host
        forwarded_for = headers.get("X-Forwarded-For")
        if forwarded_for:
            remote = self.client_address(request.remote, forwarded_for)
            if remote:
                changes["remote"] = remote
        if not changes:
            return await handler(request)
        return await handler(request.clone(**changes))  # type: ignore[arg-type]
