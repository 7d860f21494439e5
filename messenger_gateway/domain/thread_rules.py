"""What a participant may do in a thread: the `options` block of spec section 2.5, used by every action."""
from __future__ import annotations

from typing import Any

from messenger_gateway.core.config import MessengerConfig
from messenger_gateway.storage.threads import ThreadView


def locked(v: ThreadView) -> bool:
    if v.group:
        return bool(v.thread.lockout)
    return bool(v.thread.lockout) or v.recipient is None


def pending(v: ThreadView) -> bool:
    """A private thread either side has not approved yet."""
    return not v.group and (bool(v.me.pending) or bool(v.recipient_row is not None and v.recipient_row.pending))


def awaiting_my_approval(v: ThreadView) -> bool:
    return not v.group and bool(v.me.pending)


def is_admin(v: ThreadView) -> bool:
    return v.group and bool(v.me.admin)


def _usable(v: ThreadView) -> bool:
    return not locked(v) and not pending(v)


def can_message(v: ThreadView) -> bool:
    if locked(v) or v.me.pending:
        return False
    if v.group:
        return bool(v.thread.messaging) and (is_admin(v) or bool(v.me.send_messages))
    return True


def can_call(v: ThreadView, config: MessengerConfig) -> bool:
    if not config.calling.enabled or not _usable(v):
        return False
    return not v.group or (bool(v.thread.calling) and (is_admin(v) or bool(v.me.start_calls)))


def can_knock(v: ThreadView, config: MessengerConfig) -> bool:
    if not config.knocks.enabled or not _usable(v):
        return False
    return not v.group or (bool(v.thread.knocks) and (is_admin(v) or bool(v.me.send_knocks)))


def can_add_participants(v: ThreadView) -> bool:
    return v.group and not locked(v) and bool(v.thread.add_participants) and (is_admin(v) or bool(v.me.add_participants))


def can_manage_invites(v: ThreadView, config: MessengerConfig) -> bool:
    return (config.invites.enabled and v.group and not locked(v) and bool(v.thread.invitations)
            and (is_admin(v) or bool(v.me.manage_invites)))


def options(v: ThreadView, config: MessengerConfig) -> dict[str, Any]:
    data: dict[str, Any] = {
        "admin": is_admin(v),
        "muted": bool(v.me.muted) or locked(v),
        "add_participants": can_add_participants(v),
        "invitations": can_manage_invites(v, config),
        "call": can_call(v, config),
        "message": can_message(v),
        "knock": can_knock(v, config),
    }
    if pending(v):
        data["awaiting_my_approval"] = awaiting_my_approval(v)
    return data


def unread(v: ThreadView) -> bool:
    return v.me.last_read is None or v.thread.updated_at > v.me.last_read
