"""The laravel-echo-server HTTP API (/apps/{appId}/...), so a Laravel `pusher` broadcaster can use us.

Keys are compared in constant time. When a client has a secret, Pusher-style signatures are required:
auth_key, auth_timestamp, auth_version and auth_signature = HMAC-SHA256(secret, "METHOD\\nPATH\\nsorted query")
plus body_md5 for requests with a body; stale timestamps are refused.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import time
from typing import Any

import orjson
from aiohttp import web

from messenger_gateway.core.config import BroadcastClient, GatewayConfig
from messenger_gateway.core.jsonio import json_response
from messenger_gateway.gateway import channels
from messenger_gateway.gateway.bus import EventBus
from messenger_gateway.gateway.registry import ChannelRegistry

MAX_CHANNELS_PER_EVENT = 100
MAX_BATCH = 10
STARTED = time.monotonic()


def _error(status: int, message: str) -> web.Response:
    return json_response({"error": message, "message": message}, status=status)


def _unpublished(message: str) -> web.Response:
    """503 with Retry-After: the publishing app (Laravel's broadcaster, a queue worker) can try again."""
    return json_response({"error": message, "message": message}, status=503, headers={"Retry-After": "2"})


# Names socket.io 4 keeps for itself (its RESERVED_EVENTS): an event by one of them breaks every client on the channel.
RESERVED_EVENTS = frozenset({"connect", "connect_error", "disconnect", "disconnecting", "newListener",
                             "removeListener"})


class BroadcastApi:
    def __init__(self, config: GatewayConfig, bus: EventBus, registry: ChannelRegistry) -> None:
        self._clients = {c.app_id: c for c in config.clients}
        self._max_age = config.signature_max_age_seconds
        self._limits = config.limits
        self._bus = bus
        self._registry = registry

    def routes(self, app: web.Application) -> None:
        r = app.router
        r.add_post("/apps/{app_id}/events", self.events)
        r.add_post("/apps/{app_id}/batch_events", self.batch_events)
        r.add_get("/apps/{app_id}/status", self.status)
        r.add_get("/apps/{app_id}/channels", self.channel_index)
        r.add_get("/apps/{app_id}/channels/{channel}", self.channel_show)
        r.add_get("/apps/{app_id}/channels/{channel}/users", self.channel_users)

    # -- auth ----------------------------------------------------------------------------------------
    async def _authorize(self, request: web.Request) -> tuple[BroadcastClient | None, bytes, web.Response | None]:
        client = self._clients.get(request.match_info["app_id"])
        body = await request.read()
        header = request.headers.get("Authorization", "")
        key = header[7:].strip() if header.lower().startswith("bearer ") else request.query.get("auth_key", "")
        if client is None or not key or not hmac.compare_digest(key.encode(), client.key.encode()):
            return None, body, _error(403, "Unauthorized")
        if client.secret:
            problem = self._check_signature(request, client.secret, body)
            if problem:
                return None, body, _error(401, problem)
        return client, body, None

    def _check_signature(self, request: web.Request, secret: str, body: bytes) -> str | None:
        query = request.query
        signature, timestamp = query.get("auth_signature", ""), query.get("auth_timestamp", "")
        if not signature or not timestamp:
            return "Missing auth_signature or auth_timestamp."
        try:
            age = abs(time.time() - int(timestamp))
        except (ValueError, OverflowError):  # not a number, or one too large for a float
            return "Invalid auth_timestamp."
        if age > self._max_age:
            return "Timestamp expired: auth_timestamp is too far from the server time."
        # compared as bytes: compare_digest refuses str with non-ASCII characters (a TypeError, once a 500)
        if body and not hmac.compare_digest(query.get("body_md5", "").encode(), hashlib.md5(body).hexdigest().encode()):
            return "Invalid body_md5."
        params = "&".join(f"{k}={v}" for k, v in sorted((k, v) for k, v in query.items() if k != "auth_signature"))
        to_sign = f"{request.method}\n{request.path}\n{params}"
        expected = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            return "Invalid signature."
        return None

    # -- publishing ----------------------------------------------------------------------------------
    def _parse_event(self, item: Any) -> tuple[list[str], str, Any, str | None] | str:
        if not isinstance(item, dict):
            return "Event must be a JSON object."
        name, data = item.get("name"), item.get("data")
        targets = item.get("channels") if item.get("channels") is not None else (
            [item["channel"]] if item.get("channel") else []
        )
        if not isinstance(name, str) or not name or data is None or data == "" or not targets:
            return "Event must include channel, event name and data"
        if name in RESERVED_EVENTS:
            return f"The event name {name} is reserved by Socket.IO"
        if not isinstance(targets, list) or len(targets) > MAX_CHANNELS_PER_EVENT:
            return f"channels must be a list of at most {MAX_CHANNELS_PER_EVENT} names"
        if not all(channels.valid_name(c, self._limits.max_channel_name_length) for c in targets):
            return "Invalid channel name"
        if isinstance(data, str):
            try:
                data = orjson.loads(data)
            except orjson.JSONDecodeError:
                pass
        if len(orjson.dumps(data)) > self._limits.max_payload_kb * 1024:
            return f"data is larger than {self._limits.max_payload_kb} KB"
        socket_id = item.get("socket_id")
        return targets, name, data, socket_id if isinstance(socket_id, str) and socket_id else None

    @staticmethod
    def _json(body: bytes) -> Any:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            return None

    async def events(self, request: web.Request) -> web.Response:
        _, body, denied = await self._authorize(request)
        if denied is not None:
            return denied
        parsed = self._parse_event(self._json(body))
        if isinstance(parsed, str):
            return _error(400, parsed)
        if not await self._bus.publish(*parsed[:3], except_socket=parsed[3], all_or_nothing=True):
            return _unpublished("The event could not be published (the cluster's Redis is unavailable); "
                                "nobody received it. Retry.")
        return json_response({"message": "ok"})

    async def batch_events(self, request: web.Request) -> web.Response:
        _, body, denied = await self._authorize(request)
        if denied is not None:
            return denied
        data = self._json(body)
        batch = data.get("batch") if isinstance(data, dict) else None
        if not isinstance(batch, list) or not batch or len(batch) > MAX_BATCH:
            return _error(400, f"batch must be a list of 1 to {MAX_BATCH} events")
        parsed = [self._parse_event(item) for item in batch]
        events: list[tuple[list[str], str, Any, str | None]] = []
        for i, item in enumerate(parsed):
            if isinstance(item, str):
                return _error(400, f"batch[{i}]: {item}")
            events.append(item)
        for n, (targets, name, payload, socket_id) in enumerate(events):
            if not await self._bus.publish(targets, name, payload, except_socket=socket_id, all_or_nothing=True):
                return _unpublished(f"batch[{n}] could not be published (the cluster's Redis is unavailable); "
                                    f"the {n} before it were. Retry from batch[{n}].")
        return json_response({"batch": [{} for _ in events]})

    # -- introspection -------------------------------------------------------------------------------
    async def status(self, request: web.Request) -> web.Response:
        _, _, denied = await self._authorize(request)
        if denied is not None:
            return denied
        rss = _rss_bytes()
        return json_response({
            "subscription_count": await self._registry.connection_count(),
            "uptime": round(time.monotonic() - STARTED, 3),
            "memory_usage": {"rss": rss},
        })

    async def channel_index(self, request: web.Request) -> web.Response:
        _, _, denied = await self._authorize(request)
        if denied is not None:
            return denied
        counts = await self._registry.room_counts(request.query.get("filter_by_prefix", ""))
        return json_response({"channels": {n: {"subscription_count": c, "occupied": True} for n, c in counts.items()}})

    async def channel_show(self, request: web.Request) -> web.Response:
        _, _, denied = await self._authorize(request)
        if denied is not None:
            return denied
        name = request.match_info["channel"]
        count = (await self._registry.room_counts(name)).get(name, 0)
        result: dict[str, Any] = {"subscription_count": count, "occupied": count > 0}
        if channels.kind_of(name) == channels.PRESENCE:
            result["user_count"] = len(await self._registry.members(name))
        return json_response(result)

    async def channel_users(self, request: web.Request) -> web.Response:
        _, _, denied = await self._authorize(request)
        if denied is not None:
            return denied
        name = request.match_info["channel"]
        if channels.kind_of(name) != channels.PRESENCE:
            return _error(400, "User list is only possible for Presence Channels")
        members = await self._registry.members(name)
        return json_response({"users": [{"id": m.user_id, "user_info": m.user_info} for m in members]})


def _rss_bytes() -> int:
    try:
        with open(f"/proc/{os.getpid()}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0
