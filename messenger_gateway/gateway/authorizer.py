"""Who may subscribe to a private or presence channel.

`messenger.*` channels are decided here from the database (spec section 5.1). Any other guarded channel is
forwarded to the configured auth host like laravel-echo-server does, with allow-listed headers, a timeout and
TLS verification; without an auth host those channels are refused.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from messenger_gateway.core.config import GatewayConfig
from messenger_gateway.core.services import Services
from messenger_gateway.gateway import channels
from messenger_gateway.gateway.registry import Member
from messenger_gateway.storage.channel_access import may_join_call, may_join_thread
from messenger_gateway.storage.models import Provider

log = logging.getLogger("messenger.gateway")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    status: int = 200
    member: Member | None = None  # for presence channels

    @classmethod
    def deny(cls, status: int) -> "Decision":
        return cls(False, status)


class ChannelAuthorizer:
    def __init__(self, svc: Services, config: GatewayConfig) -> None:
        self._svc = svc
        self._config = config
        self._http: aiohttp.ClientSession | None = None
        self._forward = {h.lower() for h in config.auth_forward_headers}

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def authorize(
        self, channel: str, provider: Provider | None, headers: dict[str, Any], cookie: str | None
    ) -> Decision:
        if channels.is_messenger(channel):
            return await self._messenger(channel, provider)
        if not self._config.auth_host:
            return Decision.deny(403)
        return await self._forward_to_auth_host(channel, headers, cookie)

    async def _messenger(self, channel: str, provider: Provider | None) -> Decision:
        parsed = channels.parse_messenger(channel)
        if parsed is None:
            return Decision.deny(403)
        if provider is None:
            return Decision.deny(401)
        if parsed.kind == "provider":
            ok = parsed.alias == provider.alias and parsed.provider_id == provider.id
            return Decision(True) if ok else Decision.deny(403)
        async with self._svc.db.session() as session:
            if parsed.kind == "thread":
                ok = await may_join_thread(session, parsed.thread_id or "", provider.id)
            else:
                ok = await may_join_call(session, parsed.call_id or "", parsed.thread_id or "", provider.id)
        if not ok:
            return Decision.deny(403)
        return Decision(True, member=Member(provider.id, self._svc.resources.presence_member(provider)))

    async def _forward_to_auth_host(self, channel: str, headers: dict[str, Any], cookie: str | None) -> Decision:
        out = {k: str(v) for k, v in headers.items() if isinstance(k, str) and k.lower() in self._forward}
        if cookie and "cookie" in self._forward and not any(k.lower() == "cookie" for k in out):
            out["Cookie"] = cookie
        out["X-Requested-With"] = "XMLHttpRequest"
        out["Accept"] = "application/json"
        url = self._config.auth_host.rstrip("/") + self._config.auth_endpoint  # type: ignore[union-attr]
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._config.auth_timeout_seconds))
        try:
            async with self._http.post(url, data={"channel_name": channel}, headers=out) as resp:
                body = await resp.read()
                if resp.status != 200:
                    return Decision.deny(resp.status)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            log.warning("auth host %s failed for %s: %s", url, channel, exc)
            return Decision.deny(0)
        if channels.kind_of(channel) != channels.PRESENCE:
            return Decision(True)
        member = _channel_data(body)
        return Decision(True, member=member) if member else Decision.deny(0)


def _channel_data(body: bytes) -> Member | None:
    """Laravel answers {"channel_data": {...}} (Pusher sends it as a JSON string)."""
    try:
        data = orjson.loads(body)
        channel_data = data.get("channel_data") if isinstance(data, dict) else None
        if isinstance(channel_data, str):
            channel_data = orjson.loads(channel_data)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(channel_data, dict) or "user_id" not in channel_data:
        return None
    return Member(channel_data["user_id"], channel_data.get("user_info"))
