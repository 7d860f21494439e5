"""The node's life: ready or draining, what /ready checks, and the steps a drain runs.

The composition root registers readiness checks (the database, Redis) and drain steps (close the sockets, settle
presence); the HTTP layer reads `draining` to turn new requests away and to answer /ready.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from messenger_gateway.core.outages import describe

log = logging.getLogger("messenger")

Check = Callable[[], Awaitable[object]]
DrainStep = Callable[[], Awaitable[object]]


@dataclass
class Lifecycle:
    node_id: str
    started_at: float = field(default_factory=time.time)
    draining: bool = False
    in_flight: int = 0  # HTTP requests being answered (kept by the request middleware)
    waiting_for: str | None = None  # during start-up: the dependency that does not answer yet, and why
    check_timeout_seconds: float = 2.0
    _checks: list[tuple[str, Check]] = field(default_factory=list)
    _drain_steps: list[tuple[str, DrainStep]] = field(default_factory=list)

    def wait_for(self, detail: str | None) -> None:
        self.waiting_for = detail

    def add_check(self, name: str, check: Check) -> None:
        """`check` raises (or times out) when the dependency `name` cannot serve."""
        self._checks.append((name, check))

    def add_drain_step(self, name: str, step: DrainStep) -> None:
        """Steps run in the order they were added when the node drains."""
        self._drain_steps.append((name, step))

    async def readiness(self) -> tuple[bool, dict[str, str]]:
        """Whether the node should get traffic, and each dependency's state ("ok" or why not)."""
        results = await asyncio.gather(*(self._check(check) for _, check in self._checks))
        checks = {name: result for (name, _), result in zip(self._checks, results)}
        return (not self.draining and all(r == "ok" for r in results)), checks

    async def _check(self, check: Check) -> str:
        try:
            await asyncio.wait_for(check(), self.check_timeout_seconds)
        except asyncio.TimeoutError:
            return f"no answer within {self.check_timeout_seconds:g} s"
        except Exception as exc:  # a readiness probe reports every failure, expected or not
            return describe(exc)
        return "ok"

    async def drain(self, timeout: float) -> None:
        """Stop taking work and run every drain step, within `timeout` seconds in all."""
        self.draining = True
        deadline = asyncio.get_running_loop().time() + timeout
        for name, step in self._drain_steps:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                log.warning("drain: no time left for %s", name)
                continue
            try:
                await asyncio.wait_for(step(), remaining)
            except asyncio.TimeoutError:
                log.warning("drain: %s did not finish in time", name)
            except Exception as exc:
                log.warning("drain: %s failed: %s", name, describe(exc))

    async def requests_finished(self, timeout: float, poll_seconds: float = 0.05) -> bool:
        """Wait until no HTTP request is being answered (True), or `timeout` seconds (False)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.in_flight > 0:
            if loop.time() >= deadline:
                log.warning("drain: %d requests still running; they are cancelled", self.in_flight)
                return False
            await asyncio.sleep(poll_seconds)
        return True
