"""The shared objects of one running node, stored on the aiohttp app under one typed key."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:  # the field types only: core imports nothing of ours at run time; the app factory builds them
    from core.clock import Clock
    from core.config import Config
    from core.lifecycle import Lifecycle
    from core.metrics import Metrics
    from core.ratelimit import RateLimiter
    from domain.accounts import Accounts
    from domain.counters_cache import CountersCache
    from domain.options import ProviderOptions
    from domain.providers import ProviderRegistry
    from domain.resources import Resources
    from domain.send_order import ThreadPushOrder
    from domain.settings_cache import SettingsCache
    from gateway.bus import EventBus
    from gateway.control import LocalControl
    from presence.engine import PresenceEngine
    from storage.database import Database
    from storage.files import FileStore
    from storage.thread_audience import ThreadAudienceCache


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
