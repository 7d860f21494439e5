"""The instructions nodes send each other, one frozen dataclass per kind, and their wire form.

On the wire a message is a JSON object with a `type` and the fields below (unchanged from the untyped dicts it
replaces, so nodes of two versions still understand each other during a rolling upgrade). A message that does not
decode (unknown type, a field missing or of the wrong type) is dropped."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True, slots=True)
class Revoke:
    """A token was revoked: forget it, and disconnect the sockets that used it."""
    token_hash: str


@dataclass(frozen=True, slots=True)
class Evict:
    """Access to a channel is gone for a provider (None: for everyone): their sockets leave it."""
    channel: str
    provider_id: str | None


@dataclass(frozen=True, slots=True)
class SettingsChanged:
    provider_id: str


@dataclass(frozen=True, slots=True)
class ProviderChanged:
    """A provider's own row changed (name, avatar): cached copies are stale."""
    provider_id: str


@dataclass(frozen=True, slots=True)
class CountersChanged:
    """These providers' heartbeat counters (unread threads, active calls, pending friends) changed."""
    provider_ids: tuple[str, ...]


ControlMessage = Revoke | Evict | SettingsChanged | ProviderChanged | CountersChanged
KINDS: dict[str, type[ControlMessage]] = {
    "revoke": Revoke, "evict": Evict, "settings_changed": SettingsChanged, "provider_changed": ProviderChanged,
    "counters_changed": CountersChanged,
}
_TYPE_OF = {cls: kind for kind, cls in KINDS.items()}


def to_wire(message: ControlMessage) -> dict[str, Any]:
    data = asdict(message)
    if isinstance(message, CountersChanged):
        data["provider_ids"] = list(message.provider_ids)
    return {"type": _TYPE_OF[type(message)], **data}


def from_wire(data: Any) -> ControlMessage | None:
    if not isinstance(data, dict):
        return None
    cls = KINDS.get(data.get("type"))  # type: ignore[arg-type]
    if cls is None:
        return None
    values: dict[str, Any] = {}
    for field in fields(cls):
        value = data.get(field.name)
        if field.name == "provider_ids":
            if not isinstance(value, list) or not all(isinstance(i, str) for i in value):
                return None
            value = tuple(value)
        elif field.name == "provider_id" and cls is Evict:
            if value is not None and not isinstance(value, str):
                return None
        elif not isinstance(value, str):
            return None
        values[field.name] = value
    return cls(**values)
