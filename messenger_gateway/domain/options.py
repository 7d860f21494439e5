"""The `options` block of a provider object as seen by one viewer (spec section 2.1)."""
from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.core.jsonio import iso
from messenger_gateway.domain.providers import ProviderRegistry
from messenger_gateway.presence.engine import PresenceEngine
from messenger_gateway.presence.status import verbose
from messenger_gateway.storage.friendship import FRIEND, FRIEND_STATUS_VERBOSE, friend_links
from messenger_gateway.storage.models import Provider

RECORD_KEYS = {1: "friend_id", 2: "sent_friend_id", 3: "pending_friend_id"}


class ProviderOptions:
    def __init__(self, providers: ProviderRegistry, presence: PresenceEngine) -> None:
        self._providers = providers
        self._presence = presence

    async def for_targets(
        self, session: AsyncSession, viewer: Provider, targets: list[Provider]
    ) -> dict[str, dict[str, Any]]:
        """Options for every target, with a fixed number of queries whatever the count."""
        ids = [t.id for t in targets]
        links = await friend_links(session, viewer.id, ids)
        statuses = await self._presence.statuses(ids)
        mine = self._providers.get(viewer.alias)
        result: dict[str, dict[str, Any]] = {}
        for target in targets:
            kind = self._providers.get(target.alias)
            is_me = target.id == viewer.id
            friendable = bool(kind and kind.friendable and not is_me)
            searchable = bool(kind and kind.searchable)
            link = links[target.id]
            status = statuses.get(target.id, 0)
            options: dict[str, Any] = {
                "can_message_first": bool(mine and not is_me and target.alias in mine.can_message),
                "friendable": friendable,
                "can_friend": bool(friendable and mine and target.alias in mine.can_friend),
                "searchable": searchable,
                "can_search": bool(searchable and mine and target.alias in mine.can_search),
                "online_status": status,
                "online_status_verbose": verbose(status),
                "friend_status": link.status,
                "friend_status_verbose": FRIEND_STATUS_VERBOSE[link.status],
            }
            if link.record_id is not None:
                options[RECORD_KEYS[link.status]] = link.record_id
            options["last_active"] = self._last_active(target) if link.status == FRIEND else None
            result[target.id] = options
        return result

    def _last_active(self, target: Provider) -> str | None:
        if not self._presence.enabled:
            return None
        return iso(self._presence.last_active(target.id) or target.last_active_at)
