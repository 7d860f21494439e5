"""Real Socket.IO clients (python-socketio AsyncClient) that record every event they receive."""
from __future__ import annotations

import asyncio
from typing import Any

import socketio


OPEN: list["Recorder"] = []  # every client a test opened, closed by the make_server fixture


class Recorder:
    """A connected client plus the list of (event, args) it received, with waiting helpers."""

    def __init__(self, client: socketio.AsyncClient) -> None:
        self.client = client
        self.events: list[tuple[str, tuple[Any, ...]]] = []
        self._changed = asyncio.Condition()

        @client.on("*")
        async def catch_all(event: str, *args: Any) -> None:
            self.events.append((event, args))
            async with self._changed:
                self._changed.notify_all()

        @client.event
        async def disconnect(reason: Any = None) -> None:
            self.events.append(("__disconnect__", (reason,)))
            async with self._changed:
                self._changed.notify_all()

    @property
    def sid(self) -> str:
        return self.client.get_sid()

    def received(self, event: str, channel: str | None = None) -> list[tuple[Any, ...]]:
        return [args for name, args in self.events if name == event and (channel is None or (args and args[0] == channel))]

    async def wait_for(self, event: str, channel: str | None = None, count: int = 1, timeout: float = 5.0) -> list:
        async def enough() -> list:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.received(event, channel)) >= count)
            return self.received(event, channel)

        try:
            return await asyncio.wait_for(enough(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(f"no {event!r} on {channel!r} within {timeout}s; got {self.events!r}") from None

    async def nothing(self, event: str, channel: str | None = None, wait: float = 0.3) -> None:
        await asyncio.sleep(wait)
        assert not self.received(event, channel), f"unexpected {event!r}: {self.received(event, channel)!r}"

    async def subscribe(self, channel: str, token: str | None = None, **extra: Any) -> None:
        """Echo's subscribe; `extra` adds fields (`since`, `positions`)."""
        payload: dict[str, Any] = {"channel": channel, "auth": {"headers": {}}, **extra}
        if token:
            payload["auth"]["headers"]["Authorization"] = f"Bearer {token}"
        await self.client.emit("subscribe", payload)

    async def whisper(self, channel: str, name: str, data: Any) -> None:
        await self.client.emit("client event", {"channel": channel, "event": f"client-{name}", "data": data})

    async def close(self) -> None:
        if self.client.connected:
            try:
                await asyncio.wait_for(self.client.disconnect(), 5)
            except asyncio.TimeoutError:
                pass


async def connect(base_url: str, token: str | None = None, echo_style: bool = True, transports: list[str] | None = None) -> Recorder:
    client = socketio.AsyncClient(reconnection=False)
    recorder = Recorder(client)
    OPEN.append(recorder)
    auth: dict[str, Any] | None = None
    if token:
        auth = {"headers": {"Authorization": f"Bearer {token}"}} if echo_style else {"token": token}
    await client.connect(base_url, auth=auth, transports=transports or ["websocket"], socketio_path="socket.io",
                         wait_timeout=10)
    return recorder
