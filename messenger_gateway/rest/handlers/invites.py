"""Group invites (spec section 1.7): list, create, archive, the public preview and joining by code."""
from __future__ import annotations

from aiohttp import web

from messenger_gateway.core.errors import ApiError, not_found
from messenger_gateway.core.jsonio import json_response
from messenger_gateway.core.services import Services, services
from messenger_gateway.domain.invites import EXPIRES, InviteActions, invite_usable
from messenger_gateway.domain.threads import open_thread
from messenger_gateway.rest.auth import SESSION, current_provider, guest_allowed, optional_provider
from messenger_gateway.rest.body import read_fields
from messenger_gateway.domain.thread_resources import ThreadResources
from messenger_gateway.rest.validation import Validator
from messenger_gateway.storage import invites as store
from messenger_gateway.storage import threads as thread_store


def _shapes(request: web.Request) -> ThreadResources:
    svc = services(request)
    return ThreadResources(svc.resources, svc.config.messenger)


def _base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


async def index(request: web.Request) -> web.Response:
    svc, me, session = services(request), current_provider(request), request[SESSION]
    v = await open_thread(session, request.match_info["thread"], me)
    InviteActions(svc).check_manage(v)
    rows = list(await session.execute(store.valid_invites(v.thread.id, svc.clock.now())))
    shapes, base = _shapes(request), _base_url(request)
    limit = svc.config.messenger.invites.max_per_thread
    return json_response({"data": [shapes.invite(i, owner, base) for i, owner in rows],
                          "meta": {"total": len(rows), "max_allowed": limit or None}})


async def store_invite(request: web.Request) -> web.Response:
    svc, me, session = services(request), current_provider(request), request[SESSION]
    v = await open_thread(session, request.match_info["thread"], me)
    validator = Validator(await read_fields(request))
    validator.integer_in("expires", EXPIRES)
    validator.integer_in("uses", range(0, 101))
    clean = validator.check()
    invite = await InviteActions(svc).create(session, v, me, clean["expires"], clean["uses"])
    return json_response(_shapes(request).invite(invite, me, _base_url(request)), status=201)


async def destroy(request: web.Request) -> web.Response:
    svc, me, session = services(request), current_provider(request), request[SESSION]
    v = await open_thread(session, request.match_info["thread"], me)
    invite = await store.invite_in_thread(session, v.thread.id, request.match_info["invite"])
    if invite is None:
        raise not_found("invite")
    await InviteActions(svc).archive(session, v, invite)
    return json_response({"message": "success"})


def _invites_enabled(svc: Services) -> None:
    """Switched off in the config, existing invite links stop working too."""
    if not svc.config.messenger.invites.enabled:
        raise ApiError(403, "Group invites are currently disabled.")


@guest_allowed
async def preview(request: web.Request) -> web.Response:
    """What a join page shows before joining; guests see it too (`messenger_auth` false)."""
    svc, session = services(request), request[SESSION]
    _invites_enabled(svc)
    me = optional_provider(request)
    found = await store.invite_by_code(session, request.match_info["code"])
    if found is None:
        raise not_found("invite")
    invite, thread = found
    in_thread = False
    if me is not None and thread is not None:
        membership = await thread_store.membership(session, thread.id, me.id)
        in_thread = membership is not None and membership[1] is not None
    valid = invite_usable(invite, thread, svc.clock.now())
    options = {
        "messenger_auth": me is not None,
        "in_thread": in_thread,
        # the group's name only behind a link that still lets people in: a used-up or expired one reveals nothing
        "thread_name": (thread.subject or "") if thread is not None and valid else "Group Not Found",
        "is_valid": valid,
    }
    return json_response(_shapes(request).invite(invite, None, _base_url(request), preview=options))


async def join(request: web.Request) -> web.Response:
    svc, me, session = services(request), current_provider(request), request[SESSION]
    _invites_enabled(svc)
    found = await store.invite_by_code(session, request.match_info["code"])
    if found is None:
        raise not_found("invite")
    participant = await InviteActions(svc).join(session, me, found[0], found[1])
    return json_response(ThreadResources.participant_row(participant), status=201)
