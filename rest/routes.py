"""Every HTTP route of the service."""
from __future__ import annotations

from aiohttp import web

from rest.handlers import accounts, avatars, friends, messenger, search

API = "/api/messenger"


def setup_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/auth/register", accounts.register)
    r.add_post("/api/auth/login", accounts.login)
    r.add_post("/api/auth/logout", accounts.logout)

    r.add_get(API, messenger.info)
    r.add_get(f"{API}/settings", messenger.show_settings)
    r.add_put(f"{API}/settings", messenger.update_settings)
    r.add_post(f"{API}/avatar", avatars.upload)
    r.add_delete(f"{API}/avatar", avatars.remove)
    r.add_post(f"{API}/heartbeat", messenger.heartbeat)
    r.add_get(f"{API}/unread-threads-count", messenger.unread_count)
    r.add_get(f"{API}/search", search.search)
    r.add_get(f"{API}/search/", search.search)
    r.add_get(f"{API}/search/{{query:.+}}", search.search)
    r.add_get(f"{API}/active-calls", messenger.active_calls)
    r.add_get(f"{API}/images/{{alias}}/{{id}}/{{size}}/{{image}}", avatars.render_authenticated)
    r.add_get("/images/{alias}/{id}/{size}/{image}", avatars.render_public)

    r.add_get(f"{API}/friends", friends.index)
    r.add_get(f"{API}/friends/sent", friends.sent_index)
    r.add_post(f"{API}/friends/sent", friends.sent_store)
    r.add_get(f"{API}/friends/sent/{{sent}}", friends.sent_show)
    r.add_delete(f"{API}/friends/sent/{{sent}}", friends.sent_destroy)
    r.add_get(f"{API}/friends/pending", friends.pending_index)
    r.add_get(f"{API}/friends/pending/{{pending}}", friends.pending_show)
    r.add_put(f"{API}/friends/pending/{{pending}}", friends.pending_update)
    r.add_patch(f"{API}/friends/pending/{{pending}}", friends.pending_update)
    r.add_delete(f"{API}/friends/pending/{{pending}}", friends.pending_destroy)
    r.add_get(f"{API}/friends/{{friend}}", friends.show)
    r.add_delete(f"{API}/friends/{{friend}}", friends.destroy)
