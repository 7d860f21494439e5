"""Call rules shared by every route that renders a call."""
from __future__ import annotations

from typing import Any

from messenger_gateway.storage.calls import ActiveCallView
from messenger_gateway.storage.models import Call, CallParticipant


def options_for(call: Call, mine: CallParticipant | None, viewer_id: str, group_admin: bool) -> dict[str, Any]:
    """The viewer's `options` for an active call (spec section 6, field meanings)."""
    active = call.call_ended is None
    is_admin = call.owner_id == viewer_id or group_admin
    return {
        "admin": bool(active and mine is not None and is_admin),
        "setup_complete": bool(call.setup_complete),
        "in_call": bool(active and mine is not None and mine.left_call is None and not mine.kicked),
        "left_call": bool(active and mine is not None and mine.left_call is not None),
        "joined": mine is not None,
        "kicked": bool(mine is not None and mine.kicked),
    }


def call_options(view: ActiveCallView, viewer_id: str) -> dict[str, Any]:
    return options_for(view.call, view.mine, viewer_id, view.thread.type == 2 and bool(view.my_participant.admin))
