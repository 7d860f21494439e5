"""A small messenger world built over the public API, so that generated requests reach real objects.

Synchronous (requests): schemathesis calls the API synchronously, from a test that owns no event loop."""
from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field
from typing import Any

import requests
from PIL import Image

API = "/api/messenger"
_serial = itertools.count()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@dataclass
class World:
    """The ids a generated request may point at; `path_values` maps path parameter names to them."""
    base: str
    token: str
    me: str
    friend: str
    ids: dict[str, str] = field(default_factory=dict)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    def path_values(self, template: str) -> dict[str, str]:
        """Real values for the path parameters of `template` (a route in the document)."""
        i = self.ids
        by_name = {
            "thread": i["group"], "private": i["private"], "group": i["group"], "participant": i["participant"],
            "message": i["message"], "log": i["log"], "image": i["image_message"], "document": i["document_message"],
            "call": i["call"], "invite": i["invite"], "code": i["code"], "friend": i["friend_row"],
            "sent": i["sent"], "pending": i["pending"], "alias": "user", "id": self.friend, "size": "sm",
            "relations": "participants|messages|calls", "query": "Friend", "file": i["document_file"],
            "app_id": "app", "channel": f"private-messenger.thread.{i['group']}",
            "path": f"threads/{i['group']}", "name": "app.js",
        }
        if "/images/{alias}/{id}/" in template:
            by_name.update(id=self.me, image="default.png")
        if "/gallery/" in template:
            by_name.update(message=i["image_message"], image=i["image_file"])
        if "/files/" in template:
            by_name.update(message=i["document_message"])
        if "/avatar/{size}/" in template:
            by_name.update(image=i["group_image"])
        if "/calls/{call}/participants/" in template:
            by_name.update(participant=i["call_participant"])
        return {name: by_name[name] for name in _names(template)}


def _names(template: str) -> list[str]:
    return [part[1:-1] for part in template.split("/") if part.startswith("{") and part.endswith("}")]


class _Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()

    def call(self, method: str, path: str, token: str | None = None, expect: int = 200, **kw: Any) -> Any:
        headers = {"Accept": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
        reply = self.http.request(method, self.base + path, headers=headers, timeout=30, **kw)
        assert reply.status_code == expect, f"{method} {path}: {reply.status_code} {reply.text[:300]}"
        return reply.json() if reply.content else None

    def register(self, name: str) -> tuple[str, str]:
        n = next(_serial)
        body = self.call("POST", "/api/auth/register", expect=201,
                         json={"name": f"{name} {n}", "email": f"{name.lower()}{n}@example.com", "password": "password123"})
        return body["token"], body["provider"]["provider_id"]


def build_world(base: str) -> World:
    """Me (admin of a group with my friend, in a private thread with them, with a call, an invite, messages of every
    kind), a friend, a sent request, a pending one."""
    c = _Client(base)
    me_token, me = c.register("Owner")
    friend_token, friend = c.register("Friend")
    _, stranger = c.register("Stranger")
    asker_token, _ = c.register("Asker")
    ids: dict[str, str] = {}

    request_id = c.call("POST", f"{API}/friends/sent", me_token, 201,
                        json={"recipient_alias": "user", "recipient_id": friend})["id"]
    c.call("PUT", f"{API}/friends/pending/{request_id}", friend_token, 201, json={})
    ids["friend_row"] = c.call("GET", f"{API}/friends", me_token)[0]["id"]
    ids["sent"] = c.call("POST", f"{API}/friends/sent", me_token, 201,
                         json={"recipient_alias": "user", "recipient_id": stranger})["id"]
    c.call("POST", f"{API}/friends/sent", asker_token, 201, json={"recipient_alias": "user", "recipient_id": me})
    ids["pending"] = c.call("GET", f"{API}/friends/pending", me_token)[0]["id"]

    group = c.call("POST", f"{API}/groups", me_token, 201,
                   json={"subject": "Contract group", "providers": [{"alias": "user", "id": friend}]})
    ids["group"] = g = group["id"]
    ids["group_image"] = group["avatar"]["sm"].rsplit("/", 1)[1]
    c.call("PUT", f"{API}/threads/{g}/settings", me_token, json={
        "subject": "Contract group", "add_participants": True, "invitations": True, "calling": True,
        "messaging": True, "knocks": True})
    ids["private"] = c.call("POST", f"{API}/privates", me_token, 201,
                            json={"recipient_alias": "user", "recipient_id": friend, "message": "hello"})["id"]
    ids["message"] = c.call("POST", f"{API}/threads/{g}/messages", me_token, 201, json={"message": "first"})["id"]
    image = c.call("POST", f"{API}/threads/{g}/images", me_token, 201, files={"image": ("a.png", png_bytes(), "image/png")})
    ids["image_message"], ids["image_file"] = image["id"], image["body"]
    document = c.call("POST", f"{API}/threads/{g}/documents", me_token, 201,
                      files={"document": ("notes.txt", b"some notes", "text/plain")})
    ids["document_message"], ids["document_file"] = document["id"], document["body"]
    ids["log"] = c.call("GET", f"{API}/threads/{g}/logs", me_token)["data"][0]["id"]
    ids["participant"] = next(p["id"] for p in c.call("GET", f"{API}/threads/{g}/participants", me_token)["data"]
                              if p["owner_id"] == friend)
    invite = c.call("POST", f"{API}/threads/{g}/invites", me_token, 201, json={"expires": 0, "uses": 0})
    ids["invite"], ids["code"] = invite["id"], invite["code"]
    ids["call"] = call = c.call("POST", f"{API}/threads/{g}/calls", me_token, 201, json={})["id"]
    c.call("POST", f"{API}/threads/{g}/calls/{call}/join", friend_token, 201, json={})
    ids["call_participant"] = next(p["id"] for p in c.call("GET", f"{API}/threads/{g}/calls/{call}/participants", me_token)
                                   if p["owner_id"] == friend)
    return World(base, me_token, me, friend, ids)
