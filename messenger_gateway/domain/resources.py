"""JSON resources: the exact shapes and key order of the seed document (spec section 2)."""
from __future__ import annotations

from typing import Any

from messenger_gateway.core.jsonio import iso
from messenger_gateway.presence.status import verbose
from messenger_gateway.storage.models import Call, CallParticipant, Friend, MessengerSettings, PendingFriend, Provider, Thread

SIZES = ("sm", "md", "lg")
SETTINGS_FLAGS = ("message_popups", "message_sound", "call_ringtone_sound", "notify_sound", "dark_mode")
THREAD_TYPES = {1: "PRIVATE", 2: "GROUP"}
CALL_TYPES = {1: "VIDEO"}


class Resources:
    """Serializers that need configuration (URL prefixes, owner types)."""

    def __init__(self, api_prefix: str, web_prefix: str) -> None:
        self.api_prefix = api_prefix.rstrip("/")
        self.web_prefix = web_prefix.rstrip("/")

    # -- providers ---------------------------------------------------------------------------------
    def provider(
        self,
        p: Provider,
        *,
        options: dict[str, Any] | None = None,
        with_base: bool = True,
        with_email: bool = False,
    ) -> dict[str, Any]:
        data: dict[str, Any] = {"name": p.name, "route": None, "provider_id": p.id, "provider_alias": p.alias}
        if with_base:
            data["base"] = self.provider_base(p, with_email)
        if options is not None:
            data["options"] = options
        data.update(self.provider_avatars(p))
        return data

    def provider_avatars(self, p: Provider) -> dict[str, dict[str, str]]:
        file = p.avatar or "default.png"
        return {
            "api_avatar": {s: f"{self.api_prefix}/images/{p.alias}/{p.id}/{s}/{file}" for s in SIZES},
            "avatar": {s: f"/images/{p.alias}/{p.id}/{s}/{file}" for s in SIZES},
        }

    def presence_member(self, p: Provider) -> dict[str, Any]:
        return self.provider(p, with_base=False)

    @staticmethod
    def provider_base(p: Provider, with_email: bool) -> dict[str, Any]:
        if with_email:
            return {
                "id": p.id, "name": p.name, "email": p.email, "avatar": p.avatar,
                "email_verified_at": iso(p.email_verified_at),
                "created_at": iso(p.created_at), "updated_at": iso(p.updated_at),
            }
        return {
            "id": p.id, "name": p.name, "avatar": p.avatar,
            "created_at": iso(p.created_at), "updated_at": iso(p.updated_at),
        }

    # -- settings ----------------------------------------------------------------------------------
    def settings(self, s: MessengerSettings, owner: Provider) -> dict[str, Any]:
        return {"owner": self.provider(owner), **self.settings_row(s)}

    @staticmethod
    def settings_row(s: MessengerSettings) -> dict[str, Any]:
        data: dict[str, Any] = {"owner_type": s.owner_type, "owner_id": s.owner_id}
        for flag in SETTINGS_FLAGS:
            data[flag] = bool(getattr(s, flag))
        data["online_status"] = int(s.online_status)
        data["created_at"] = iso(s.created_at)
        data["updated_at"] = iso(s.updated_at)
        return data

    def heartbeat(
        self, provider: Provider, settings: MessengerSettings, status: int,
        active_calls: int, unread_threads: int, pending_friends: int,
    ) -> dict[str, Any]:
        return {
            "provider": self.provider(provider, with_email=True),
            "active_calls_count": active_calls,
            "online_status": status,
            "online_status_verbose": verbose(status),
            "unread_threads_count": unread_threads,
            "pending_friends_count": pending_friends,
            "settings": self.settings_row(settings),
        }

    # -- threads and calls -------------------------------------------------------------------------
    def thread_avatars(self, thread: Thread, recipient: Provider | None) -> dict[str, dict[str, str]]:
        """A group's own avatar, or for a private thread the other participant's avatar."""
        if thread.type == 2:
            image = thread.image or "1.png"
            return {
                "api_avatar": {s: f"{self.api_prefix}/threads/{thread.id}/avatar/{s}/{image}" for s in SIZES},
                "avatar": {s: f"{self.web_prefix}/threads/{thread.id}/avatar/{s}/{image}" for s in SIZES},
            }
        if recipient is None:
            return {
                "api_avatar": {s: f"{self.api_prefix}/images/ghost/ghost/{s}/default.png" for s in SIZES},
                "avatar": {s: f"/images/ghost/ghost/{s}/default.png" for s in SIZES},
            }
        return self.provider_avatars(recipient)

    @staticmethod
    def thread_name(thread: Thread, recipient: Provider | None) -> str:
        if thread.type == 2:
            return thread.subject or ""
        return recipient.name if recipient else "Profile Not Found"

    def call(
        self, call: Call, owner: Provider, thread: Thread, recipient: Provider | None,
        options: dict[str, Any] | None,
    ) -> dict[str, Any]:
        avatars = self.thread_avatars(thread, recipient)
        data: dict[str, Any] = {
            "id": call.id,
            "active": call.call_ended is None,
            "type": call.type,
            "type_verbose": CALL_TYPES.get(call.type, "VIDEO"),
            "thread_id": call.thread_id,
            "created_at": iso(call.created_at),
            "updated_at": iso(call.updated_at),
            "owner_id": call.owner_id,
            "owner_type": call.owner_type,
            "owner": self.provider(owner),
            "meta": {
                "thread_id": thread.id,
                "thread_type": thread.type,
                "thread_type_verbose": THREAD_TYPES.get(thread.type, "PRIVATE"),
                "thread_name": self.thread_name(thread, recipient),
                "api_thread_avatar": avatars["api_avatar"],
                "thread_avatar": avatars["avatar"],
            },
        }
        if options is not None:
            data["options"] = options
        return data

    def call_participant(self, row: CallParticipant, owner: Provider, options: dict[str, Any] | None) -> dict[str, Any]:
        return {
            "id": row.id, "call_id": row.call_id, "owner_id": row.owner_id, "owner_type": row.owner_type,
            "owner": self.provider(owner, options=options),
            "created_at": iso(row.created_at), "updated_at": iso(row.updated_at), "left_call": iso(row.left_call),
        }

    # -- friends -----------------------------------------------------------------------------------
    def friend(self, row: Friend, party: Provider, options: dict[str, Any]) -> dict[str, Any]:
        return {
            "party": self.provider(party, options={**options, "friend_status": 1, "friend_status_verbose": "FRIEND"}),
            "type_verbose": "FRIEND",
            **self.friend_columns(row),
        }

    @staticmethod
    def friend_columns(row: Friend) -> dict[str, Any]:
        return {
            "id": row.id, "owner_type": row.owner_type, "owner_id": row.owner_id,
            "party_type": row.party_type, "party_id": row.party_id,
            "created_at": iso(row.created_at), "updated_at": iso(row.updated_at),
        }

    @staticmethod
    def request_columns(row: PendingFriend) -> dict[str, Any]:
        return {
            "id": row.id, "sender_type": row.sender_type, "sender_id": row.sender_id,
            "recipient_type": row.recipient_type, "recipient_id": row.recipient_id,
            "created_at": iso(row.created_at), "updated_at": iso(row.updated_at),
        }

    def friend_request_event(self, row: PendingFriend, sender: Provider) -> dict[str, Any]:
        """`friend.request` payload: the sender, then the request's columns (spec 5.2 order)."""
        c = self.request_columns(row)
        return {"sender": self.provider(sender), "id": c["id"], "sender_id": c["sender_id"],
                "sender_type": c["sender_type"], "recipient_id": c["recipient_id"],
                "recipient_type": c["recipient_type"], "created_at": c["created_at"], "updated_at": c["updated_at"]}

    def friend_approved_event(self, row: Friend, accepter: Provider) -> dict[str, Any]:
        """`friend.approved` payload: the accepter, then the original sender's new friend row."""
        c = self.friend_columns(row)
        return {"sender": self.provider(accepter), "id": c["id"], "owner_id": c["owner_id"],
                "owner_type": c["owner_type"], "party_id": c["party_id"], "party_type": c["party_type"],
                "created_at": c["created_at"], "updated_at": c["updated_at"]}

    def friend_request(self, row: PendingFriend, other: Provider, options: dict[str, Any], sent: bool) -> dict[str, Any]:
        """A request as its sender sees it (`recipient`, status 2) or as its recipient sees it (`sender`, 3)."""
        status, verbose_name = (2, "SENT_FRIEND_REQUEST") if sent else (3, "PENDING_FRIEND_REQUEST")
        key = "recipient" if sent else "sender"
        forced = {**options, "friend_status": status, "friend_status_verbose": verbose_name}
        return {
            key: self.provider(other, options=forced),
            "type_verbose": verbose_name,
            **self.request_columns(row),
        }
