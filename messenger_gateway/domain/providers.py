"""Provider types (aliases) and the interaction rules between them, resolved once from config."""
from __future__ import annotations

from dataclasses import dataclass

from messenger_gateway.core.config import MessengerConfig, ProviderConfig


@dataclass(frozen=True)
class ProviderType:
    alias: str
    owner_type: str
    default_avatar: str
    searchable: bool
    friendable: bool
    mobile_devices: bool
    can_message: tuple[str, ...]
    can_search: tuple[str, ...]
    can_friend: tuple[str, ...]


class ProviderRegistry:
    """Every configured provider alias with its resolved can_message / can_search / can_friend lists."""

    def __init__(self, config: MessengerConfig) -> None:
        raw = config.providers
        self.default_alias = config.default_provider
        self._types = {alias: _resolve(alias, cfg, raw) for alias, cfg in raw.items()}
        self._by_owner_type = {t.owner_type: t for t in self._types.values()}

    def get(self, alias: str) -> ProviderType | None:
        return self._types.get(alias)

    def __getitem__(self, alias: str) -> ProviderType:
        return self._types[alias]

    def all(self) -> list[ProviderType]:
        return list(self._types.values())

    def owner_type(self, alias: str) -> str:
        return self._types[alias].owner_type

    def alias_of_owner_type(self, owner_type: str) -> str | None:
        found = self._by_owner_type.get(owner_type)
        return found.alias if found else None


def _resolve(alias: str, cfg: ProviderConfig, everyone: dict[str, ProviderConfig]) -> ProviderType:
    rules = cfg.provider_interactions
    can_message = _allowed(alias, rules.can_message, list(everyone), always_self=True)
    searchable = [a for a, c in everyone.items() if c.searchable]
    can_search = _allowed(alias, rules.can_search, searchable, always_self=cfg.searchable)
    friendable = [a for a, c in everyone.items() if c.friendable]
    can_friend = _allowed(alias, rules.can_friend, friendable, always_self=True) if cfg.friendable else []
    return ProviderType(
        alias=alias,
        owner_type=cfg.owner_type,
        default_avatar=cfg.default_avatar,
        searchable=cfg.searchable,
        friendable=cfg.friendable,
        mobile_devices=cfg.mobile_devices,
        can_message=tuple(can_message),
        can_search=tuple(can_search),
        can_friend=tuple(can_friend),
    )


def _allowed(alias: str, rule: bool | list[str] | None, candidates: list[str], always_self: bool) -> list[str]:
    """The package's rules: true = all candidates; false/empty = own alias; a list = those plus own alias."""
    if rule is True:
        return list(candidates)
    chosen = [a for a in (rule or []) if a in candidates and a != alias]
    if always_self and alias not in chosen:
        chosen.append(alias)
    return chosen
