"""Builds the Socket.IO side of the app: server, client manager, registry, bus, broadcast API."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import AsyncIterator

import socketio
from aiohttp import WSCloseCode, web
from engineio import packet as eio_packet
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from messenger_gateway.core.config import Config
from messenger_gateway.core.outages import wait_until_reachable
from messenger_gateway.core.tasks import PeriodicTask
from messenger_gateway.core.services import SERVICES, Services
from messenger_gateway.gateway.authorizer import ChannelAuthorizer
from messenger_gateway.gateway.broadcast_api import BroadcastApi
from messenger_gateway.gateway.bus import EventBus
from messenger_gateway.gateway.control import LocalControl, RedisControl
from messenger_gateway.gateway.delivery import EchoRedisManager
from messenger_gateway.gateway.echo import EchoGateway
from messenger_gateway.gateway.history import History, MemoryHistory
from messenger_gateway.gateway.redis_history import RedisHistory
from messenger_gateway.gateway.redis_registry import RedisRegistry
from messenger_gateway.gateway.redis_subscriber import RedisSubscriber
from messenger_gateway.gateway.registry import ChannelRegistry, MemoryRegistry
from messenger_gateway.gateway.websocket_transport import use_lean_websockets, websocket_of

log = logging.getLogger("messenger.gateway")


@dataclass
class Gateway:
    sio: socketio.AsyncServer
    bus: EventBus
    echo: EchoGateway
    registry: ChannelRegistry
    control: LocalControl
    authorizer: ChannelAuthorizer
    node_id: str
    redis: Redis | None = None
    redis_registry: RedisRegistry | None = None
    subscriber: RedisSubscriber | None = None


GATEWAY = web.AppKey("gateway", Gateway)


def redis_client(config: Config) -> Redis | None:
    """The node's Redis client (none on the embedded default); it connects on first use."""
    if not config.redis_url:
        return None
    # redis-py raises "Too many connections" once 100 commands are in flight; a blocking pool makes a burst of
    # socket connects wait for a free connection instead. A command that finds its pooled connection closed
    # (Redis restarted since) is tried once more on a new one, so a restart costs no request an error.
    return Redis(connection_pool=BlockingConnectionPool.from_url(
        config.redis_url, max_connections=128, timeout=20, retry=Retry(NoBackoff(), 1),
        retry_on_error=[RedisConnectionError]))


def socket_server(config: Config) -> socketio.AsyncServer:
    """The Socket.IO server, its fan-out across nodes on Redis when one is configured (not attached to an app yet)."""
    g = config.gateway
    manager = (
        EchoRedisManager(config.redis_url, channel=f"{g.redis_prefix}socketio",
                         redis_options={"max_connections": 1024})
        if config.redis_url else socketio.AsyncManager()
    )
    return socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins=config.cors_origins,
        ping_interval=g.ping_interval_seconds,
        ping_timeout=g.ping_timeout_seconds,
        max_http_buffer_size=g.limits.max_payload_kb * 1024,
        async_handlers=False,  # one socket's events are handled in order (subscribe before unsubscribe)
        logger=False,
        engineio_logger=False,
    )


def event_bus(config: Config, sio: socketio.AsyncServer, redis: Redis | None) -> EventBus:
    return EventBus(sio, config.gateway.limits.max_queued_kb * 1024, config.gateway.outbox_size, redis,
                    channel_history(config, redis))


def channel_history(config: Config, redis: Redis | None) -> History | None:
    h = config.history
    if not h.enabled:
        return None
    if redis is None:
        return MemoryHistory(h.size, h.ttl_seconds, h.max_events)
    return RedisHistory(redis, config.gateway.redis_prefix, h.size, h.ttl_seconds)


def node_control(config: Config, redis: Redis | None) -> LocalControl:
    """Instructions for every node: over Redis pub/sub in a cluster, carried out in place on one node."""
    if redis is None:
        return LocalControl()
    return RedisControl(redis, channel=f"{config.gateway.redis_prefix}control", outbox_size=config.gateway.outbox_size)


def build_gateway(app: web.Application, config: Config, svc: Services, sio: socketio.AsyncServer,
                  redis: Redis | None) -> Gateway:
    """The socket side on the node's services (whose bus and control were built on `sio` and `redis`)."""
    g = config.gateway
    node_id = svc.lifecycle.node_id
    sio.attach(app, socketio_path="socket.io")
    use_lean_websockets(sio, g.websocket_compression)
    bus, control = svc.bus, svc.control
    authorizer = ChannelAuthorizer(svc, g)
    registry: ChannelRegistry
    redis_registry = None
    if redis is not None:
        redis_registry = RedisRegistry(
            redis, node_id, heartbeat_seconds=g.node_heartbeat_seconds, timeout_seconds=g.node_timeout_seconds,
            prefix=g.redis_prefix, clock=svc.clock,
        )
        registry = redis_registry
    else:
        registry = MemoryRegistry()
    echo = EchoGateway(sio, svc, registry, authorizer, g.limits)
    if redis_registry is not None:
        redis_registry.on_member_left = echo.member_left_elsewhere
    # caches first: by the time a revoked socket sees its disconnect, the token is already refused
    control.on_message(svc.accounts.token_cache.on_control)
    control.on_message(svc.settings.on_control)
    control.on_message(svc.counters.on_control)
    control.on_message(echo.on_control)
    subscriber = RedisSubscriber(redis, g.redis_subscriber.prefix, bus) if redis and g.redis_subscriber.enabled else None
    gateway = Gateway(sio, bus, echo, registry, control, authorizer, node_id, redis, redis_registry, subscriber)
    BroadcastApi(g, bus, registry).routes(app)
    app[GATEWAY] = gateway
    app.cleanup_ctx.append(_lifecycle)
    app.on_shutdown.append(_disconnect_everyone)
    return gateway


async def close_every_socket(sio: socketio.AsyncServer, close_timeout: float = 3.0) -> int:
    """Close every socket of this node so its client reconnects (to another node behind a load balancer).

    Each close runs the disconnect handler first (presence channels see `presence:leaving`, the user's status is
    settled), then ends the transport: a WebSocket gets close code 1012 (service restart), a long-poll an
    Engine.IO CLOSE packet. Socket.IO clients read either as a lost transport and reconnect, unlike a Socket.IO
    DISCONNECT, after which they stay away."""
    closing = []
    sockets = [sock for sock in list(sio.eio.sockets.values()) if not sock.closed]
    for sock in sockets:
        websocket = websocket_of(sock)
        try:
            await sock.close(wait=False, abort=True, reason="node draining")
        except Exception:
            log.exception("closing socket %s failed", sock.sid)
        if websocket is not None and sock.upgraded:
            closing.append(asyncio.ensure_future(websocket.close(code=WSCloseCode.SERVICE_RESTART,
                                                                 message=b"server shutting down")))
        else:
            sock.queue.put_nowait(eio_packet.Packet(eio_packet.CLOSE))
            sock.queue.put_nowait(None)
    if closing:
        await asyncio.wait(closing, timeout=close_timeout)
    if sockets:
        log.info("closed %d sockets", len(sockets))
    return len(sockets)


async def _disconnect_everyone(app: web.Application) -> None:
    """Close every socket first, so pending long-polls and WebSockets do not hold the shutdown."""
    sio = app[GATEWAY].sio
    await close_every_socket(sio)
    await sio.shutdown()


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    gw = app[GATEWAY]
    svc = app[SERVICES]
    if gw.redis is not None:
        await wait_until_reachable("redis", svc.config.redis_url or "", gw.redis.ping, waiting=svc.lifecycle.wait_for,
                                   give_up_after=svc.config.server.wait_for_dependencies_seconds)
    await gw.control.start()
    if gw.redis_registry is not None:
        await gw.redis_registry.beat()
        gw.redis_registry.start()
    if gw.subscriber is not None:
        await gw.subscriber.start()
    outboxes = [box for box in (gw.bus.outbox, gw.control.outbox) if box is not None]
    counting = PeriodicTask("outbox listener count", svc.config.gateway.node_heartbeat_seconds,
                            lambda: asyncio.gather(*(box.count_listeners() for box in outboxes)),
                            run_first=True) if outboxes else None
    if counting is not None:
        counting.start()
    yield
    if counting is not None:
        await counting.stop()
    if gw.subscriber is not None:
        await gw.subscriber.stop()
    if gw.bus.outbox is not None:
        await gw.bus.outbox.stop()
    if gw.redis_registry is not None:
        await gw.redis_registry.stop()
    await gw.control.stop()
    await gw.authorizer.close()
    if gw.redis is not None:
        await gw.redis.aclose()
