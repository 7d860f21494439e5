"""The shared objects of one running node, stored on the aiohttp app under one typed key."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:  # the field types only: core imports nothing of ours at run time; the app factory builds them
    from messenger_gateway.core.clock import Clock
    from messenger_gateway.core.config import Config
    from messenger_gateway.core.lifecycle import Lifecycle
    from messenger_gateway.core.metrics import Metrics
    from messenger_gateway.core.ratelimit import RateLimiter
    from messenger_gateway.domain.accounts import Accounts
    from messenger_gateway.domain.counters_cache import CountersCache
    from messenger_gateway.domain.options import ProviderOptions
    from messenger_gateway.domain.providers import ProviderRegistry
    from messenger_gateway.domain.resources import Resources
    from messenger_gateway.domain.send_order import ThreadPushOrder
    from messenger_gateway.domain.settings_cache import SettingsCache
    from messenger_gateway.gateway.bus import EventBus
    from messenger_gateway.gateway.control import LocalControl
    from messenger_gateway.presence.engine import PresenceEngine
    from messenger_gateway.storage.database import Database
    from messenger_gateway.storage.files import FileStore
    from messenger_gateway.storage.thread_audience import ThreadAudienceCache


@dataclass
class Services:
    config: Config
    clock: Clock
    db: Database
    providers: ProviderRegistry
    accounts: Accounts
    presence: PresenceEngine
    files: FileStore
    search_limiter: RateLimiter
    login_limiter: RateLimiter
    login_address_limiter: RateLimiter
    register_limiter: RateLimiter
    message_limiter: RateLimiter
    knock_limiter: RateLimiter
    resources: Resources
    options: ProviderOptions
    settings: SettingsCache
    counters: CountersCache
    audiences: ThreadAudienceCache
    lifecycle: Lifecycle
    metrics: Metrics
    push_order: ThreadPushOrder  # a thread's commits pushed in order
    bus: EventBus
    control: LocalControl


SERVICES = web.AppKey("services", Services)


def services(request: web.Request) -> Services:
    return request.app[SERVICES]
