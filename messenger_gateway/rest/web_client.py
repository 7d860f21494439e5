"""The messenger web client at `messenger.web_prefix` (`/messenger`): one HTML page for every client-side route
(threads, invite links at `/messenger/join/{code}`...) and the bundle built from `web/` (committed, so installing
needs no node), read once and served from memory, gzipped when the browser accepts it."""
from __future__ import annotations

import dataclasses
import gzip
import logging
import hashlib
import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson
from aiohttp import web

from messenger_gateway.core.config import IceServer

log = logging.getLogger("messenger")
BUNDLE_DIR = Path(__file__).resolve().parent / "web"
CONTENT_TYPES = {".js": "application/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# the page may only run our bundle and talk to this origin (the API, Socket.IO) and to peers over WebRTC
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; "
                           "connect-src 'self' ws: wss:; style-src 'self'; script-src 'self'; object-src 'none'; "
                           "base-uri 'none'; frame-ancestors 'none'")


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    gzipped: bytes
    content_type: str
    version: str


class WebClient:
    """The page and the bundle, bound to the node's prefixes and site name."""

    def __init__(self, web_prefix: str, api_prefix: str, site_name: str, ice_servers: Sequence[IceServer] = (),
                 bundle_dir: Path = BUNDLE_DIR) -> None:
        self.web_prefix = web_prefix.rstrip("/")
        self.assets: dict[str, Asset] = {}
        for path in sorted(bundle_dir.glob("*")):
            content_type = CONTENT_TYPES.get(path.suffix)
            if content_type is not None:
                body = path.read_bytes()
                self.assets[path.name] = Asset(body, gzip.compress(body, 9, mtime=0), content_type,
                                               hashlib.sha256(body).hexdigest()[:16])
        if "app.js" not in self.assets:
            log.warning("the web client's bundle is missing from %s: %s serves a page without it", bundle_dir,
                        self.web_prefix)
        settings = {"apiPrefix": api_prefix.rstrip("/"), "webPrefix": self.web_prefix, "siteName": site_name,
                    "iceServers": [{key: value for key, value in dataclasses.asdict(server).items() if value is not None}
                                   for server in ice_servers]}
        self.page_html = self._page(site_name, orjson.dumps(settings).decode()).encode()

    def _url(self, name: str) -> str:
        return f"{self.web_prefix}/assets/{name}?v={self.assets[name].version}"

    def _page(self, site_name: str, settings: str) -> str:
        styles = f'<link rel="stylesheet" href="{self._url("app.css")}">' if "app.css" in self.assets else ""
        script = f'<script type="module" src="{self._url("app.js")}"></script>' if "app.js" in self.assets else ""
        return (
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{html.escape(site_name)}</title>{styles}{script}</head>'
            f'<body><div id="app" data-settings="{html.escape(settings)}"></div>'
            '<noscript>This messenger needs JavaScript.</noscript></body></html>\n')

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(body=self.page_html, content_type="text/html", charset="utf-8", headers={
            "Cache-Control": "no-cache", "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"})

    async def asset(self, request: web.Request) -> web.Response:
        found = self.assets.get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound()
        # versioned URLs never change: the page names the bundle by its hash
        cache = "public, max-age=31536000, immutable" if request.query.get("v") == found.version else "no-cache"
        headers = {"Cache-Control": cache, "ETag": f'"{found.version}"', "Vary": "Accept-Encoding",
                   "X-Content-Type-Options": "nosniff"}
        if request.headers.get("If-None-Match") == f'"{found.version}"':
            return web.Response(status=304, headers=headers)
        body = found.body
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            body, headers["Content-Encoding"] = found.gzipped, "gzip"
        return web.Response(body=body, headers={**headers, "Content-Type": found.content_type})

    def add_routes(self, router: web.UrlDispatcher) -> None:
        w = self.web_prefix
        router.add_get(f"{w}/assets/{{name}}", self.asset)
        router.add_get(w, self.page)
        router.add_get(f"{w}/{{path:.*}}", self.page)
