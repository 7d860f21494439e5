"""A thin real-HTTP client for the server under test."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson


@dataclass
class Reply:
    status: int
    body: Any
    headers: Any
    raw: bytes = b""

    def __repr__(self) -> str:  # shown by pytest when an assertion fails
        return f"Reply({self.status}, {self.body!r})"


@dataclass
class User:
    token: str
    id: str
    name: str
    email: str
    provider: dict = field(default_factory=dict)


class Api:
    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        self._count = 0

    async def request(
        self, method: str, path: str, token: str | None = None, json: Any = None, data: Any = None,
        headers: dict[str, str] | None = None, raw: bytes | None = None,
    ) -> Reply:
        hdrs = {"Accept": "application/json", **(headers or {})}
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        kwargs: dict[str, Any] = {"headers": hdrs}
        if json is not None:
            kwargs["data"] = orjson.dumps(json)
            hdrs.setdefault("Content-Type", "application/json")
        elif data is not None:
            kwargs["data"] = data
        elif raw is not None:
            kwargs["data"] = raw
        async with self.session.request(method, self.base_url + path, **kwargs) as resp:
            content = await resp.read()
            body: Any = None
            if resp.content_type == "application/json" and content:
                body = orjson.loads(content)
            return Reply(resp.status, body, resp.headers, content)

    async def get(self, path: str, token: str | None = None, **kw: Any) -> Reply:
        return await self.request("GET", path, token, **kw)

    async def post(self, path: str, token: str | None = None, **kw: Any) -> Reply:
        return await self.request("POST", path, token, **kw)

    async def put(self, path: str, token: str | None = None, **kw: Any) -> Reply:
        return await self.request("PUT", path, token, **kw)

    async def delete(self, path: str, token: str | None = None, **kw: Any) -> Reply:
        return await self.request("DELETE", path, token, **kw)

    async def register(self, name: str | None = None, email: str | None = None, password: str = "password123") -> User:
        self._count += 1
        name = name or f"User {self._count}"
        email = email or f"user{self._count}.{id(self)}@example.com"
        reply = await self.post("/api/auth/register", json={"name": name, "email": email, "password": password})
        assert reply.status == 201, reply
        return User(reply.body["token"], reply.body["provider"]["provider_id"], name, email, reply.body["provider"])
