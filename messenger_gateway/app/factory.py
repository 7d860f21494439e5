"""The app factory: one aiohttp application serving the REST API (and, later, Socket.IO) on one port."""
from __future__ import annotations

import gc
import logging
import uuid
from dataclasses import dataclass
from typing import AsyncIterator

import socketio
from aiohttp import web
from redis.asyncio import Redis
from aiohttp.typedefs import Middleware

from messenger_gateway.core.clock import Clock, SystemClock
from messenger_gateway.core.config import Config
from messenger_gateway.core.lifecycle import Lifecycle
from messenger_gateway.core.loop_watch import LoopWatch
from messenger_gateway.core.metrics import Metrics
from messenger_gateway.core.outages import wait_until_reachable
from messenger_gateway.core.runtime import BurstFreezer
from messenger_gateway.core.services import SERVICES, Services
from messenger_gateway.core.tasks import PeriodicTask
from messenger_gateway.domain.accounts import Accounts
from messenger_gateway.domain.call_checker import CallActivityChecker
from messenger_gateway.domain.counters_cache import CountersCache
from messenger_gateway.domain.options import ProviderOptions
from messenger_gateway.domain.providers import ProviderRegistry
from messenger_gateway.domain.send_order import ThreadPushOrder
from messenger_gateway.domain.settings_cache import SettingsCache
from messenger_gateway.gateway.server import (Gateway, build_gateway, close_every_socket, event_bus, node_control, redis_client,
                            socket_server)
from messenger_gateway.presence.backend import MemoryPresenceBackend, PresenceBackend
from messenger_gateway.presence.redis_backend import RedisPresenceBackend
from messenger_gateway.domain.status_events import StatusBroadcaster
from messenger_gateway.presence.engine import PresenceEngine
from messenger_gateway.presence.last_active import LastActiveWriter
from messenger_gateway.rest.forwarded import ForwardedHeaders
from messenger_gateway.rest.middleware import auth_middleware, errors_middleware
from messenger_gateway.core.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter, redis_limits_storage
from messenger_gateway.domain.resources import Resources
from messenger_gateway.rest.routes import setup_routes
from messenger_gateway.rest.web_client import WebClient
from messenger_gateway.storage import migrate
from messenger_gateway.storage.database import Database
from messenger_gateway.storage.files import FileStore
from messenger_gateway.storage.thread_audience import ThreadAudienceCache

log = logging.getLogger("messenger")
LAST_ACTIVE_WRITER = web.AppKey("last_active_writer", LastActiveWriter)
STATUS_BROADCASTER = web.AppKey("status_broadcaster", StatusBroadcaster)
CALL_CHECKER = web.AppKey("call_checker", PeriodicTask)
LOOP_WATCH = web.AppKey("loop_watch", LoopWatch)
GC_FREEZER = web.AppKey("gc_freezer", PeriodicTask)
FREEZE_CHECK_SECONDS = 5.0


@dataclass
class Node:
    """What one node is built from: its services, and the Socket.IO server and Redis client they run on."""
    svc: Services
    sio: socketio.AsyncServer
    redis: Redis | None


def build_node(config: Config, clock: Clock) -> Node:
    """Every backend chosen here, from the config (memory on one node, Redis across several); Services built whole."""
    node_id = uuid.uuid4().hex[:12]
    redis = redis_client(config)
    sio = socket_server(config)
    control = node_control(config, redis)
    backend: PresenceBackend = MemoryPresenceBackend() if redis is None else \
        RedisPresenceBackend(redis, node_id, prefix=config.gateway.redis_prefix)
    providers = ProviderRegistry(config.messenger)
    limits_storage = redis_limits_storage(redis.connection_pool, config.gateway.redis_prefix) if redis else None

    def limiter(name: str, limit: int, window_seconds: float) -> RateLimiter:
        """Cluster-wide in Redis when there is one; this node's memory otherwise (and during a Redis outage)."""
        memory = MemoryRateLimiter(limit, window_seconds, clock)
        if limits_storage is None:
            return memory
        return RedisRateLimiter(name, limit, window_seconds, limits_storage, fallback=memory)

    presence = PresenceEngine(
        backend,
        clock,
        lifetime_minutes=config.messenger.online_status.lifetime_minutes,
        enabled=config.messenger.online_status.enabled,
        offline_grace_seconds=config.presence.offline_grace_seconds,
        sweep_interval_seconds=config.presence.sweep_interval_seconds,
        shared_backend=redis is not None,
    )
    svc = Services(
        config=config,
        clock=clock,
        db=Database(config.resolved_database_url, schema=config.database_schema,
                    pool_timeout=config.database_pool_timeout_seconds),
        providers=providers,
        accounts=Accounts(config.security, providers, clock),
        presence=presence,
        files=FileStore(config.storage_path / "files"),
        search_limiter=limiter("search", config.limits.search_per_minute, 60.0),
        login_limiter=limiter("login", config.limits.login_per_minute, 60.0),
        login_address_limiter=limiter("login_address", config.limits.login_per_address_per_minute, 60.0),
        register_limiter=limiter("register", config.limits.register_per_minute, 60.0),
        message_limiter=limiter("messages", config.limits.messages_per_minute, 60.0),
        # one knock per sender and thread every knocks.timeout_minutes (0 = no timeout: not consulted)
        knock_limiter=limiter("knock", 1, max(config.messenger.knocks.timeout_minutes, 1) * 60.0),
        resources=Resources(config.messenger.api_prefix, config.messenger.web_prefix),
        options=ProviderOptions(providers, presence),
        settings=SettingsCache(providers, clock, config.security.token_cache_seconds),
        # alone, the local drop is all there is; in a cluster the other nodes drop theirs on an instruction
        counters=CountersCache(clock, control=control if redis is not None else None),
        audiences=ThreadAudienceCache(),
        lifecycle=Lifecycle(node_id=node_id),
        metrics=Metrics(),
        push_order=ThreadPushOrder(),
        bus=event_bus(config, sio, redis),
        control=control,
    )
    return Node(svc, sio, redis)


def build_services(config: Config, clock: Clock) -> Services:
    """The services alone (the CLI's commands use the database through them)."""
    return build_node(config, clock).svc


def create_app(config: Config, clock: Clock | None = None) -> web.Application:
    node = build_node(config, clock or SystemClock())
    svc = node.svc
    middlewares: list[Middleware] = [errors_middleware(svc), auth_middleware]
    if config.server.trusted_proxies:  # first, so that everything after it sees the client's address and URL
        middlewares.insert(0, ForwardedHeaders(config.server.trusted_proxies).middleware)
    app = web.Application(middlewares=middlewares, client_max_size=config.server.max_request_kb * 1024)
    app[SERVICES] = svc
    app[LAST_ACTIVE_WRITER] = LastActiveWriter(svc.presence, svc.db, config.presence.last_active_flush_seconds)
    m = config.messenger
    web_client = WebClient(m.web_prefix, m.api_prefix, m.site_name, m.calling.ice_servers) if m.web_client else None
    setup_routes(app, m.api_prefix, web_client)
    app.cleanup_ctx.append(_storage_lifecycle)
    gateway = build_gateway(app, config, svc, node.sio, node.redis)
    broadcaster = StatusBroadcaster(svc.db, svc.bus, svc.presence)
    app[STATUS_BROADCASTER] = broadcaster
    svc.presence.on_change(broadcaster)
    if gateway.redis_registry is not None:
        gateway.redis_registry.on_node_gone.append(svc.presence.node_gone)
        echo = gateway.echo
        gateway.redis_registry.on_rejoined.append(echo.rejoin)
        gateway.redis_registry.on_rejoined.append(lambda: svc.presence.resync(echo.sockets_by_provider()))
    app.cleanup_ctx.append(_presence_lifecycle)  # stops before the gateway closes Redis
    calling = config.messenger.calling
    checker = CallActivityChecker(svc, calling, gateway.redis, f"{config.gateway.redis_prefix}calls:checker")
    app[CALL_CHECKER] = PeriodicTask("call activity checker", calling.check_interval_seconds, checker.tick)
    app.cleanup_ctx.append(_calls_lifecycle)
    svc.lifecycle.add_check("database", svc.db.ping)
    if gateway.redis is not None:
        svc.lifecycle.add_check("redis", gateway.redis.ping)
    watch = app[LOOP_WATCH] = LoopWatch()
    app.cleanup_ctx.append(_loop_watch_lifecycle)
    freezer = BurstFreezer(lambda: len(gateway.echo.conns))

    async def check_freeze() -> None:
        freezer.check()

    app[GC_FREEZER] = PeriodicTask("collector freeze", FREEZE_CHECK_SECONDS, check_freeze)
    app.cleanup_ctx.append(_gc_freezer_lifecycle)
    register_node_metrics(svc, gateway, watch, freezer)
    register_drain_steps(svc, gateway, app[LAST_ACTIVE_WRITER])
    return app


def register_drain_steps(svc: Services, gateway: Gateway, writer: LastActiveWriter) -> None:
    """What SIGTERM does before the app's cleanup (which then stops the tasks and leaves the cluster)."""

    async def no_grace() -> None:
        svc.presence.begin_drain()

    svc.lifecycle.add_drain_step("presence without grace", no_grace)
    svc.lifecycle.add_drain_step("close sockets", lambda: close_every_socket(gateway.sio))
    svc.lifecycle.add_drain_step("push status changes", svc.presence.sweep)
    svc.lifecycle.add_drain_step("flush last-active times", writer.flush)


def register_node_metrics(svc: Services, gateway: Gateway, watch: LoopWatch, freezer: BurstFreezer) -> None:
    """What /metrics reads from the running node when it is scraped (nothing here costs the hot paths)."""
    m = svc.metrics
    m.counter("messenger_gc_freezes", "Times what connections left alive was moved out of the collector's sight",
              lambda: freezer.freezes)
    m.gauge("messenger_gc_frozen_objects", "Objects the garbage collector does not scan (gc.freeze)",
            lambda: float(gc.get_freeze_count()))
    m.gauge("messenger_event_loop_stall_max_seconds", "The longest the event loop was kept from running since start",
            lambda: watch.worst)
    m.gauge("messenger_event_loop_stall_recent_max_seconds",
            "The longest the event loop was kept from running in the last minute", lambda: watch.recent_worst)
    m.counter("messenger_event_loop_stalls", f"Times the event loop was kept from running over {watch.threshold * 1000:g} ms",
              lambda: watch.stalls)
    bus = gateway.bus
    node = svc.lifecycle.node_id
    m.gauge("messenger_node_info", "This node (one of a cluster, or one worker of several on a port)",
            lambda: {(node,): 1}, labels=("node",))
    m.gauge("messenger_sockets_connected", "Socket.IO connections open on this node", lambda: len(gateway.echo.conns))
    history = bus.history
    if history is not None:
        m.counter("messenger_history_unrecorded", "Events the channel history could not record (Redis away)",
                  lambda: history.failures)
    m.gauge("messenger_subscriptions", "Channel subscriptions of this node's sockets, by channel kind",
            gateway.echo.subscriptions_by_kind, labels=("kind",))
    m.counter("messenger_events_published", "Events published on this node (one per publish, whatever the audience)",
              lambda: bus.published)
    m.counter("messenger_deliveries", "Events written or queued to this node's sockets", lambda: bus.delivered)
    m.counter("messenger_bus_publish_failures", "Publishes the Redis bus could not send to the other nodes",
              lambda: bus.publish_failures)
    outboxes = {name: box for name, box in (("events", bus.outbox), ("control", gateway.control.outbox))
                if box is not None}
    if outboxes:
        m.gauge("messenger_outbox_held", "Sends held for the other nodes while Redis is away, by outbox",
                lambda: {(name,): float(len(box)) for name, box in outboxes.items()}, labels=("outbox",))
        m.counter("messenger_outbox_sent_late", "Held sends delivered to the other nodes once Redis was back",
                  lambda: {(name,): float(box.sent_late) for name, box in outboxes.items()}, labels=("outbox",))
        m.counter("messenger_outbox_dropped", "Held sends dropped: the outbox was full, or a send failed for good",
                  lambda: {(name,): float(box.dropped) for name, box in outboxes.items()}, labels=("outbox",))
    m.gauge("messenger_delivery_backlog", "Fan-outs continuing on a later turn of the event loop (500 sockets a turn)",
            lambda: bus.delivery.backlog)
    m.counter("messenger_slow_sockets_closed", "Sockets closed because they did not read what they were sent",
              lambda: bus.delivery.evicted)
    m.counter("messenger_heartbeats", "Heartbeats received", lambda: svc.presence.heartbeats)
    m.counter("messenger_status_changes", "Online status changes decided, by new status",
              lambda: {(name,): count for name, count in svc.presence.status_changes().items()}, labels=("status",))
    m.gauge("messenger_db_pool_connections", "Database pool connections: open, in use, and the pool's size",
            lambda: {(state,): count for state, count in svc.db.pool_use().items()}, labels=("state",))
    m.gauge("messenger_draining", "1 while the node drains (shutting down)", lambda: float(svc.lifecycle.draining))
    bus.on_lag = m.bus_lag.observe


async def _storage_lifecycle(app: web.Application) -> AsyncIterator[None]:
    svc = app[SERVICES]
    await wait_until_reachable("database", svc.db.url, svc.db.ping, waiting=svc.lifecycle.wait_for,
                               give_up_after=svc.config.server.wait_for_dependencies_seconds)
    await migrate.upgrade(svc.db)
    writer = app[LAST_ACTIVE_WRITER]
    writer.start()
    checkpoints = PeriodicTask("sqlite checkpoint", 1.0, svc.db.checkpoint) if svc.db.sqlite_file else None
    if checkpoints is not None:
        checkpoints.start()
    yield
    if checkpoints is not None:
        await checkpoints.stop()
    await writer.stop()
    await svc.db.dispose()


async def _presence_lifecycle(app: web.Application) -> AsyncIterator[None]:
    svc = app[SERVICES]
    broadcaster = app[STATUS_BROADCASTER]
    broadcaster.start()
    svc.presence.start()
    yield
    await svc.presence.stop()
    await broadcaster.stop()


async def _loop_watch_lifecycle(app: web.Application) -> AsyncIterator[None]:
    app[LOOP_WATCH].start()
    yield
    await app[LOOP_WATCH].stop()


async def _gc_freezer_lifecycle(app: web.Application) -> AsyncIterator[None]:
    task = app[GC_FREEZER]
    task.start()
    yield
    await task.stop()


async def _calls_lifecycle(app: web.Application) -> AsyncIterator[None]:
    task = app[CALL_CHECKER]
    task.start()
    yield
    await task.stop()
