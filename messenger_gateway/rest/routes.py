"""Every HTTP route of the service."""
from __future__ import annotations

from aiohttp import web

from messenger_gateway.rest.handlers import (accounts, avatars, calls, friends, health, invites, messages, messenger,
                                             openapi, participants, search, threads)
from messenger_gateway.rest.web_client import WebClient


def setup_routes(app: web.Application, api: str = "/api/messenger", web_client: WebClient | None = None) -> None:
    """Every route; the messenger API under `api` (`messenger.api_prefix`), the web client where it is served."""
    r = app.router
    r.add_get("/health", health.health)
    r.add_get("/ready", health.ready)
    r.add_get("/metrics", health.metrics)
    r.add_get("/api/openapi.json", openapi.document)
    r.add_post("/api/auth/register", accounts.register)
    r.add_post("/api/auth/login", accounts.login)
    r.add_post("/api/auth/logout", accounts.logout)

    r.add_get(api, messenger.info)
    r.add_get(f"{api}/settings", messenger.show_settings)
    r.add_put(f"{api}/settings", messenger.update_settings)
    r.add_post(f"{api}/avatar", avatars.upload)
    r.add_delete(f"{api}/avatar", avatars.remove)
    r.add_post(f"{api}/heartbeat", messenger.heartbeat)
    r.add_get(f"{api}/unread-threads-count", messenger.unread_count)
    r.add_get(f"{api}/search", search.search)
    r.add_get(f"{api}/search/", search.search)
    r.add_get(f"{api}/search/{{query:.+}}", search.search)
    r.add_get(f"{api}/active-calls", messenger.active_calls)
    r.add_get(f"{api}/images/{{alias}}/{{id}}/{{size}}/{{image}}", avatars.render_authenticated)
    r.add_get("/images/{alias}/{id}/{size}/{image}", avatars.render_public)

    r.add_get(f"{api}/friends", friends.index)
    r.add_get(f"{api}/friends/sent", friends.sent_index)
    r.add_post(f"{api}/friends/sent", friends.sent_store)
    r.add_get(f"{api}/friends/sent/{{sent}}", friends.sent_show)
    r.add_delete(f"{api}/friends/sent/{{sent}}", friends.sent_destroy)
    r.add_get(f"{api}/friends/pending", friends.pending_index)
    r.add_get(f"{api}/friends/pending/{{pending}}", friends.pending_show)
    r.add_put(f"{api}/friends/pending/{{pending}}", friends.pending_update)
    r.add_patch(f"{api}/friends/pending/{{pending}}", friends.pending_update)
    r.add_delete(f"{api}/friends/pending/{{pending}}", friends.pending_destroy)
    # not `sent` or `pending`: those paths are lists, and a 405 there must not advertise a friend's DELETE
    friend = f"{api}/friends/{{friend:(?!sent$|pending$)[^/]+}}"
    r.add_get(friend, friends.show)
    r.add_delete(friend, friends.destroy)

    threads_routes(r, api)
    if web_client is not None:
        web_client.add_routes(r)


def threads_routes(r: web.UrlDispatcher, api: str) -> None:
    T = f"{api}/threads/{{thread}}"
    r.add_get(f"{api}/threads", threads.index)
    r.add_get(f"{api}/threads/page/{{thread}}", threads.index)
    r.add_get(f"{api}/privates", threads.privates)
    r.add_post(f"{api}/privates", threads.store_private)
    r.add_get(f"{api}/privates/page/{{private}}", threads.privates)
    r.add_get(f"{api}/privates/recipient/{{alias}}/{{id}}", threads.locate)
    r.add_get(f"{api}/groups", threads.groups)
    r.add_post(f"{api}/groups", threads.store_group)
    r.add_get(f"{api}/groups/page/{{group}}", threads.groups)
    r.add_get(T, threads.show)
    r.add_delete(T, threads.destroy)
    r.add_get(f"{T}/load", threads.loader)
    r.add_get(f"{T}/load/{{relations}}", threads.loader)
    r.add_get(f"{T}/mark-read", threads.mark_read)
    r.add_get(f"{T}/is-unread", threads.is_unread)
    r.add_post(f"{T}/knock-knock", threads.knock)
    r.add_get(f"{T}/check-archive", threads.check_archive)
    r.add_post(f"{T}/mute", threads.mute)
    r.add_post(f"{T}/unmute", threads.unmute)
    r.add_post(f"{T}/leave", threads.leave)
    r.add_post(f"{T}/approval", threads.approval)
    r.add_get(f"{T}/settings", threads.settings)
    r.add_put(f"{T}/settings", threads.update_settings)
    r.add_post(f"{T}/avatar", threads.update_avatar)
    r.add_get(f"{T}/avatar/{{size}}/{{image}}", threads.render_avatar)
    r.add_get(f"{T}/add-participants", threads.add_participants_candidates)

    r.add_get(f"{T}/participants", participants.index)
    r.add_post(f"{T}/participants", participants.store_participants)
    r.add_get(f"{T}/participants/page/{{participant}}", participants.index)
    r.add_get(f"{T}/participants/{{participant}}", participants.show)
    r.add_put(f"{T}/participants/{{participant}}", participants.update)
    r.add_patch(f"{T}/participants/{{participant}}", participants.update)
    r.add_delete(f"{T}/participants/{{participant}}", participants.destroy)
    r.add_post(f"{T}/participants/{{participant}}/promote", participants.promote)
    r.add_post(f"{T}/participants/{{participant}}/demote", participants.demote)

    r.add_get(f"{T}/messages", messages.index)
    r.add_post(f"{T}/messages", messages.store_message)
    r.add_get(f"{T}/messages/page/{{message}}", messages.index)
    r.add_get(f"{T}/messages/{{message}}", messages.show)
    r.add_put(f"{T}/messages/{{message}}", messages.update)
    r.add_delete(f"{T}/messages/{{message}}", messages.destroy)
    r.add_get(f"{T}/messages/{{message}}/history", messages.history)
    r.add_get(f"{T}/logs", messages.logs)
    r.add_get(f"{T}/logs/page/{{log}}", messages.logs)
    r.add_get(f"{T}/images", messages.images)
    r.add_post(f"{T}/images", messages.store_image)
    r.add_get(f"{T}/images/page/{{image}}", messages.images)
    r.add_get(f"{T}/gallery/{{message}}/{{size}}/{{image}}", messages.gallery)
    r.add_get(f"{T}/documents", messages.documents)
    r.add_post(f"{T}/documents", messages.store_document)
    r.add_get(f"{T}/documents/page/{{document}}", messages.documents)
    r.add_get(f"{T}/files/{{message}}/{{file}}", messages.download)

    r.add_get(f"{T}/invites", invites.index)
    r.add_post(f"{T}/invites", invites.store_invite)
    r.add_delete(f"{T}/invites/{{invite}}", invites.destroy)
    r.add_get(f"{api}/join/{{code}}", invites.preview)
    r.add_post(f"{api}/join/{{code}}", invites.join)

    C = f"{T}/calls/{{call}}"
    r.add_get(f"{T}/calls", calls.index)
    r.add_post(f"{T}/calls", calls.start)
    r.add_get(f"{T}/calls/page/{{call}}", calls.index)
    r.add_get(C, calls.show)
    r.add_post(f"{C}/join", calls.join)
    r.add_post(f"{C}/leave", calls.leave)
    r.add_post(f"{C}/end", calls.end)
    r.add_post(f"{C}/ignore", calls.ignore)
    r.add_get(f"{C}/heartbeat", calls.heartbeat)
    r.add_get(f"{C}/participants", calls.participants)
    r.add_get(f"{C}/participants/{{participant}}", calls.participant)
    r.add_put(f"{C}/participants/{{participant}}", calls.update_participant)
    r.add_patch(f"{C}/participants/{{participant}}", calls.update_participant)
