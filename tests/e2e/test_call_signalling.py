"""Two laravel-echo clients (node) set up a call: offer, answer and ICE candidates through the gateway."""
from __future__ import annotations

import asyncio
import shutil
from contextlib import asynccontextmanager
from typing import AsyncIterator

from tests.e2e.test_laravel_echo import NodeEcho
from tests.messaging.helpers import API, group


@asynccontextmanager
async def peer(node_client, server, token: str, channel: str) -> AsyncIterator[NodeEcho]:
    proc = await asyncio.create_subprocess_exec(
        shutil.which("node") or "node", str(node_client.with_name("call_peer.mjs")), str(server.make_url("/")).rstrip("/"),
        token, channel, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield NodeEcho(proc)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_two_browsers_exchange_webrtc_signalling(api, svc, server, node_client):
    alice = await api.register("Alice")
    bob = await api.register("Bob")
    g = await group(api, svc, alice, [bob])
    call = (await api.post(f"{API}/threads/{g['id']}/calls", alice.token, json={})).body
    assert (await api.post(f"{API}/threads/{g['id']}/calls/{call['id']}/join", bob.token)).status == 201
    channel = f"messenger.call.{call['id']}.thread.{g['id']}"
    async with peer(node_client, server, alice.token, channel) as a:
        await a.expect("here")
        async with peer(node_client, server, bob.token, channel) as b:
            here = await b.expect("here")
            assert sorted(m["provider_id"] for m in here["members"]) == sorted([alice.id, bob.id])
            assert (await a.expect("joining"))["member"]["provider_id"] == bob.id
            await exchange(a, b, alice.id, bob.id)


async def exchange(a: NodeEcho, b: NodeEcho, alice_id: str, bob_id: str) -> None:
    """Offer, answer and a candidate, each reaching the other side with the sender stamped on it."""
    offer = {"to": bob_id, "type": "offer", "payload": {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 0.0.0.0"}}
    await a.send(cmd="signal", data=offer)
    assert (await b.expect("signal"))["data"] == {**offer, "from": alice_id}
    answer = {"to": alice_id, "type": "answer", "payload": {"type": "answer", "sdp": "v=0"}}
    await b.send(cmd="signal", data=answer)
    assert (await a.expect("signal"))["data"] == {**answer, "from": bob_id}
    candidate = {"to": bob_id, "type": "candidate", "payload": {"candidate": "candidate:1 1 udp 1 10.0.0.1 9 typ host"}}
    await a.send(cmd="signal", data=candidate)
    assert (await b.expect("signal"))["data"]["payload"] == candidate["payload"]
    assert not [line for line in a.lines + b.lines if line["type"] == "subscription_error"]
