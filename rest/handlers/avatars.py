"""Provider avatars: upload, removal, and serving the sm/md/lg renditions."""
from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ApiError
from core.jsonio import json_response
from core.services import Services, services
from rest.auth import SESSION, current_provider, public
from storage import accounts as store
from rest.uploads import read_image
from storage.models import Provider

SIZES = ("sm", "md", "lg")
CACHE_HEADERS = {"Cache-Control": "public, max-age=86400"}


async def upload(request: web.Request) -> web.Response:
    svc = services(request)
    if not svc.config.messenger.files.provider_avatar_upload:
        raise ApiError(403, "Avatar uploads are currently disabled.")
    me = current_provider(request)
    data, checked = await read_image(request, "image", svc.config.limits.avatar_max_kb, svc.config.limits.image_max_pixels)
    new_name = await svc.files.save_avatar(me.alias, me.id, data, checked.extension)
    session = request[SESSION]
    provider = await _fresh(session, me)
    old_name = provider.avatar
    provider.avatar = new_name
    provider.updated_at = svc.clock.now()
    try:
        settings = await store.settings_for(session, provider, svc.providers.owner_type(me.alias), svc.clock.now())
        await session.commit()
    except BaseException:
        await svc.files.delete_avatar(me.alias, me.id, new_name)
        raise
    if old_name and old_name != new_name:
        await svc.files.delete_avatar(me.alias, me.id, old_name)
    await _profile_changed(svc, me.id)
    return json_response(svc.resources.settings(settings, provider))


async def remove(request: web.Request) -> web.Response:
    svc = services(request)
    if not svc.config.messenger.files.provider_avatar_removal:
        raise ApiError(403, "Avatar removal is currently disabled.")
    me = current_provider(request)
    session = request[SESSION]
    provider = await _fresh(session, me)
    old_name = provider.avatar
    if old_name:
        provider.avatar = None
        provider.updated_at = svc.clock.now()
    settings = await store.settings_for(session, provider, svc.providers.owner_type(me.alias), svc.clock.now())
    await session.commit()
    if old_name:
        await svc.files.delete_avatar(me.alias, me.id, old_name)
        await _profile_changed(svc, me.id)
    return json_response(svc.resources.settings(settings, provider))


async def _fresh(session: AsyncSession, me: Provider) -> Provider:
    """The caller's row from the database (the authenticated object may be a shared cached copy)."""
    provider = await session.get(Provider, me.id, populate_existing=True)
    if provider is None:
        raise ApiError(401, "Unauthenticated.")
    return provider


async def _profile_changed(svc: Services, provider_id: str) -> None:
    svc.accounts.token_cache.drop_provider(provider_id)
    await svc.control.publish({"type": "provider_changed", "provider_id": provider_id})


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
