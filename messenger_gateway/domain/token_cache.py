"""Recently used bearer tokens, so an authenticated request usually needs no SQL to know who is calling.

Entries live `security.token_cache_seconds`; logout drops the token on every node (control channel), and a
provider whose profile changed is dropped too. The cached provider objects are shared: never modify them.
"""
from __future__ import annotations


from messenger_gateway.core.clock import Clock
from messenger_gateway.gateway.control_messages import ControlMessage, ProviderChanged, Revoke
from messenger_gateway.storage.models import AccessToken, Provider


class TokenCache:
    def __init__(self, ttl_seconds: float, clock: Clock, max_entries: int = 100_000) -> None:
        self.ttl = ttl_seconds
        self._clock = clock
        self._max = max_entries
        self._entries: dict[str, tuple[Provider, AccessToken, float]] = {}

    def get(self, token_hash: str) -> tuple[Provider, AccessToken] | None:
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        if entry[2] <= self._clock.monotonic():
            del self._entries[token_hash]
            return None
        return entry[0], entry[1]

    def put(self, token_hash: str, provider: Provider, token: AccessToken) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self._max:
            self._entries.pop(next(iter(self._entries)))  # the oldest insertion
        self._entries[token_hash] = (provider, token, self._clock.monotonic() + self.ttl)

    def drop_token(self, token_hash: str) -> None:
        self._entries.pop(token_hash, None)

    def clear(self) -> None:
        """Forget everything (after an outage of Redis, when revocations may have been missed)."""
        self._entries.clear()

    def drop_provider(self, provider_id: str) -> None:
        for key in [k for k, (p, _, _) in self._entries.items() if p.id == provider_id]:
            del self._entries[key]

    async def on_control(self, message: ControlMessage) -> None:
        if isinstance(message, Revoke):
            self.drop_token(message.token_hash)
        elif isinstance(message, ProviderChanged):
            self.drop_provider(message.provider_id)
