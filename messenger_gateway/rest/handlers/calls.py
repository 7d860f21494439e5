"""Calls of a thread (spec sections 1.5 and 6): history, start, show, join, heartbeat, leave, end, ignore,
and the call's participants (kick and un-kick)."""
from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.core.errors import not_found
from messenger_gateway.core.jsonio import json_response
from messenger_gateway.core.services import Services, services
from messenger_gateway.domain import thread_rules as rules
from messenger_gateway.domain.call_actions import CallActions
from messenger_gateway.domain.calls import options_for
from messenger_gateway.domain.threads import open_thread
from messenger_gateway.rest.auth import SESSION, current_provider
from messenger_gateway.rest.body import read_fields
from messenger_gateway.rest.listing import list_envelope
from messenger_gateway.rest.validation import Validator
from messenger_gateway.storage import calls as store
from messenger_gateway.storage.models import Call, CallParticipant, Provider
from messenger_gateway.storage.threads import ThreadView

SUCCESS = {"message": "success"}


async def _thread(request: web.Request, full: bool = False) -> tuple[Services, Provider, AsyncSession, ThreadView]:
    svc, me, session = services(request), current_provider(request), request[SESSION]
    return svc, me, session, await open_thread(session, request.match_info["thread"], me, full)


async def _call(request: web.Request) -> tuple[Services, Provider, AsyncSession, ThreadView, Call, Provider]:
    svc, me, session, v = await _thread(request)
    found = await store.call_in_thread(session, v.thread.id, request.match_info["call"])
    if found is None:
        raise not_found("call")
    return svc, me, session, v, found[0], found[1]


async def render_call(svc: Services, session: AsyncSession, me: Provider, v: ThreadView, call: Call, owner: Provider,
                      mine: CallParticipant | None = None, with_members: bool = False) -> dict[str, Any]:
    options = None
    if call.call_ended is None:
        if mine is None:
            mine = await store.my_call_row(session, call.id, me.id)
        options = options_for(call, mine, me.id, rules.is_admin(v))
    data = svc.resources.call(call, owner, v.thread, v.recipient, options)
    if with_members and call.call_ended is not None:
        data["participants"] = await _members(svc, session, me, call)
    return data


async def _members(svc: Services, session: AsyncSession, me: Provider, call: Call) -> list[dict[str, Any]]:
    rows = await store.call_participants(session, call.id)
    options = await svc.options.for_targets(session, me, [p for _, p in rows])
    return [svc.resources.call_participant(cp, p, options[p.id]) for cp, p in rows]


async def index(request: web.Request) -> web.Response:
    svc, me, session, v = await _thread(request)
    return json_response(await page_of(svc, session, me, v, request.match_info.get("call")))


async def page_of(
    svc: Services, session: AsyncSession, me: Provider, v: ThreadView, pivot_id: str | None,
) -> dict[str, Any]:
    """One page of the thread's call history, newest first, in the index/page envelope."""
    async def render(rows: list[Any]) -> list[dict[str, Any]]:
        active = [call.id for call, _ in rows if call.call_ended is None]
        mine = {cp.call_id: cp for cp in await store.my_rows(session, active, me.id)}
        return [svc.resources.call(call, owner, v.thread, v.recipient,
                                   options_for(call, mine.get(call.id), me.id, rules.is_admin(v))
                                   if call.call_ended is None else None)
                for call, owner in rows]

    c = svc.config.messenger.collections
    return await list_envelope(
        session, store.call_history(v.thread.id), Call.created_at, Call.id, pivot_id=pivot_id, what="call",
        counts=(c.calls_index_count, c.calls_page_count), render=render,
        route=f"{svc.config.messenger.api_prefix}/threads/{v.thread.id}/calls")


async def start(request: web.Request) -> web.Response:
    svc, me, session, v = await _thread(request, full=True)
    await read_fields(request)  # body `{}`; malformed JSON is still refused
    call, mine = await CallActions(svc).start(session, v, me)
    return json_response(await render_call(svc, session, me, v, call, me, mine), status=201)


async def show(request: web.Request) -> web.Response:
    svc, me, session, v, call, owner = await _call(request)
    return json_response(await render_call(svc, session, me, v, call, owner, with_members=True))


async def join(request: web.Request) -> web.Response:
    svc, me, session, v, call, _ = await _call(request)
    row, created = await CallActions(svc).join(session, v, call, me)
    options = await svc.options.for_targets(session, me, [me])
    return json_response(svc.resources.call_participant(row, me, options[me.id]), status=201 if created else 200)


async def heartbeat(request: web.Request) -> web.Response:
    svc, me, session, v, call, _ = await _call(request)
    await CallActions(svc).heartbeat(session, call, me)
    return json_response(SUCCESS)


async def leave(request: web.Request) -> web.Response:
    svc, me, session, v, call, _ = await _call(request)
    await CallActions(svc).leave(session, v.thread, call, me)
    return json_response(SUCCESS)


async def end(request: web.Request) -> web.Response:
    svc, me, session, v, call, _ = await _call(request)
    await CallActions(svc).end(session, v, call, me)
    return json_response(SUCCESS)


async def ignore(request: web.Request) -> web.Response:
    svc, me, session, v, call, _ = await _call(request)
    await CallActions(svc).ignore(session, v, call, me)
    return json_response(SUCCESS)


async def participants(request: web.Request) -> web.Response:
    svc, me, session, v, call, _ = await _call(request)
    return json_response(await _members(svc, session, me, call))


async def _participant(request: web.Request, session: AsyncSession, call: Call) -> tuple[CallParticipant, Provider]:
    found = await store.call_participant_in_call(session, call.id, request.match_info["participant"])
    if found is None:
        raise not_found("call participant")
    return found


async def participant(request: web.Request) -> web.Response:
    svc, me, session, v, call, _ = await _call(request)
    row, owner = await _participant(request, session, call)
    options = await svc.options.for_targets(session, me, [owner])
    return json_response(svc.resources.call_participant(row, owner, options[owner.id]))


async def update_participant(request: web.Request) -> web.Response:
    svc, me, session, v, call, _ = await _call(request)
    row, owner = await _participant(request, session, call)
    validator = Validator(await read_fields(request))
    validator.boolean("kicked")
    kicked = validator.check()["kicked"]
    await CallActions(svc).set_kicked(session, v, call, me, row, owner, kicked)
    options = await svc.options.for_targets(session, me, [owner])
    return json_response(svc.resources.call_participant(row, owner, options[owner.id]))
