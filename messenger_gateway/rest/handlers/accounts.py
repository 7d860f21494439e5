"""POST /api/auth/register, /login, /logout."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from messenger_gateway.core.jsonio import json_response
from messenger_gateway.core.services import services
from messenger_gateway.domain.accounts import log_out
from messenger_gateway.rest.auth import SESSION, current_token, public
from messenger_gateway.rest.body import read_fields
from messenger_gateway.storage.models import Provider


def _issued(request: web.Request, token: str, provider: Provider) -> dict[str, Any]:
    return {"token": token, "provider": services(request).resources.provider(provider)}


@public
async def register(request: web.Request) -> web.Response:
    svc = services(request)
    await svc.register_limiter.enforce(str(request.remote))  # before the password hash, the expensive part
    fields = await read_fields(request)
    async with svc.db.session() as session:
        issued = await svc.accounts.register(session, fields.get("name"), fields.get("email"), fields.get("password"))
    return json_response(_issued(request, issued.token, issued.provider), status=201)


@public
async def login(request: web.Request) -> web.Response:
    svc = services(request)
    fields = await read_fields(request)
    email = fields.get("email")
    await svc.login_address_limiter.enforce(str(request.remote))
    await svc.login_limiter.enforce(f"{request.remote}|{email.strip().lower() if isinstance(email, str) else ''}")
    async with svc.db.session() as session:
        issued = await svc.accounts.login(session, fields.get("email"), fields.get("password"))
    return json_response(_issued(request, issued.token, issued.provider))


async def logout(request: web.Request) -> web.Response:
    await log_out(services(request), request[SESSION], current_token(request))
    return json_response({"message": "success"})
