"""How system messages (types >= 88) are stored and rendered (spec section 2.7); the types live in storage.

Bodies that name other providers store their names at write time, so rendering a page of logs needs no
extra query (a later rename does not rewrite history, like a chat log).
"""
from __future__ import annotations

from typing import Any

import orjson

from messenger_gateway.storage.message_types import (AVATAR_CHANGED, DEMOTED_ADMIN, DOCUMENT, GROUP_CREATED, GROUP_RENAMED, IMAGE,
                                    JOINED_WITH_INVITE, MESSAGE, PARTICIPANT_LEFT, PARTICIPANT_REMOVED,
                                    PARTICIPANTS_ADDED, PROMOTED_ADMIN, THREAD_ARCHIVED, TYPE_VERBOSE, USER_TYPES,
                                    VIDEO_CALL, is_system)

__all__ = ["MESSAGE", "IMAGE", "DOCUMENT", "JOINED_WITH_INVITE", "VIDEO_CALL", "AVATAR_CHANGED", "THREAD_ARCHIVED", "GROUP_CREATED", "GROUP_RENAMED", "DEMOTED_ADMIN", "PROMOTED_ADMIN", "PARTICIPANT_LEFT", "PARTICIPANT_REMOVED", "PARTICIPANTS_ADDED", "TYPE_VERBOSE", "USER_TYPES", "is_system", "names_body", "render"]


def names_body(names: list[str], **extra: Any) -> str:
    return orjson.dumps({**extra, "names": names}).decode()


def _join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def render(message_type: int, body: str) -> str:
    """The text a client shows for a stored message."""
    if not is_system(message_type):
        return body
    try:
        return _render_system(message_type, body)
    except (ValueError, TypeError, KeyError):
        return "system message"


def _render_system(message_type: int, body: str) -> str:
    if message_type == GROUP_CREATED:
        return f"created {body}"
    if message_type == GROUP_RENAMED:
        return f"renamed the group to {body}"
    if message_type == AVATAR_CHANGED:
        return "updated the groups avatar"
    if message_type == PARTICIPANT_LEFT:
        return "left the group"
    if message_type == JOINED_WITH_INVITE:
        return "joined the group"
    if message_type == THREAD_ARCHIVED:
        return body
    names = orjson.loads(body)["names"]
    if message_type == DEMOTED_ADMIN:
        return f"demoted {_join_names(names)} from administrator"
    if message_type == PROMOTED_ADMIN:
        return f"promoted {_join_names(names)} to administrator"
    if message_type == PARTICIPANT_REMOVED:
        return f"removed {_join_names(names)}"
    if message_type == PARTICIPANTS_ADDED:
        return f"added {_join_names(names)} to the group"
    if message_type == VIDEO_CALL:
        return f"was in a video call with {_join_names(names)}" if names else "was in a video call"
    return "system message"
