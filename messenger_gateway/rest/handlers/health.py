"""Operational routes: /health (the process answers), /ready (it should get traffic), /metrics (Prometheus)."""
from __future__ import annotations

import time

from aiohttp import web

from messenger_gateway.core.jsonio import json_response
from messenger_gateway.core.metrics import CONTENT_TYPE
from messenger_gateway.core.services import services
from messenger_gateway.core.version import __version__


async def health(request: web.Request) -> web.Response:
    lifecycle = services(request).lifecycle
    return json_response({
        "status": "draining" if lifecycle.draining else "ok",
        "version": __version__,
        "node": lifecycle.node_id,
        "uptime_seconds": round(time.time() - lifecycle.started_at, 1),
    })


async def ready(request: web.Request) -> web.Response:
    lifecycle = services(request).lifecycle
    is_ready, checks = await lifecycle.readiness()
    if is_ready:
        return json_response({"status": "ready", "checks": checks})
    if lifecycle.draining:
        message = "The node is draining (shutting down)."
    else:
        message = "Not ready: " + "; ".join(f"{name}: {state}" for name, state in checks.items() if state != "ok")
    return json_response({"status": "unavailable", "message": message, "checks": checks}, status=503)


async def metrics(request: web.Request) -> web.Response:
    body = services(request).metrics.render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})
