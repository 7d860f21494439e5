"""JSON shapes of threads, messages, participants and invites (spec sections 2.5, 2.6, 2.7, 2.10, 2.11)."""
from __future__ import annotations

from typing import Any

from messenger_gateway.core.config import MessengerConfig
from messenger_gateway.core.jsonio import iso
from messenger_gateway.domain import thread_rules as rules
from messenger_gateway.domain.system_messages import DOCUMENT, IMAGE, TYPE_VERBOSE, is_system, render
from messenger_gateway.domain.resources import SIZES, THREAD_TYPES, Resources
from messenger_gateway.storage.models import Invite, Message, Participant, Provider, Thread
from messenger_gateway.storage.threads import ThreadView

PERMISSIONS = ("send_knocks", "send_messages", "add_participants", "manage_invites", "start_calls")
GROUP_SETTINGS = ("add_participants", "invitations", "calling", "messaging", "knocks")


class ThreadResources:
    def __init__(self, res: Resources, config: MessengerConfig) -> None:
        self.res = res
        self.config = config

    # -- threads -----------------------------------------------------------------------------------
    def thread(self, v: ThreadView, options: dict[str, dict[str, Any]], **loaded: Any) -> dict[str, Any]:
        """`options` holds the recipient's provider options by id; `loaded` the loader's collections."""
        t = v.thread
        data: dict[str, Any] = {
            "id": t.id,
            "type": t.type,
            "type_verbose": THREAD_TYPES.get(t.type, "PRIVATE"),
            "has_call": v.active_call is not None,
            "locked": rules.locked(v),
            "pending": rules.pending(v),
            "name": self.res.thread_name(t, v.recipient),
            **self.res.thread_avatars(t, v.recipient),
            "group": v.group,
            "unread": rules.unread(v),
            "unread_count": v.unread_count,
            "created_at": iso(t.created_at),
            "updated_at": iso(t.updated_at),
            "options": rules.options(v, self.config),
        }
        resources: dict[str, Any] = {}
        if not v.group:
            resources["recipient"] = (
                self.res.provider(v.recipient, options=options.get(v.recipient.id)) if v.recipient else self.ghost()
            )
        if v.active_call is not None:
            resources["active_call"] = loaded.pop("active_call")
        resources.update(loaded)
        resources["latest_message"] = self.message(v.latest[0], v.latest[1], t) if v.latest else None
        data["resources"] = resources
        return data

    def new_thread_stub(self, t: Thread, pending: bool) -> dict[str, Any]:
        """The thread of `new.thread`."""
        data: dict[str, Any] = {"id": t.id, "pending": pending, "group": t.type == 2, "type": t.type,
                                "type_verbose": THREAD_TYPES.get(t.type, "PRIVATE"), "created_at": iso(t.created_at)}
        return self._group_extras(t, data)

    def knock_stub(self, t: Thread) -> dict[str, Any]:
        """The thread of `knock.knock`."""
        data: dict[str, Any] = {"id": t.id, "type": t.type, "type_verbose": THREAD_TYPES.get(t.type, "PRIVATE"),
                                "group": t.type == 2}
        return self._group_extras(t, data)

    def _group_extras(self, t: Thread, data: dict[str, Any]) -> dict[str, Any]:
        if t.type == 2:
            data["name"] = t.subject or ""
            data.update(self.res.thread_avatars(t, None))
        return data

    def settings(self, t: Thread) -> dict[str, Any]:
        return {
            "name": t.subject or "",
            **self.res.thread_avatars(t, None),
            **{key: bool(getattr(t, key)) for key in GROUP_SETTINGS},
        }

    @staticmethod
    def ghost() -> dict[str, Any]:
        return {
            "name": "Profile Not Found", "route": None, "provider_id": None, "provider_alias": "ghost",
            "api_avatar": {s: f"/api/messenger/images/ghost/ghost/{s}/default.png" for s in SIZES},
            "avatar": {s: f"/images/ghost/ghost/{s}/default.png" for s in SIZES},
        }

    # -- messages ----------------------------------------------------------------------------------
    def message(self, m: Message, owner: Provider, t: Thread, temporary_id: str | None = None) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "thread_id": t.id, "thread_type": t.type, "thread_type_verbose": THREAD_TYPES.get(t.type, "PRIVATE"),
        }
        if t.type == 2:
            avatars = self.res.thread_avatars(t, None)
            meta.update({"thread_name": t.subject or "", "api_thread_avatar": avatars["api_avatar"],
                         "thread_avatar": avatars["avatar"]})
        data: dict[str, Any] = {
            "id": m.id, "thread_id": m.thread_id, "owner_id": m.owner_id, "owner_type": m.owner_type,
            "owner": self.res.provider(owner),
            "type": m.type, "type_verbose": TYPE_VERBOSE.get(m.type, "MESSAGE"),
            "system_message": is_system(m.type),
            "body": render(m.type, m.body),
            "created_at": iso(m.created_at), "updated_at": iso(m.updated_at),
            "meta": meta,
        }
        if temporary_id is not None:
            data["temporary_id"] = temporary_id
        api, web = self.res.api_prefix, self.res.web_prefix
        if m.type == IMAGE:
            data["api_image"] = {s: f"{api}/threads/{t.id}/gallery/{m.id}/{s}/{m.body}" for s in SIZES}
            data["image"] = {s: f"{web}/threads/{t.id}/gallery/{m.id}/{s}/{m.body}" for s in SIZES}
        elif m.type == DOCUMENT:
            data["api_document"] = f"{api}/threads/{t.id}/files/{m.id}/{m.body}"
            data["document"] = f"{web}/threads/{t.id}/files/{m.id}/{m.body}"
        data["edited"] = bool(m.edited)
        if m.edited:
            data["edited_history_route"] = f"{api}/threads/{t.id}/messages/{m.id}/history"
        return data

    # -- participants ------------------------------------------------------------------------------
    def participant(
        self, p: Participant, owner: Provider, options: dict[str, Any] | None, last_read_message: str | None,
    ) -> dict[str, Any]:
        return {
            "id": p.id,
            "admin": bool(p.admin),
            "pending": bool(p.pending),
            **{key: bool(getattr(p, key)) for key in PERMISSIONS},
            "owner_id": p.owner_id,
            "owner_type": p.owner_type,
            "owner": self.res.provider(owner, options=options),
            "created_at": iso(p.created_at),
            "updated_at": iso(p.updated_at),
            "last_read": {"time": iso(p.last_read), "message_id": last_read_message if p.last_read else None},
        }

    @staticmethod
    def participant_row(p: Participant) -> dict[str, Any]:
        """The raw model `POST participants` answers with."""
        return {"owner_id": p.owner_id, "owner_type": p.owner_type, "thread_id": p.thread_id, "id": p.id,
                "updated_at": iso(p.updated_at), "created_at": iso(p.created_at)}

    # -- invites -----------------------------------------------------------------------------------
    def invite(self, i: Invite, owner: Provider | None, base_url: str, preview: dict[str, Any] | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if preview is None and owner is not None:
            data["owner"] = self.res.provider(owner)
        data["route"] = f"{base_url}{self.res.web_prefix}/join/{i.code}"
        data.update({
            "id": i.id, "thread_id": i.thread_id, "owner_type": i.owner_type, "owner_id": i.owner_id,
            "code": i.code, "max_use": i.max_use, "uses": i.uses, "expires_at": iso(i.expires_at),
            "created_at": iso(i.created_at), "updated_at": iso(i.updated_at), "deleted_at": iso(i.deleted_at),
        })
        if preview is not None:
            data["options"] = preview
        return data


def index_envelope(
    data: list[Any], *, page_id: str | None, per_page: int, total: int, final: bool, route: str, query: str = "",
) -> dict[str, Any]:
    """The index/page envelope of spec 2.12; `route` is the list's path, pages live under `{route}/page/{id}`."""
    next_id = data[-1]["id"] if data and not final else None
    return {
        "data": data,
        "meta": {
            "index": page_id is None,
            "page_id": page_id,
            "next_page_id": next_id,
            "next_page_route": f"{route}/page/{next_id}{query}" if next_id else None,
            "final_page": final,
            "per_page": per_page,
            "results": len(data),
            "total": total,
        },
    }
