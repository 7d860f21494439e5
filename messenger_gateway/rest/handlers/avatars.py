"""Provider avatars: upload, removal, and serving the sm/md/lg renditions."""
from __future__ import annotations

from aiohttp import web
from messenger_gateway.core.errors import ApiError
from messenger_gateway.core.jsonio import json_response
from messenger_gateway.core.services import Services, services
from messenger_gateway.domain.profile import ProfileActions
from messenger_gateway.rest.auth import SESSION, current_provider, public
from messenger_gateway.rest.uploads import read_image

SIZES = ("sm", "md", "lg")
CACHE_HEADERS = {"Cache-Control": "public, max-age=86400"}


async def upload(request: web.Request) -> web.Response:
    svc = services(request)
    if not svc.config.messenger.files.provider_avatar_upload:
        raise ApiError(403, "Avatar uploads are currently disabled.")
    me = current_provider(request)
    data, checked = await read_image(request, "image", svc.config.limits.avatar_max_kb, svc.config.limits.image_max_pixels)
    settings, provider = await ProfileActions(svc).replace_avatar(request[SESSION], me, data, checked.extension)
    return json_response(svc.resources.settings(settings, provider))


async def remove(request: web.Request) -> web.Response:
    svc = services(request)
    if not svc.config.messenger.files.provider_avatar_removal:
        raise ApiError(403, "Avatar removal is currently disabled.")
    settings, provider = await ProfileActions(svc).remove_avatar(request[SESSION], current_provider(request))
    return json_response(svc.resources.settings(settings, provider))


async def render_authenticated(request: web.Request) -> web.StreamResponse:
    return _render(request, services(request))


@public
async def render_public(request: web.Request) -> web.StreamResponse:
    return _render(request, services(request))


def _render(request: web.Request, svc: Services) -> web.StreamResponse:
    alias = request.match_info["alias"]
    provider_id = request.match_info["id"]
    size = request.match_info["size"]
    image = request.match_info["image"]
    if size not in SIZES:
        size = "sm"
    path = svc.files.avatar_path(alias, provider_id, size, image)
    if path is None:
        kind = svc.providers.get(alias)
        path = svc.files.asset(kind.default_avatar if kind else "image404.png")
    return web.FileResponse(path, headers=CACHE_HEADERS)
