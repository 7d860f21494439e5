"""The cross-node instructions keep their wire form, and a message that does not decode is dropped, not obeyed."""
from __future__ import annotations

import orjson
import pytest

from messenger_gateway.gateway.control_messages import (KINDS, ControlMessage, CountersChanged, Evict, ProviderChanged, Revoke,
                                      SettingsChanged, from_wire, to_wire)

EXAMPLES: list[ControlMessage] = [Revoke("abc"), Evict("presence-messenger.thread.t1", "p1"), Evict("c", None),
                                  SettingsChanged("p1"), ProviderChanged("p1"), CountersChanged(("p1", "p2"))]


@pytest.mark.parametrize("message", EXAMPLES, ids=lambda m: type(m).__name__)
def test_every_kind_travels_as_json_and_comes_back_the_same(message):
    wire = orjson.loads(orjson.dumps(to_wire(message)))
    assert wire["type"] in KINDS and from_wire(wire) == message


def test_the_wire_form_is_the_one_older_nodes_send():
    assert to_wire(Revoke("abc")) == {"type": "revoke", "token_hash": "abc"}
    assert to_wire(CountersChanged(("a",))) == {"type": "counters_changed", "provider_ids": ["a"]}
    assert from_wire({"type": "evict", "channel": "c", "provider_id": None}) == Evict("c", None)


@pytest.mark.parametrize("wire", [
    None, [], {"type": "launch"}, {"type": "revoke"}, {"type": "revoke", "token_hash": 7},
    {"type": "counters_changed", "provider_ids": "p1"}, {"type": "counters_changed", "provider_ids": [1]},
    {"type": "evict", "channel": "c", "provider_id": 5},
])
def test_what_does_not_decode_is_dropped(wire):
    assert from_wire(wire) is None
