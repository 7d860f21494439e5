"""The messenger core: info, settings, heartbeat, unread count, active calls."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from messenger_gateway.core.config import Config
from messenger_gateway.core.jsonio import json_response
from messenger_gateway.core.services import services
from messenger_gateway.domain.calls import call_options
from messenger_gateway.domain.profile import ProfileActions
from messenger_gateway.rest.auth import SESSION, current_provider, public
from messenger_gateway.rest.body import read_fields
from messenger_gateway.domain.resources import SETTINGS_FLAGS
from messenger_gateway.rest.validation import Validator
from messenger_gateway.storage.calls import active_calls_for


@public
async def info(request: web.Request) -> web.Response:
    config = services(request).config
    return json_response(info_payload(config, services(request).providers.all(), _socket_endpoint(request, config)))


def _socket_endpoint(request: web.Request, config: Config) -> str:
    if config.messenger.socket_endpoint:
        return config.messenger.socket_endpoint
    return f"{request.scheme}://{request.host}"


def info_payload(config: Config, provider_types: list[Any], socket_endpoint: str) -> dict[str, Any]:
    m = config.messenger
    c = m.collections
    return {
        "siteName": m.site_name,
        "isProvidersCached": False,
        "apiEndpoint": m.api_prefix,
        "webEndpoint": m.web_prefix,
        "socketEndpoint": socket_endpoint,
        "broadcastDriver": m.broadcast_driver,
        "pushNotificationDriver": m.push_notification_driver,
        "videoDriver": m.video_driver,
        "knockKnock": m.knocks.enabled,
        "knockTimeout": m.knocks.timeout_minutes,
        "onlineStatus": m.online_status.enabled,
        "onlineCacheLifetime": m.online_status.lifetime_minutes,
        "calling": m.calling.enabled,
        "threadInvites": m.invites.enabled,
        "threadInvitesMax": m.invites.max_per_thread,
        "providerAvatarUpload": m.files.provider_avatar_upload,
        "providerAvatarRemoval": m.files.provider_avatar_removal,
        "messageDocumentUpload": m.files.message_document_upload,
        "messageDocumentDownload": m.files.message_document_download,
        "messageImageUpload": m.files.message_image_upload,
        "threadAvatarUpload": m.files.thread_avatar_upload,
        "searchPageCount": c.search_page_count,
        "threadsIndexCount": c.threads_index_count,
        "threadsPageCount": c.threads_page_count,
        "participantsIndexCount": c.participants_index_count,
        "participantsPageCount": c.participants_page_count,
        "messagesIndexCount": c.messages_index_count,
        "messagesPageCount": c.messages_page_count,
        "callsIndexCount": c.calls_index_count,
        "callsPageCount": c.calls_page_count,
        "providers": {
            t.alias: {
                "default_avatar": t.default_avatar,
                "searchable": t.searchable,
                "friendable": t.friendable,
                "mobile_devices": t.mobile_devices,
                "provider_interactions": {
                    "can_message": list(t.can_message),
                    "can_search": list(t.can_search),
                    "can_friend": list(t.can_friend),
                },
            }
            for t in provider_types
        },
    }


async def show_settings(request: web.Request) -> web.Response:
    svc, me = services(request), current_provider(request)
    settings = await ProfileActions(svc).settings(request[SESSION], me)
    return json_response(svc.resources.settings(settings, me))


async def update_settings(request: web.Request) -> web.Response:
    svc = services(request)
    me = current_provider(request)
    v = Validator(await read_fields(request))
    for flag in SETTINGS_FLAGS:
        v.boolean(flag)
    v.integer_in("online_status", (0, 1, 2))
    settings = await ProfileActions(svc).update_settings(request[SESSION], me, v.check())
    return json_response(svc.resources.settings(settings, me))


async def heartbeat(request: web.Request) -> web.Response:
    svc = services(request)
    me = current_provider(request)
    v = Validator(await read_fields(request))
    v.boolean("away")
    away = v.check()["away"]
    session = request[SESSION]
    settings = await svc.settings.get(session, me)
    status = await svc.presence.heartbeat(me.id, me.alias, away, int(settings.online_status))
    kind = svc.providers.get(me.alias)
    counts = await svc.counters.get(session, me.id, friendable=bool(kind and kind.friendable))
    return json_response(
        svc.resources.heartbeat(me, settings, status, counts.active_calls, counts.unread_threads, counts.pending_friends)
    )


async def unread_count(request: web.Request) -> web.Response:
    svc, me = services(request), current_provider(request)
    kind = svc.providers.get(me.alias)
    counts = await svc.counters.get(request[SESSION], me.id, friendable=bool(kind and kind.friendable))
    return json_response({"unread_threads_count": counts.unread_threads})


async def active_calls(request: web.Request) -> web.Response:
    svc = services(request)
    me = current_provider(request)
    views = await active_calls_for(request[SESSION], me.id)
    return json_response(
        [svc.resources.call(v.call, v.owner, v.thread, v.recipient, call_options(v, me.id)) for v in views]
    )
