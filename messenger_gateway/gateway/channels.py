"""Channel names: kinds (public, private, presence) and the messenger patterns, specific ones first."""
from __future__ import annotations

import re
from dataclasses import dataclass

PRIVATE = "private"
PRESENCE = "presence"
PUBLIC = "public"

THREAD_PRESENCE = re.compile(r"^presence-messenger\.thread\.([A-Za-z0-9-]{1,64})$")
CALL_PRESENCE = re.compile(r"^presence-messenger\.call\.([A-Za-z0-9-]{1,64})\.thread\.([A-Za-z0-9-]{1,64})$")
PROVIDER_PRIVATE = re.compile(r"^private-messenger\.([a-z0-9]{1,32})\.([A-Za-z0-9-]{1,64})$")
VALID_NAME = re.compile(r"^[A-Za-z0-9_\-=@,.;:\\]+$")


@dataclass(frozen=True)
class MessengerChannel:
    kind: str  # "thread", "call" or "provider"
    thread_id: str | None = None
    call_id: str | None = None
    alias: str | None = None
    provider_id: str | None = None


def kind_of(channel: str) -> str:
    if channel.startswith("presence-"):
        return PRESENCE
    if channel.startswith("private-"):
        return PRIVATE
    return PUBLIC


def is_guarded(channel: str) -> bool:
    return kind_of(channel) != PUBLIC


def is_messenger(channel: str) -> bool:
    return channel.startswith(("private-messenger.", "presence-messenger."))


def parse_messenger(channel: str) -> MessengerChannel | None:
    """Match the specific presence patterns before the generic private {alias}.{id} one."""
    if m := THREAD_PRESENCE.match(channel):
        return MessengerChannel("thread", thread_id=m.group(1))
    if m := CALL_PRESENCE.match(channel):
        return MessengerChannel("call", call_id=m.group(1), thread_id=m.group(2))
    if m := PROVIDER_PRIVATE.match(channel):
        return MessengerChannel("provider", alias=m.group(1), provider_id=m.group(2))
    return None


def provider_channel(alias: str, provider_id: str) -> str:
    return f"private-messenger.{alias}.{provider_id}"


def thread_channel(thread_id: str) -> str:
    return f"presence-messenger.thread.{thread_id}"


def call_channel(call_id: str, thread_id: str) -> str:
    return f"presence-messenger.call.{call_id}.thread.{thread_id}"


def valid_name(channel: object, max_length: int) -> bool:
    return isinstance(channel, str) and 0 < len(channel) <= max_length and bool(VALID_NAME.match(channel))


def is_call_channel(channel: str) -> bool:
    return CALL_PRESENCE.match(channel) is not None


def signal_room(channel: str, provider_id: str) -> str:
    """The room of one participant's sockets on a call channel: targeted WebRTC signalling goes there."""
    return f"{channel}#{provider_id}"
