"""Fan-out fast path: one event to many channels, encoded once, queued straight onto each local socket.

python-socketio's `emit` encodes the packet once per call and then starts one task per recipient. An Echo event
goes to many channels at a time (a message to every member's private channel), so we serialise the payload once
with orjson, build each channel's Socket.IO packet by string concatenation, and put it on every socket's outgoing
queue directly (the queue Engine.IO's writer task drains). The bytes on the wire are the same Socket.IO packets.

Across nodes, `EchoRedisManager` sends one pub/sub message per publish (not one per channel); every other node
delivers it with the same fast path.
"""
from __future__ import annotations

from typing import Any

import orjson
import socketio
from aiohttp.web import WebSocketResponse
from engineio import packet as eio_packet
from engineio.async_drivers.aiohttp import WebSocket

NAMESPACE = "/"


class LocalDelivery:
    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    def deliver(self, event: str, channels: list[str], payload_json: str, skip_sid: str | None = None) -> int:
        """Queue `event (channel, payload)` for every local socket in each channel; returns the count."""
        manager = self.sio.manager
        sockets = self.sio.eio.sockets
        prefix = '2[' + orjson.dumps(event).decode() + ','
        suffix = ',' + payload_json + ']'
        delivered = 0
        for channel in channels:
            participants = list(manager.get_participants(NAMESPACE, channel))
            if not participants:
                continue
            pkt = eio_packet.Packet(eio_packet.MESSAGE, prefix + orjson.dumps(channel).decode() + suffix)
            for sid, eio_sid in participants:
                if sid == skip_sid:
                    continue
                sock = sockets.get(eio_sid)
                if sock is None or sock.closed:
                    continue
                sock.queue.put_nowait(pkt)
                delivered += 1
        return delivered


class EchoRedisManager(socketio.AsyncRedisManager):
    """python-socketio's Redis manager, plus one message per multi-channel publish."""

    delivery: LocalDelivery | None = None

    async def publish_batch(self, event: str, channels: list[str], payload_json: str, skip_sid: str | None) -> None:
        await self._publish({"method": "emit", "mg_batch": True, "event": event, "channels": channels,
                             "payload": payload_json, "skip_sid": skip_sid, "namespace": NAMESPACE,
                             "host_id": self.host_id})

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        if message.get("mg_batch"):
            if self.delivery is not None:
                self.delivery.deliver(message["event"], list(message["channels"]), message["payload"],
                                      message.get("skip_sid"))
            return
        await super()._handle_emit(message)


class UncompressedWebSocket(WebSocket):  # type: ignore[misc]
    """Engine.IO's aiohttp WebSocket without permessage-deflate: compressing every frame for every socket costs
    more CPU than the fan-out itself (Socket.IO 4's Node server also leaves it off by default)."""

    async def __call__(self, environ: dict[str, Any]) -> WebSocketResponse:
        request = environ["aiohttp.request"]
        self._sock = WebSocketResponse(max_msg_size=self.server.max_http_buffer_size, compress=False)
        await self._sock.prepare(request)
        self.environ = environ
        await self.handler(self)
        return self._sock


def use_uncompressed_websockets(sio: socketio.AsyncServer) -> None:
    sio.eio._async = {**sio.eio._async, "websocket": UncompressedWebSocket}
