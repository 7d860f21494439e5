"""Participants of a thread (spec section 1.3): list, add, show, permissions, remove, promote, demote."""
from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.core.errors import not_found
from messenger_gateway.core.jsonio import json_response
from messenger_gateway.core.services import Services, services
from messenger_gateway.domain.participants import ParticipantActions
from messenger_gateway.domain.threads import open_thread
from messenger_gateway.rest.auth import SESSION, current_provider
from messenger_gateway.rest.body import read_fields
from messenger_gateway.rest.presenters import Presenter
from messenger_gateway.rest.provider_refs import provider_refs, with_skipped
from messenger_gateway.rest.listing import list_envelope
from messenger_gateway.domain.thread_resources import PERMISSIONS, ThreadResources
from messenger_gateway.rest.validation import Validator
from messenger_gateway.storage import participants as store
from messenger_gateway.storage.models import Participant, Provider
from messenger_gateway.storage.threads import ThreadView


async def page_of(
    svc: Services, session: AsyncSession, me: Provider, v: ThreadView, pivot_id: str | None,
) -> dict[str, Any]:
    """One page of participants, oldest first, in the index/page envelope."""
    c = svc.config.messenger.collections
    return await list_envelope(
        session, store.participant_list(v.thread.id), Participant.created_at, Participant.id, pivot_id=pivot_id,
        what="participant", counts=(c.participants_index_count, c.participants_page_count), newest_first=False,
        render=lambda rows: Presenter(svc, session, me).participants([(p, o, r) for p, o, r in rows]),
        route=f"{svc.config.messenger.api_prefix}/threads/{v.thread.id}/participants")


async def _thread(request: web.Request) -> tuple[Services, Provider, AsyncSession, ThreadView]:
    svc, me, session = services(request), current_provider(request), request[SESSION]
    return svc, me, session, await open_thread(session, request.match_info["thread"], me)


async def _target(session: AsyncSession, v: ThreadView, participant_id: str) -> tuple[Participant, Provider, str | None]:
    found = await store.participant_in_thread(session, v.thread.id, participant_id)
    if found is None:
        raise not_found("participant")
    return found


async def index(request: web.Request) -> web.Response:
    svc, me, session, v = await _thread(request)
    return json_response(await page_of(svc, session, me, v, request.match_info.get("participant")))


async def show(request: web.Request) -> web.Response:
    svc, me, session, v = await _thread(request)
    target = await _target(session, v, request.match_info["participant"])
    return json_response((await Presenter(svc, session, me).participants([target]))[0])


async def store_participants(request: web.Request) -> web.Response:
    svc, me, session, v = await _thread(request)
    validator = Validator(await read_fields(request))
    wanted = provider_refs(validator, required=True)
    validator.check()
    rows, skipped = await ParticipantActions(svc).add(session, v, me, wanted)
    return with_skipped(json_response([ThreadResources.participant_row(r) for r in rows]), skipped)


async def _after(svc: Services, session: AsyncSession, me: Provider, v: ThreadView, participant_id: str) -> web.Response:
    return json_response((await Presenter(svc, session, me).participants([await _target(session, v, participant_id)]))[0])


async def update(request: web.Request) -> web.Response:
    svc, me, session, v = await _thread(request)
    participant, owner, _ = await _target(session, v, request.match_info["participant"])
    validator = Validator(await read_fields(request))
    for key in PERMISSIONS:
        validator.boolean(key)
    await ParticipantActions(svc).update_permissions(session, v, participant, owner, validator.check())
    return await _after(svc, session, me, v, participant.id)


async def destroy(request: web.Request) -> web.Response:
    svc, me, session, v = await _thread(request)
    participant, owner, _ = await _target(session, v, request.match_info["participant"])
    await ParticipantActions(svc).remove(session, v, me, participant, owner)
    return json_response({"message": "success"})


async def _set_admin(request: web.Request, promote: bool) -> web.Response:
    svc, me, session, v = await _thread(request)
    participant, owner, _ = await _target(session, v, request.match_info["participant"])
    await ParticipantActions(svc).set_admin(session, v, me, participant, owner, promote)
    return await _after(svc, session, me, v, participant.id)


async def promote(request: web.Request) -> web.Response:
    return await _set_admin(request, True)


async def demote(request: web.Request) -> web.Response:
    return await _set_admin(request, False)
