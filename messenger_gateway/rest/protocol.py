"""JSON for the errors aiohttp answers itself, before any handler or middleware runs: a request line or header
it cannot parse (400), a header line too long, an unknown method. aiohttp writes those as text/plain; our clients
read every error as JSON `{"message": ...}`.

This replaces aiohttp's low-level request handler class (aiohttp.web_protocol.RequestHandler.handle_error,
created by web.Server.__call__), which is why aiohttp has an upper bound in pyproject.toml."""
from __future__ import annotations

import logging
from http import HTTPStatus

import orjson
from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

log = logging.getLogger("messenger.http")


class JsonErrorsRequestHandler(RequestHandler):
    __slots__ = ()

    def handle_error(self, request: BaseRequest, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if request.writer.output_size > 0:  # a response has begun: the connection is broken, as aiohttp does
            raise ConnectionError("Response is sent already, cannot send another response with the error message")
        if status >= 500:
            log.exception("error handling a request from %s", request.remote, exc_info=exc)
            text = "Server Error."
        else:  # malformed requests are the client's problem (scanners, TLS on the plain port): one line, no traceback
            log.info("unparsable request from %s: %d %s", request.remote, status, message or exc)
            try:
                phrase = HTTPStatus(status).phrase
            except ValueError:
                phrase = "Bad Request"
            text = f"{phrase}: the request could not be parsed ({message})." if message else f"{phrase}."
        response = web.Response(status=status, body=orjson.dumps({"message": text}), content_type="application/json")
        response.force_close()
        return response


class JsonErrorsServer(web.Server):
    def __call__(self) -> RequestHandler:
        return JsonErrorsRequestHandler(self, loop=self._loop, **self._kwargs)


class JsonErrorsAppRunner(web.AppRunner):
    """An AppRunner whose connections answer aiohttp's own errors as JSON."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = JsonErrorsServer  # the same object (its app, handler and settings), our handler class
        return server
