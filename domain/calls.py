"""Call rules shared by every route that renders a call."""
from __future__ import annotations

from typing import Any

from storage.calls import ActiveCallView


def call_options(view: ActiveCallView, viewer_id: str) -> dict[str, Any]:
    """The viewer's `options` for an active call (spec section 6, field meanings)."""
    call, mine = view.call, view.mine
    active = call.call_ended is None
    is_admin = call.owner_id == viewer_id or (view.thread.type == 2 and view.my_participant.admin)
    return {
        "admin": bool(active and mine is not None and is_admin),
        "setup_complete": bool(call.setup_complete),
        "in_call": bool(active and mine is not None and mine.left_call is None and not mine.kicked),
        "left_call": bool(active and mine is not None and mine.left_call is not None),
        "joined": mine is not None,
        "kicked": bool(mine is not None and mine.kicked),
    }
