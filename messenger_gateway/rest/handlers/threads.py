"""Threads, private and group (spec section 1.2): lists, one thread, the loader, and per-thread actions."""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.core.errors import ApiError, forbidden, not_found, validation_error
from messenger_gateway.core.jsonio import iso, json_response
from messenger_gateway.core.services import Services, services
from messenger_gateway.domain import thread_rules as rules
from messenger_gateway.domain.threads import DEFAULT_AVATARS, ThreadActions, open_thread
from messenger_gateway.rest.auth import SESSION, current_provider
from messenger_gateway.rest.body import read_fields
from messenger_gateway.rest.handlers import calls as call_routes
from messenger_gateway.rest.handlers import messages as message_routes
from messenger_gateway.rest.handlers import participants as participant_routes
from messenger_gateway.rest.message_content import discard_stored, read_incoming
from messenger_gateway.rest.presenters import Presenter
from messenger_gateway.rest.provider_refs import provider_refs, with_skipped
from messenger_gateway.rest.listing import list_envelope
from messenger_gateway.domain.thread_resources import GROUP_SETTINGS
from messenger_gateway.rest.uploads import check_upload_image, read_upload
from messenger_gateway.rest.validation import Validator
from messenger_gateway.storage import friends as friend_store
from messenger_gateway.storage import threads as store
from messenger_gateway.storage.accounts import provider_by_id
from messenger_gateway.storage.models import Participant, Provider, Thread, new_id
from messenger_gateway.storage.threads import GROUP, PRIVATE, ThreadView

from messenger_gateway.rest.catch_up import since_of, since_query

CACHE_HEADERS = {"Cache-Control": "private, max-age=86400"}


def _ctx(request: web.Request) -> tuple[Services, Provider, AsyncSession]:
    return services(request), current_provider(request), request[SESSION]


# -- lists -----------------------------------------------------------------------------------------
async def _list(request: web.Request, kind: int | None, route: str, pivot_key: str) -> web.Response:
    svc, me, session = _ctx(request)

    async def render(rows: list[Any]) -> list[dict[str, Any]]:
        views = await store.load_views(session, me.id, [(t, p) for t, p in rows])
        return await Presenter(svc, session, me).threads(views)

    c = svc.config.messenger.collections
    since = since_of(request)
    stmt = store.my_threads(me.id, kind)
    return json_response(await list_envelope(
        session, stmt if since is None else stmt.where(Thread.updated_at > since), Thread.updated_at, Thread.id,
        pivot_id=request.match_info.get(pivot_key), what="thread",
        counts=(c.threads_index_count, c.threads_page_count), render=render,
        route=f"{svc.config.messenger.api_prefix}/{route}", query=since_query(since)))


async def index(request: web.Request) -> web.Response:
    return await _list(request, None, "threads", "thread")


async def privates(request: web.Request) -> web.Response:
    return await _list(request, PRIVATE, "privates", "private")


async def groups(request: web.Request) -> web.Response:
    return await _list(request, GROUP, "groups", "group")


# -- one thread --------------------------------------------------------------------------------------
async def _view(request: web.Request, full: bool = False) -> tuple[Services, Provider, AsyncSession, ThreadView]:
    svc, me, session = _ctx(request)
    return svc, me, session, await open_thread(session, request.match_info["thread"], me, full)


async def _render(svc: Services, session: AsyncSession, me: Provider, thread: Thread, participant: Participant,
                  status: int = 200, **loaded: Any) -> web.Response:
    view = await store.view_of(session, thread, participant)
    return json_response(await Presenter(svc, session, me).thread(view, **loaded), status=status)


async def show(request: web.Request) -> web.Response:
    svc, me, session, v = await _view(request, full=True)
    return json_response(await Presenter(svc, session, me).thread(v))


async def loader(request: web.Request) -> web.Response:
    """The thread plus any of `participants`, `messages`, `calls` and `mark-read` (pipe-separated)."""
    svc, me, session, v = await _view(request, full=True)
    wanted = [r for r in request.match_info.get("relations", "").split("|") if r]
    unknown = [r for r in wanted if r not in ("participants", "messages", "calls", "mark-read")]
    if unknown:
        raise not_found("relation")
    loaded: dict[str, Any] = {}
    if "participants" in wanted:
        loaded["participants"] = await participant_routes.page_of(svc, session, me, v, None)
    if "messages" in wanted:
        loaded["messages"] = await message_routes.page_of(svc, session, me, v, "messages", None)
    if "calls" in wanted:
        loaded["calls"] = await call_routes.page_of(svc, session, me, v, None)
    if "mark-read" in wanted:
        await ThreadActions(svc).mark_read(session, v, me)
    return json_response(await Presenter(svc, session, me).thread(v, **loaded))


async def check_archive(request: web.Request) -> web.Response:
    svc, me, session, v = await _view(request, full=True)  # full: an active call forbids archiving
    ThreadActions.check_archive(v)
    t = v.thread
    messages, participants, calls = await store.thread_counts(session, t.id)
    return json_response({
        "name": svc.resources.thread_name(t, v.recipient), "group": v.group, "created_at": iso(t.created_at),
        "messages_count": messages, "participants_count": participants, "calls_count": calls,
    })


def _success(act: Callable[[ThreadActions, AsyncSession, ThreadView, Provider], Awaitable[None]],
             full: bool = False) -> Handler:
    """A route that runs one thread action and answers `{"message": "success"}`."""
    async def handler(request: web.Request) -> web.Response:
        svc, me, session, v = await _view(request, full)
        await act(ThreadActions(svc), session, v, me)
        return json_response({"message": "success"})
    return handler


destroy = _success(lambda actions, session, v, me: actions.archive(session, v, me), full=True)
mark_read = _success(lambda actions, session, v, me: actions.mark_read(session, v, me))
knock = _success(lambda actions, session, v, me: actions.knock(session, v, me))
mute = _success(lambda actions, session, v, me: actions.set_muted(session, v, True))
unmute = _success(lambda actions, session, v, me: actions.set_muted(session, v, False))
leave = _success(lambda actions, session, v, me: actions.leave(session, v, me))


async def is_unread(request: web.Request) -> web.Response:
    _, _, _, v = await _view(request)
    return json_response({"unread": rules.unread(v)})


async def approval(request: web.Request) -> web.Response:
    svc, me, session, v = await _view(request)
    validator = Validator(await read_fields(request))
    validator.boolean("approve")
    approve = validator.check()["approve"]
    await ThreadActions(svc).approve(session, v, me, approve)
    return json_response({"message": "success"})


# -- group settings and avatar -----------------------------------------------------------------------
def _group_only(v: ThreadView) -> None:
    if not v.group:
        raise forbidden("Not authorized to view that group's settings.")


async def settings(request: web.Request) -> web.Response:
    svc, me, session, v = await _view(request)
    _group_only(v)
    if not rules.is_admin(v):  # the package's policy: only admins see (and change) a group's settings
        raise forbidden("Not authorized to view that group's settings.")
    return json_response(Presenter(svc, session, me).shapes.settings(v.thread))


async def update_settings(request: web.Request) -> web.Response:
    svc, me, session, v = await _view(request)
    _group_only(v)
    validator = Validator(await read_fields(request))
    validator.string("subject", 255, min_length=3)
    for key in GROUP_SETTINGS:
        validator.boolean(key)
    await ThreadActions(svc).update_settings(session, v, me, validator.check())
    return json_response(Presenter(svc, session, me).shapes.settings(v.thread))


async def update_avatar(request: web.Request) -> web.Response:
    svc, me, session, v = await _view(request)
    _group_only(v)
    if not rules.is_admin(v) or rules.locked(v):
        raise forbidden("Not authorized to update the group avatar.")
    limits = svc.config.limits
    if request.content_type == "multipart/form-data":
        if not svc.config.messenger.files.thread_avatar_upload:
            raise ApiError(403, "Group avatar uploads are currently disabled.")
        upload = await read_upload(request, "image", limits.avatar_max_kb)
        data, checked = await check_upload_image(upload, "image", limits.image_max_pixels)
        folder = svc.files.thread_dir(v.thread.id, "avatar")
        image = await svc.files.save_image(folder, data, checked.extension)
    else:
        fields = await read_fields(request)
        chosen = fields.get("default")
        if chosen is None:  # absent or null: Laravel's required_without fails on both fields
            raise validation_error({"image": ["The image field is required when default is not present."],
                                    "default": ["The default field is required when image is not present."]})
        if chosen not in DEFAULT_AVATARS:
            raise validation_error({"default": ["The selected default is invalid."]})
        image = str(chosen)
    previous = await ThreadActions(svc).set_avatar(session, v, me, image)
    if previous:
        await svc.files.delete_image(svc.files.thread_dir(v.thread.id, "avatar"), previous)
    return json_response(Presenter(svc, session, me).shapes.settings(v.thread))


async def render_avatar(request: web.Request) -> web.StreamResponse:
    svc, me, session, v = await _view(request)
    image, size = request.match_info["image"], request.match_info["size"]
    path = None
    if v.group and image == v.thread.image:
        if image in DEFAULT_AVATARS:
            path = svc.files.asset(image)
        else:
            path = svc.files.image_path(svc.files.thread_dir(v.thread.id, "avatar"), size, image)
    return web.FileResponse(path or svc.files.asset("image404.png"), headers=CACHE_HEADERS)


async def add_participants_candidates(request: web.Request) -> web.Response:
    """My friends who are not in the group yet (plain array of friend resources)."""
    svc, me, session, v = await _view(request)
    if not rules.can_add_participants(v):
        raise forbidden("Not authorized to add participants.")
    members = {p.owner_id for p, _ in await store.thread_members(session, v.thread.id)}
    rows = [(f, p) for f, p in await friend_store.friends_of(session, me.id) if p.id not in members]
    options = await svc.options.for_targets(session, me, [p for _, p in rows])
    return json_response([svc.resources.friend(f, p, options[p.id]) for f, p in rows])


# -- creating threads ----------------------------------------------------------------------------------
async def store_private(request: web.Request) -> web.Response:
    svc, me, session = _ctx(request)
    thread_id = new_id()
    incoming = await read_incoming(request, svc, thread_id, ("message", "image", "document"), _recipient_rules)
    try:
        v = Validator(incoming.fields)
        _recipient_rules(v)
        clean = v.check()
        actions = ThreadActions(svc)
        recipient = await actions.find_recipient(session, me, clean["recipient_alias"], clean["recipient_id"])
        thread, mine = await actions.start_private(session, me, recipient, incoming.content, thread_id)
    except BaseException:
        await discard_stored(svc, thread_id, incoming.content.type, incoming.stored_file)
        raise
    return await _render(svc, session, me, thread, mine, status=201)


def _recipient_rules(v: Validator) -> None:
    v.string("recipient_alias", 32)
    v.string("recipient_id", 64)


async def store_group(request: web.Request) -> web.Response:
    svc, me, session = _ctx(request)
    fields = await read_fields(request)
    v = Validator(fields)
    v.string("subject", 255, min_length=3)
    wanted = provider_refs(v)
    clean = v.check()
    thread, mine, skipped = await ThreadActions(svc).create_group(session, me, clean["subject"], wanted)
    response = await _render(svc, session, me, thread, mine, status=201)
    return with_skipped(response, skipped)


async def locate(request: web.Request) -> web.Response:
    """`{recipient, thread_id}`: the provider to start a private chat with, and our thread if one exists."""
    svc, me, session = _ctx(request)
    recipient = await provider_by_id(session, request.match_info["id"])
    if recipient is None or recipient.alias != request.match_info["alias"]:
        raise ApiError(404, "Unable to locate the recipient you requested.")
    options = await svc.options.for_targets(session, me, [recipient])
    thread_id = await store.private_between(session, me.id, recipient.id) if recipient.id != me.id else None
    return json_response({"recipient": svc.resources.provider(recipient, options=options[recipient.id]),
                          "thread_id": thread_id})
