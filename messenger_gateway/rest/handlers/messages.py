"""Messages, logs, images and documents of a thread (spec section 1.4), plus edits and file downloads."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.core.errors import ApiError, not_found
from messenger_gateway.core.jsonio import iso, json_response
from messenger_gateway.core.services import Services, services
from messenger_gateway.domain.messages import MessageActions
from messenger_gateway.domain.threads import open_thread
from messenger_gateway.rest.auth import SESSION, current_provider
from messenger_gateway.rest.body import read_fields
from messenger_gateway.rest.catch_up import since_of, since_query
from messenger_gateway.rest.message_content import discard_stored, download_name, read_incoming
from messenger_gateway.rest.presenters import Presenter
from messenger_gateway.rest.listing import list_envelope
from messenger_gateway.rest.validation import Validator
from messenger_gateway.storage import messages as store
from messenger_gateway.storage.models import Message, Provider
from messenger_gateway.storage.threads import ThreadView

CACHE_HEADERS = {"Cache-Control": "private, max-age=86400"}


DELETED_LISTED = 1000  # ids of messages deleted since, at most (older deletions: reload the thread)


async def page_of(
    svc: Services, session: AsyncSession, me: Provider, v: ThreadView, kind: str, pivot_id: str | None,
    since: datetime | None = None,
) -> dict[str, Any]:
    """One page of a thread's messages (or logs, images, documents) in the index/page envelope. With `since`: only
    those written or edited after it, and in `meta.deleted` the ids of those deleted after it."""
    c = svc.config.messenger.collections
    stmt = store.message_list(v.thread.id, kind)
    envelope = await list_envelope(
        session, stmt if since is None else stmt.where(Message.updated_at > since), Message.created_at, Message.id,
        pivot_id=pivot_id, what="message", counts=(c.messages_index_count, c.messages_page_count),
        render=lambda rows: Presenter(svc, session, me).messages(rows, v.thread),
        route=f"{svc.config.messenger.api_prefix}/threads/{v.thread.id}/{kind}", query=since_query(since))
    if since is not None:
        envelope["meta"]["deleted"] = await store.deleted_since(session, v.thread.id, since, DELETED_LISTED)
    return envelope


async def _list(request: web.Request, kind: str, pivot_key: str) -> web.Response:
    svc, me, session = services(request), current_provider(request), request[SESSION]
    v = await open_thread(session, request.match_info["thread"], me)
    return json_response(await page_of(svc, session, me, v, kind, request.match_info.get(pivot_key),
                                       since_of(request)))


async def index(request: web.Request) -> web.Response:
    return await _list(request, "messages", "message")


async def logs(request: web.Request) -> web.Response:
    return await _list(request, "logs", "log")


async def images(request: web.Request) -> web.Response:
    return await _list(request, "images", "image")


async def documents(request: web.Request) -> web.Response:
    return await _list(request, "documents", "document")


async def _store(request: web.Request, kinds: tuple[str, ...]) -> web.Response:
    svc, me, session = services(request), current_provider(request), request[SESSION]
    v = await open_thread(session, request.match_info["thread"], me)
    await svc.message_limiter.enforce(f"{me.id}|{v.thread.id}")
    incoming = await read_incoming(request, svc, v.thread.id, kinds)
    try:
        payload = await MessageActions(svc).send(session, v, me, incoming.content)
    except BaseException:
        await discard_stored(svc, v.thread.id, incoming.content.type, incoming.stored_file)
        raise
    return json_response(payload, status=201)


async def store_message(request: web.Request) -> web.Response:
    return await _store(request, ("message",))


async def store_image(request: web.Request) -> web.Response:
    return await _store(request, ("image",))


async def store_document(request: web.Request) -> web.Response:
    return await _store(request, ("document",))


async def _one(
    request: web.Request, kind: str = "messages",
) -> tuple[Services, Provider, AsyncSession, ThreadView, Message, Provider]:
    svc, me, session = services(request), current_provider(request), request[SESSION]
    v = await open_thread(session, request.match_info["thread"], me)
    found = await store.message_in_thread(session, v.thread.id, request.match_info["message"], kind)
    if found is None:
        raise not_found("message")
    return svc, me, session, v, found[0], found[1]


async def show(request: web.Request) -> web.Response:
    svc, me, session, v, message, owner = await _one(request)
    return json_response(Presenter(svc, session, me).shapes.message(message, owner, v.thread))


async def destroy(request: web.Request) -> web.Response:
    svc, me, session, v, message, _ = await _one(request)
    await MessageActions(svc).archive(session, v, message)
    return json_response({"message": "success"})


async def update(request: web.Request) -> web.Response:
    svc, me, session, v, message, owner = await _one(request)
    validator = Validator(await read_fields(request))
    validator.string("message", svc.config.limits.message_max_length)
    body = validator.check()["message"]
    await MessageActions(svc).edit(session, v, message, owner, body)
    return json_response(Presenter(svc, session, me).shapes.message(message, owner, v.thread))


async def history(request: web.Request) -> web.Response:
    svc, me, session, v, message, owner = await _one(request)
    edits = await store.edits_of(session, message.id)
    return json_response([{"body": e.body, "edited_at": iso(e.edited_at)} for e in edits])


async def gallery(request: web.Request) -> web.StreamResponse:
    svc, *_, message, _ = await _one(request, "images")
    size, image = request.match_info["size"], request.match_info["image"]
    path = None
    if image == message.body:
        path = svc.files.image_path(svc.files.thread_dir(message.thread_id, "images"), size, image)
    return web.FileResponse(path or svc.files.asset("image404.png"), headers=CACHE_HEADERS)


async def download(request: web.Request) -> web.StreamResponse:
    svc, *_, message, _ = await _one(request, "documents")
    if not svc.config.messenger.files.message_document_download:
        raise ApiError(403, "Document downloads are currently disabled.")
    path = svc.files.document_path(message.thread_id, message.body) if request.match_info["file"] == message.body else None
    if path is None:
        raise not_found("file")
    return web.FileResponse(path, headers={
        "Content-Disposition": f'attachment; filename="{download_name(message.body)}"',
        "Content-Type": "application/octet-stream",
        "X-Content-Type-Options": "nosniff",
    })
