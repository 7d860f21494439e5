"""Run an aiohttp app until SIGTERM or SIGINT, then drain it and exit within the shutdown timeout.

The order of a stop: the node turns not-ready and refuses new work (503 with `Connection: close`), stops listening,
runs the drain steps (close every socket so clients reconnect elsewhere, settle presence, flush batched writes),
then lets aiohttp finish the requests in flight and run every cleanup (tasks stopped, the cluster left, the
database closed). While start-up waits for the database or Redis the port already answers (/health 200
"starting", everything else 503 with Retry-After); "listening on ..." is printed once the node serves.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import time

from aiohttp import web

from messenger_gateway.core.jsonio import json_response
from messenger_gateway.core.lifecycle import Lifecycle
from messenger_gateway.rest.protocol import JsonErrorsAppRunner

log = logging.getLogger("messenger")


CANCEL_SECONDS = 1.0  # what is still running after the wait for requests gets this long to end once cancelled
CLEANUP_SECONDS = 1.5  # kept for the app's cleanup: background tasks stopped, the cluster left, the database closed


class ListenError(Exception):
    """The port could not be bound (in use, not allowed, unknown host)."""


async def _listen(site: web.TCPSite, runner: web.BaseRunner, host: str, port: int) -> None:
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
        raise ListenError(f"cannot listen on {host}:{port}: {reason}") from None


def starting_app(lifecycle: Lifecycle) -> web.Application:
    """What the port answers until start-up is done: the process is alive (/health), not ready (/ready 503, saying
    what it waits for), and every other request is told to come back (503 with Retry-After)."""

    async def answer(request: web.Request) -> web.Response:
        detail = lifecycle.waiting_for or "starting"
        if request.path == "/health":
            return json_response({"status": "starting", "node": lifecycle.node_id, "detail": detail})
        body: dict[str, object] = {"message": f"The server is starting ({detail}). Try again shortly."}
        if request.path == "/ready":
            body = {"status": "starting", "message": f"Not ready: {detail}", "checks": {}}
        return json_response(body, status=503, headers={"Retry-After": "2"})

    app = web.Application()
    app.router.add_route("*", "/{path:.*}", answer)
    return app


async def serve_until_stopped(
    app: web.Application, lifecycle: Lifecycle, host: str, port: int, shutdown_timeout: float,
    reuse_port: bool = False,
) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    received: list[str] = []

    def on_signal(name: str) -> None:
        if received:  # a second signal: stop waiting for the drain
            log.warning("second %s: exiting now, without finishing the drain", name)
            logging.shutdown()
            os._exit(1)
        received.append(name)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig.name)

    # While start-up waits for the database or Redis, the port already answers: /health 200, the rest 503.
    starting = web.AppRunner(starting_app(lifecycle), handle_signals=False, access_log=None, shutdown_timeout=0.1)
    await starting.setup()
    await _listen(web.TCPSite(starting, host, port, reuse_port=reuse_port or None), starting, host, port)
    # Requests in flight are waited for before the runner's cleanup (which stops reading request bodies at once),
    # so its own wait only has to cancel what is left.
    runner = JsonErrorsAppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=CANCEL_SECONDS)
    setup = asyncio.ensure_future(runner.setup())  # start-up may wait for the database or Redis to come up
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait([setup, stopping], return_when=asyncio.FIRST_COMPLETED)
    await starting.cleanup()
    if not setup.done():
        setup.cancel()
        await asyncio.gather(setup, return_exceptions=True)
        log.info("stopped (%s) before start-up finished", received[0])
        await runner.cleanup()
        return
    try:
        setup.result()
    except BaseException:
        await runner.cleanup()
        raise
    site = web.TCPSite(runner, host, port, reuse_port=reuse_port or None)
    await _listen(site, runner, host, port)
    log.info("Messenger Gateway listening on http://%s:%d (node %s)", host, port, lifecycle.node_id)
    await stopping
    started = time.monotonic()
    log.info("%s received: draining (at most %g s)", received[0], shutdown_timeout)
    lifecycle.draining = True
    await site.stop()  # no new connections; open ones get 503 for new requests
    budget = max(0.5, shutdown_timeout - CANCEL_SECONDS - CLEANUP_SECONDS)
    await lifecycle.drain(timeout=budget / 2)
    await lifecycle.requests_finished(timeout=max(0.1, budget - (time.monotonic() - started)))
    await runner.cleanup()
    log.info("stopped in %.2f s", time.monotonic() - started)
