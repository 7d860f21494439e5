"""The Laravel Echo dialect of Socket.IO: subscribe, unsubscribe, whispers and presence channels.

Wire facts (as laravel-echo-server speaks them to laravel-echo): every server emit is `(channel, data)` (and
`(channel, data, {epoch, position})` for a socket that asked for positions, docs/recovery.md); refusals are
`subscription_error (channel, status)`; presence channels send `presence:subscribed` to the joiner and
`presence:joining` / `presence:leaving` to the others, once per user however many tabs they have open.
Whisper refusals (rate or size) are reported to the sender as `whisper_error (channel, {status, message})`.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, TypeVar

import orjson
import socketio

from messenger_gateway.core.config import GatewayLimits
from messenger_gateway.core.outages import describe, is_outage
from messenger_gateway.core.services import Services
from messenger_gateway.gateway import channels
from messenger_gateway.gateway.authorizer import ChannelAuthorizer
from messenger_gateway.gateway.control_messages import ControlMessage, Evict, Revoke
from messenger_gateway.gateway.history import Position
from messenger_gateway.gateway.registry import ChannelRegistry, LocalState, Member, user_key
from messenger_gateway.gateway.websocket_transport import trim_environ
from messenger_gateway.storage.models import Provider
from messenger_gateway.storage.tokens import hash_token

log = logging.getLogger("messenger.gateway")
T = TypeVar("T")


@dataclass(slots=True)
class Connection:
    sid: str
    provider: Provider | None
    token_hash: str | None
    cookie: str | None
    channels: set[str] = field(default_factory=set)
    # providers already resolved from bearer tokens sent in subscribe payloads, by token hash
    tokens: dict[str, Provider | None] = field(default_factory=dict)
    whisper_window: float = 0.0
    whisper_count: int = 0
    address: str | None = None  # counted in anonymous_by_address while it has no provider
    refusal_window: float = 0.0
    refusals: int = 0
    # guarded channel -> the provider it was authorized for (the connection's, or one named in the subscribe payload)
    subscribed_as: dict[str, str] = field(default_factory=dict)
    # closes the socket when the first of its tokens expires (security.token_lifetime_days)
    expiry: asyncio.TimerHandle | None = None
    presence_as: dict[str, Member] = field(default_factory=dict)  # presence channel -> this socket's member
    setting: int = 1  # the provider's online_status setting when the socket connected


def _position(value: Any) -> Position | None:
    """A subscribe payload's `since: {epoch, position}`, or None when it is not one."""
    if not isinstance(value, dict):
        return None
    epoch, position = value.get("epoch"), value.get("position")
    if not isinstance(epoch, str) or isinstance(position, bool) or not isinstance(position, int) or position < 0:
        return None
    return Position(epoch, position)


def _bearer(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def token_from_auth(auth: Any) -> str | None:
    """`{token}` or Echo's `{headers: {Authorization: "Bearer ..."}}` from the CONNECT packet."""
    if not isinstance(auth, dict):
        return None
    token = auth.get("token")
    if isinstance(token, str) and token:
        return token
    headers = auth.get("headers")
    if isinstance(headers, dict):
        for key, value in headers.items():
            if isinstance(key, str) and key.lower() == "authorization":
                return _bearer(value)
    return None


def _client_address(environ: dict[str, Any]) -> str:
    request = environ.get("aiohttp.request")
    remote = getattr(request, "remote", None)
    return str(remote or environ.get("REMOTE_ADDR") or "-")


def _nothing() -> None:
    return None


SIGNAL_EVENT = "client-signal"
SIGNAL_TYPES = ("offer", "answer", "candidate")


class EchoGateway:
    def __init__(
        self, sio: socketio.AsyncServer, svc: Services, registry: ChannelRegistry,
        authorizer: ChannelAuthorizer, limits: GatewayLimits,
    ) -> None:
        self.sio = sio
        self.svc = svc
        self.registry = registry
        self.authorizer = authorizer
        self.limits = limits
        self.conns: dict[str, Connection] = {}
        self.by_provider: dict[str, set[str]] = {}
        self.anonymous_by_address: dict[str, int] = {}
        self._expiring: set[asyncio.Future[None]] = set()
        self._shared_lost = False  # Redis was found unreachable (logged once until it is back)
        sio.on("connect", self.on_connect)
        sio.on("disconnect", self.on_disconnect)
        sio.on("subscribe", self.on_subscribe)
        sio.on("unsubscribe", self.on_unsubscribe)
        sio.on("client event", self.on_client_event)

    # -- connection ----------------------------------------------------------------------------------
    def subscriptions_by_kind(self) -> dict[tuple[str, ...], float]:
        """Channel subscriptions of this node's sockets: private, presence or public (read by /metrics)."""
        counts: dict[tuple[str, ...], float] = {("private",): 0, ("presence",): 0, ("public",): 0}
        for conn in self.conns.values():
            for channel in conn.channels:
                kind = "presence" if channel.startswith("presence-") else \
                    "private" if channel.startswith("private-") else "public"
                counts[(kind,)] += 1
        return counts

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        if self.svc.lifecycle.draining:
            raise socketio.exceptions.ConnectionRefusedError("The server is shutting down: connect to another node.")
        token = token_from_auth(auth)
        provider, seconds_left = await self._provider_for(token) if token else (None, None)
        if provider is not None:
            # the whole cluster's count (from presence, which counts every node's sockets), at least this node's
            # (read after the await, so that local connects racing this one are seen)
            elsewhere = await self._shared(self.svc.presence.open_sockets(provider.id), lambda: 0)
            anywhere = max(elsewhere, len(self.by_provider.get(provider.id, ())))
            if anywhere >= self.limits.max_connections_per_user:
                raise socketio.exceptions.ConnectionRefusedError(
                    f"Too many connections: at most {self.limits.max_connections_per_user} per user."
                )
            self.by_provider.setdefault(provider.id, set()).add(sid)
        address = None
        if provider is None:
            address = _client_address(environ)
            if self.anonymous_by_address.get(address, 0) >= self.limits.max_anonymous_connections_per_address:
                raise socketio.exceptions.ConnectionRefusedError(
                    "Too many connections without a token from this address.")
            self.anonymous_by_address[address] = self.anonymous_by_address.get(address, 0) + 1
        conn = Connection(sid, provider, hash_token(token) if token and provider else None, environ.get("HTTP_COOKIE"),
                          address=address)
        if conn.token_hash:
            conn.tokens[conn.token_hash] = provider
        self.conns[sid] = conn
        self._close_when_expired(conn, seconds_left)
        await self._shared(self.registry.connections_changed(1), _nothing)
        log.info("socket %s connected (user %s, %s, from %s)", sid, provider.id if provider else "-",
                 environ.get("HTTP_USER_AGENT", "-")[:120], _client_address(environ),
                 extra={"socket": {"event": "connect", "sid": sid, "user_id": provider.id if provider else None}})
        trim_environ(environ)
        if provider is not None:
            conn.setting = await self._setting_of(provider)
            await self._shared(self.svc.presence.socket_opened(provider.id, provider.alias, conn.setting), _nothing)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        conn = self.conns.pop(sid, None)
        if conn is None:
            return
        if conn.expiry is not None:
            conn.expiry.cancel()
        log.info("socket %s disconnected (user %s, %s)", sid, conn.provider.id if conn.provider else "-", reason,
                 extra={"socket": {"event": "disconnect", "sid": sid, "reason": str(reason),
                                   "user_id": conn.provider.id if conn.provider else None}})
        if conn.address is not None:
            left = self.anonymous_by_address.get(conn.address, 1) - 1
            if left > 0:
                self.anonymous_by_address[conn.address] = left
            else:
                self.anonymous_by_address.pop(conn.address, None)
        if conn.provider is not None:
            sids = self.by_provider.get(conn.provider.id)
            if sids is not None:
                sids.discard(sid)
                if not sids:
                    del self.by_provider[conn.provider.id]
        await self._shared(self.registry.connections_changed(-1), _nothing)
        for channel in list(conn.channels):
            await self._leave(conn, channel, disconnecting=True)
        if conn.provider is not None:
            await self._shared(self.svc.presence.socket_closed(conn.provider.id), _nothing)

    async def _setting_of(self, provider: Provider) -> int:
        async with self.svc.db.session() as session:
            settings = await self.svc.settings.get(session, provider)
            await session.commit()
        return int(settings.online_status)

    async def _provider_for(self, token: str) -> tuple[Provider | None, float | None]:
        """The token's provider, and the seconds until the token expires (None: never)."""
        async with self.svc.db.session() as session:
            found = await self.svc.accounts.authenticate(session, token)
        if found is None or self.svc.providers.get(found[0].alias) is None:
            return None, None
        return found[0], self.svc.accounts.seconds_left(found[1])

    def _close_when_expired(self, conn: Connection, seconds_left: float | None) -> None:
        """Losing access reaches open sockets: the socket closes when a token it used expires."""
        if seconds_left is None:
            return
        loop = asyncio.get_running_loop()
        when = loop.time() + max(0.0, seconds_left)
        if conn.expiry is not None and conn.expiry.when() <= when:
            return
        if conn.expiry is not None:
            conn.expiry.cancel()
        conn.expiry = loop.call_at(when, self._expire, conn.sid)

    def _expire(self, sid: str) -> None:
        if sid in self.conns:
            log.info("socket %s: its token expired, disconnecting", sid)
            task = asyncio.ensure_future(self.sio.disconnect(sid))
            self._expiring.add(task)  # held until done: the loop keeps only weak references to tasks
            task.add_done_callback(self._expiring.discard)

    async def _subscriber(self, conn: Connection, headers: dict[str, Any]) -> Provider | None:
        """The provider named by the subscribe payload's bearer token, else the connection's."""
        token = next((_bearer(v) for k, v in headers.items() if isinstance(k, str) and k.lower() == "authorization"), None)
        if not token:
            return conn.provider
        key = hash_token(token)
        if key not in conn.tokens:
            conn.tokens[key], seconds_left = await self._provider_for(token)
            self._close_when_expired(conn, seconds_left)
        return conn.tokens[key]

    # -- subscribe / unsubscribe ---------------------------------------------------------------------
    async def on_subscribe(self, sid: str, payload: Any = None) -> None:
        conn = self.conns.get(sid)
        if conn is None or not isinstance(payload, dict):
            return
        channel = payload.get("channel")
        if not channel:
            return  # Echo ignores a falsy channel, and so do we
        if not channels.valid_name(channel, self.limits.max_channel_name_length):
            await self._refuse(sid, channel if isinstance(channel, str) else str(channel)[:200], 400)
            return
        if channel in conn.channels:
            if channels.kind_of(channel) == channels.PRESENCE:
                await self._send_members(sid, channel)
            return
        if len(conn.channels) >= self.limits.max_channels_per_socket:
            await self._refuse(sid, channel, 429)
            return
        member: Member | None = None
        provider: Provider | None = None
        if channels.is_guarded(channel):
            if self._refusing(conn):  # too many refusals lately: no more lookups for this socket
                await self._refuse(sid, channel, 429)
                return
            auth = payload.get("auth")
            headers = auth.get("headers") if isinstance(auth, dict) else None
            headers = headers if isinstance(headers, dict) else {}
            provider = await self._subscriber(conn, headers)
            decision = await self.authorizer.authorize(channel, provider, headers, conn.cookie)
            if not decision.allowed:
                self._count_refusal(conn)
                await self._refuse(sid, channel, decision.status)
                return
            member = decision.member
        if self.conns.get(sid) is not conn or channel in conn.channels:
            return  # disconnected or subscribed twice while we were authorizing
        conn.channels.add(channel)
        if channels.is_guarded(channel) and provider is not None:
            conn.subscribed_as[channel] = provider.id
        await self.sio.enter_room(sid, channel)
        if conn.provider is not None and channels.is_call_channel(channel):
            await self.sio.enter_room(sid, channels.signal_room(channel, conn.provider.id))
        await self._shared(self.registry.room_joined(channel), _nothing)
        if channels.is_guarded(channel) and self.svc.bus.history is not None \
                and (payload.get("positions") is True or "since" in payload):
            await self._recover(sid, channel, payload.get("since"))
        if channels.kind_of(channel) == channels.PRESENCE and member is not None:
            conn.presence_as[channel] = member
            first = await self._shared(self.registry.join_presence(channel, sid, member),
                                       lambda: self._first_here(conn, channel, member))
            await self._send_members(sid, channel)
            if first:
                await self.svc.bus.publish([channel], "presence:joining", member.wire(), except_socket=sid)

    async def _recover(self, sid: str, channel: str, since: Any) -> None:
        """The socket asked for positions: from now on its events on `channel` carry them. With `since`, it is
        first sent what it missed (or told the history no longer covers it); what is published meanwhile waits,
        so the order holds (docs/recovery.md)."""
        history, delivery = self.svc.bus.history, self.svc.bus.delivery
        assert history is not None
        if not delivery.ask_positions(sid, channel):
            return
        delivery.hold(sid, channel)
        try:
            if since is None:  # a first subscription: everything published from now on, starting where it stood
                delivery.release(sid, channel, [], ("positioned", await history.current(channel)), None)
                return
            asked = _position(since)
            missed = await history.since(channel, asked) if asked is not None else None
            if missed is not None and missed.covered:
                replay = [(e.position, e.event, e.payload) for e in missed.entries]
                delivery.release(sid, channel, replay, ("recovered", missed.current), missed.current.position)
            else:
                current = missed.current if missed is not None else await history.current(channel)
                delivery.release(sid, channel, [], ("recovery_failed", current), current.position)
        except Exception as exc:  # the history is away (Redis): subscribed all the same, without a starting point
            log.warning("channel history unavailable for %s: %s", channel, describe(exc))
            delivery.release(sid, channel, [], ("recovery_failed", Position("unavailable", 0)), None)

    def _refusing(self, conn: Connection) -> bool:
        now = self.svc.clock.monotonic()
        if now - conn.refusal_window >= 60.0:
            conn.refusal_window, conn.refusals = now, 0
        return conn.refusals >= self.limits.subscribe_refusals_per_minute

    def _count_refusal(self, conn: Connection) -> None:
        conn.refusals += 1

    async def _send_members(self, sid: str, channel: str) -> None:
        members = await self._shared(self.registry.members(channel), lambda: self._members_here(channel))
        await self.sio.emit("presence:subscribed", (channel, [m.wire() for m in members]), to=sid)

    def _members_here(self, channel: str) -> list[Member]:
        """The channel's members on this node (all we know while Redis is away)."""
        by_user = {user_key(m.user_id): m for c in self.conns.values() if (m := c.presence_as.get(channel))}
        return list(by_user.values())

    def _first_here(self, conn: Connection, channel: str, member: Member) -> bool:
        key = user_key(member.user_id)
        return not any(c is not conn and (m := c.presence_as.get(channel)) is not None and user_key(m.user_id) == key
                       for c in self.conns.values())

    async def _refuse(self, sid: str, channel: str, status: int) -> None:
        await self.sio.emit("subscription_error", (channel, status), to=sid)

    async def on_unsubscribe(self, sid: str, payload: Any = None) -> None:
        conn = self.conns.get(sid)
        if conn is None or not isinstance(payload, dict):
            return
        channel = payload.get("channel")
        if isinstance(channel, str) and channel in conn.channels:
            await self._leave(conn, channel)

    async def _leave(self, conn: Connection, channel: str, disconnecting: bool = False) -> None:
        conn.channels.discard(channel)
        self.svc.bus.delivery.forget_positions(conn.sid, channel)
        conn.subscribed_as.pop(channel, None)
        if not disconnecting:
            await self.sio.leave_room(conn.sid, channel)
            if conn.provider is not None and channels.is_call_channel(channel):
                await self.sio.leave_room(conn.sid, channels.signal_room(channel, conn.provider.id))
        await self._shared(self.registry.room_left(channel), _nothing)
        member = conn.presence_as.pop(channel, None)
        if channels.kind_of(channel) == channels.PRESENCE:
            gone = await self._shared(self.registry.leave_presence(channel, conn.sid),
                                      lambda: member if member and self._first_here(conn, channel, member) else None)
            if gone is not None:
                await self.svc.bus.publish([channel], "presence:leaving", gone.wire(), except_socket=conn.sid)

    async def member_left_elsewhere(self, channel: str, member: Member) -> None:
        """A dead node's member was removed by this node: tell the channel, once."""
        await self.svc.bus.publish([channel], "presence:leaving", member.wire())

    # -- the cluster's shared facts while Redis is away, and after ---------------------------------------
    async def _shared(self, step: Awaitable[T], fallback: Callable[[], T]) -> T:
        """A change to the facts the nodes share in Redis. While Redis is away the socket carries on with what this
        node knows, and the facts are put right when Redis is back (`rejoin`)."""
        try:
            return await step
        except Exception as exc:
            if not is_outage(exc):
                raise
            if not self._shared_lost:
                self._shared_lost = True
                log.warning("Redis is unreachable (%s): sockets carry on with what this node knows", describe(exc))
            return fallback()

    def local_state(self) -> LocalState:
        rooms: dict[str, int] = {}
        presence: list[tuple[str, str, Member]] = []
        for conn in self.conns.values():
            for channel in conn.channels:
                rooms[channel] = rooms.get(channel, 0) + 1
            presence.extend((channel, conn.sid, member) for channel, member in conn.presence_as.items())
        return LocalState(presence=presence, rooms=rooms, connections=len(self.conns))

    def sockets_by_provider(self) -> dict[str, tuple[str, int, int]]:
        """provider id -> (alias, online_status setting, open sockets on this node), for presence to re-assert."""
        result = {}
        for provider_id, sids in self.by_provider.items():
            conn = next((self.conns[sid] for sid in sids if sid in self.conns), None)
            if conn is not None and conn.provider is not None:
                result[provider_id] = (conn.provider.alias, conn.setting, len(sids))
        return result

    async def rejoin(self) -> None:
        """Redis is back: re-assert this node's sockets and members, tell channels who left meanwhile, forget
        what may have changed unseen (cached tokens, settings, counters) and disconnect sockets whose token was
        revoked while this node could not be told."""
        self._shared_lost = False
        for channel, member in await self.registry.resync(self.local_state()):
            await self.svc.bus.publish([channel], "presence:leaving", member.wire())
        self.svc.accounts.token_cache.clear()
        self.svc.settings.clear()
        self.svc.counters.clear()
        await self.disconnect_revoked()

    async def disconnect_revoked(self) -> int:
        in_use = {key for conn in self.conns.values() for key in conn.tokens if conn.tokens[key] is not None}
        if not in_use:
            return 0
        async with self.svc.db.session() as session:
            revoked = await self.svc.accounts.revoked_among(session, in_use)
        closing = [conn.sid for conn in self.conns.values() if any(key in revoked for key in conn.tokens)]
        for sid in closing:
            log.info("socket %s: its token was revoked while Redis was away, disconnecting", sid)
            await self.sio.disconnect(sid)
        return len(closing)

    # -- whispers ------------------------------------------------------------------------------------
    async def on_client_event(self, sid: str, payload: Any = None) -> None:
        conn = self.conns.get(sid)
        if conn is None:
            return
        if isinstance(payload, str):
            try:
                payload = orjson.loads(payload)
            except orjson.JSONDecodeError:
                return
        if not isinstance(payload, dict):
            return
        channel, event = payload.get("channel"), payload.get("event")
        if not isinstance(channel, str) or not isinstance(event, str) or not event.startswith("client-"):
            return
        if not channels.is_guarded(channel) or channel not in conn.channels:
            return
        now = self.svc.clock.monotonic()
        if now - conn.whisper_window >= 1.0:
            conn.whisper_window, conn.whisper_count = now, 0
        conn.whisper_count += 1
        if conn.whisper_count > self.limits.whispers_per_second:
            await self.sio.emit("whisper_error", (channel, {
                "status": 429, "message": f"At most {self.limits.whispers_per_second} whispers per second.",
            }), to=sid)
            return
        if event == SIGNAL_EVENT and channels.is_call_channel(channel):
            await self._relay_signal(conn, channel, payload.get("data"))
            return
        await self.sio.emit(event, (channel, payload.get("data")), room=channel, skip_sid=sid)

    async def _relay_signal(self, conn: Connection, channel: str, data: Any) -> None:
        """WebRTC signalling on a call channel goes only to the participant named in `to`, stamped with the
        sender's id by us (a client cannot pretend to be someone else)."""
        if conn.provider is None or not isinstance(data, dict) or not isinstance(data.get("to"), str) \
                or data.get("type") not in SIGNAL_TYPES:
            await self.sio.emit("whisper_error", (channel, {
                "status": 422, "message": "client-signal needs {to: provider_id, type: offer|answer|candidate, payload}.",
            }), to=conn.sid)
            return
        relayed = {**data, "from": conn.provider.id}
        await self.sio.emit(SIGNAL_EVENT, (channel, relayed), room=channels.signal_room(channel, data["to"]),
                            skip_sid=conn.sid)

    # -- instructions from any node ------------------------------------------------------------------
    async def on_control(self, message: ControlMessage) -> None:
        if isinstance(message, Revoke):
            for conn in list(self.conns.values()):
                if conn.token_hash == message.token_hash or message.token_hash in conn.tokens:
                    await self.sio.disconnect(conn.sid)
        elif isinstance(message, Evict):
            await self._evict(message.channel, message.provider_id)

    async def _evict(self, channel: str, provider_id: str | None) -> None:
        """Access to `channel` is gone for `provider_id` (None: for everyone): every socket of theirs in it leaves,
        however it authenticated (its connection's token or one in the subscribe payload), and is told so
        with `subscription_error (channel, 403)`."""
        members = (self.sio.manager.rooms.get("/") or {}).get(channel) or {}
        for sid in list(members):
            conn = self.conns.get(sid)
            if conn is None or channel not in conn.channels:
                continue
            owner = conn.subscribed_as.get(channel) or (conn.provider.id if conn.provider else None)
            if provider_id is None or owner == provider_id:
                await self._leave(conn, channel)
                await self._refuse(sid, channel, 403)
