"""Messenger settings rows remembered per provider, so a heartbeat or socket connect needs no settings query.

Only for reading: the objects are shared, so code that changes settings loads the row itself, then calls
`changed()`, which drops the entry here and (through the control channel) on every other node.
"""
from __future__ import annotations


from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.core.clock import Clock
from messenger_gateway.domain.providers import ProviderRegistry
from messenger_gateway.gateway.control_messages import ControlMessage, SettingsChanged
from messenger_gateway.storage.accounts import settings_for
from messenger_gateway.storage.models import MessengerSettings, Provider


class SettingsCache:
    def __init__(self, providers: ProviderRegistry, clock: Clock, ttl_seconds: float, max_entries: int = 100_000) -> None:
        self._providers = providers
        self._clock = clock
        self.ttl = ttl_seconds
        self._max = max_entries
        self._entries: dict[str, tuple[MessengerSettings, float]] = {}

    async def get(self, session: AsyncSession, provider: Provider) -> MessengerSettings:
        entry = self._entries.get(provider.id)
        if entry is not None and entry[1] > self._clock.monotonic():
            return entry[0]
        settings = await settings_for(session, provider, self._providers.owner_type(provider.alias), self._clock.now())
        if self.ttl > 0:
            if len(self._entries) >= self._max:
                self._entries.pop(next(iter(self._entries)))
            self._entries[provider.id] = (settings, self._clock.monotonic() + self.ttl)
        return settings

    def clear(self) -> None:
        """Forget everything (after an outage of Redis, when changes on other nodes may have been missed)."""
        self._entries.clear()

    def drop(self, provider_id: str) -> None:
        self._entries.pop(provider_id, None)

    async def on_control(self, message: ControlMessage) -> None:
        if isinstance(message, SettingsChanged):
            self.drop(message.provider_id)
