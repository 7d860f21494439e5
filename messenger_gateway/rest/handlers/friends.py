"""Friends, sent and pending friend requests (spec section 1.6)."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from messenger_gateway.core.errors import not_found, validation_error
from messenger_gateway.core.jsonio import json_response
from messenger_gateway.core.services import services
from messenger_gateway.domain.friends import FriendActions, my_friend
from messenger_gateway.rest.auth import SESSION, current_provider
from messenger_gateway.rest.body import read_fields
from messenger_gateway.storage import friends as store
from messenger_gateway.storage.models import Provider


async def _options_for(request: web.Request, provider: Provider) -> dict[str, Any]:
    """The caller's view (`options`) of one other provider."""
    svc, me = services(request), current_provider(request)
    return (await svc.options.for_targets(request[SESSION], me, [provider]))[provider.id]


async def index(request: web.Request) -> web.Response:
    svc, me, session = services(request), current_provider(request), request[SESSION]
    rows = await store.friends_of(session, me.id)
    options = await svc.options.for_targets(session, me, [p for _, p in rows])
    return json_response([svc.resources.friend(f, p, options[p.id]) for f, p in rows])


async def show(request: web.Request) -> web.Response:
    svc, me, session = services(request), current_provider(request), request[SESSION]
    found = await my_friend(session, me, request.match_info["friend"], "Not authorized to view that friend.")
    return json_response(svc.resources.friend(found[0], found[1], await _options_for(request, found[1])))


async def destroy(request: web.Request) -> web.Response:
    svc, me = services(request), current_provider(request)
    party = await FriendActions(svc).remove(request[SESSION], me, request.match_info["friend"])
    return json_response(svc.resources.provider(party))


async def _requests(request: web.Request, sent: bool) -> web.Response:
    svc, me, session = services(request), current_provider(request), request[SESSION]
    rows = await store.requests(session, me.id, sent)
    options = await svc.options.for_targets(session, me, [p for _, p in rows])
    return json_response([svc.resources.friend_request(r, p, options[p.id], sent) for r, p in rows])


async def _request(request: web.Request, sent: bool, key: str) -> web.Response:
    svc, me, session = services(request), current_provider(request), request[SESSION]
    found = await store.request_of(session, me.id, request.match_info[key], sent)
    if found is None:
        raise not_found("friend request")
    return json_response(svc.resources.friend_request(found[0], found[1], await _options_for(request, found[1]), sent))


async def sent_index(request: web.Request) -> web.Response:
    return await _requests(request, sent=True)


async def sent_show(request: web.Request) -> web.Response:
    return await _request(request, sent=True, key="sent")


async def sent_store(request: web.Request) -> web.Response:
    svc, me, session = services(request), current_provider(request), request[SESSION]
    fields = await read_fields(request)
    errors = {}
    for field in ("recipient_id", "recipient_alias"):
        if not isinstance(fields.get(field), str) or not fields[field]:
            errors[field] = [f"The {field.replace('_', ' ')} field is required."]
    if errors:
        raise validation_error(errors)
    row, recipient = await FriendActions(svc).send(session, me, fields["recipient_id"], fields["recipient_alias"])
    options = await _options_for(request, recipient)
    return json_response(svc.resources.friend_request(row, recipient, options, sent=True), status=201)


async def sent_destroy(request: web.Request) -> web.Response:
    svc, me = services(request), current_provider(request)
    recipient = await FriendActions(svc).cancel(request[SESSION], me, request.match_info["sent"])
    return json_response(svc.resources.provider(recipient))


async def pending_index(request: web.Request) -> web.Response:
    return await _requests(request, sent=False)


async def pending_show(request: web.Request) -> web.Response:
    return await _request(request, sent=False, key="pending")


async def pending_update(request: web.Request) -> web.Response:
    svc, me, session = services(request), current_provider(request), request[SESSION]
    await read_fields(request)  # body `{}`; malformed JSON is still refused
    friend, sender = await FriendActions(svc).accept(session, me, request.match_info["pending"])
    return json_response(svc.resources.friend(friend, sender, await _options_for(request, sender)), status=201)


async def pending_destroy(request: web.Request) -> web.Response:
    svc, me = services(request), current_provider(request)
    sender = await FriendActions(svc).deny(request[SESSION], me, request.match_info["pending"])
    return json_response(svc.resources.provider(sender))
