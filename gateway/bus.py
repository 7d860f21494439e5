"""The one event bus every part of the service publishes to.

Delivery goes through python-socketio's client manager: in-process by default, Redis pub/sub across nodes
when MESSENGER_REDIS_URL is set (so `except_socket` is honoured on every node). Every emit has the Echo shape
`(channel, data)`.
"""
from __future__ import annotations

from typing import Any, Iterable

import socketio


class EventBus:
    def __init__(self, sio: socketio.AsyncServer) -> None:
        self._sio = sio

    async def publish(
        self, channels: Iterable[str], event: str, data: Any, except_socket: str | None = None
    ) -> None:
        for channel in dict.fromkeys(channels):
            await self._sio.emit(event, (channel, data), room=channel, skip_sid=except_socket or None)

    async def publish_local(
        self, channels: Iterable[str], event: str, data: Any, except_socket: str | None = None
    ) -> None:
        """Deliver to this node's sockets only (for input every node receives by itself)."""
        for channel in dict.fromkeys(channels):
            await self._sio.emit(event, (channel, data), room=channel, skip_sid=except_socket or None,
                                 ignore_queue=True)

    async def emit_to_socket(self, sid: str, event: str, channel: str, data: Any) -> None:
        await self._sio.emit(event, (channel, data), to=sid)
