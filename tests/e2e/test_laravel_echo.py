"""laravel-echo 2.x + socket.io-client 4 (the npm packages, run by node) against the real server."""
from __future__ import annotations

import asyncio
import shutil
from typing import Any

import orjson

from tests.support.factories import make_thread
from tests.support.sockets import connect

KEY = {"Authorization": "Bearer key-one"}


class NodeEcho:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None  # started with PIPEs
        self.proc = proc
        self.stdin, self.stdout, self.stderr = proc.stdin, proc.stdout, proc.stderr
        self.lines: list[dict[str, Any]] = []

    async def expect(self, kind: str, timeout: float = 10.0, **match: Any) -> dict[str, Any]:
        for line in self.lines:
            if line["type"] == kind and all(line.get(k) == v for k, v in match.items()):
                self.lines.remove(line)
                return line
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            assert remaining > 0, f"node client never printed {kind} {match}; saw {self.lines}"
            raw = await asyncio.wait_for(self.stdout.readline(), remaining)
            assert raw, f"node client exited: {(await self.stderr.read()).decode()[-2000:]}"
            line = orjson.loads(raw)
            if line["type"] == kind and all(line.get(k) == v for k, v in match.items()):
                return line
            self.lines.append(line)

    async def send(self, **cmd: Any) -> None:
        self.stdin.write(orjson.dumps(cmd) + b"\n")
        await self.stdin.drain()


async def test_echo_browser_client_end_to_end(api, svc, server, node_client):
    alice = await api.register("Alice")
    bob = await api.register("Bob")
    thread = await make_thread(svc, [alice.id, bob.id])
    proc = await asyncio.create_subprocess_exec(
        shutil.which("node"), str(node_client), str(server.make_url("/")).rstrip("/"), alice.token, alice.id,
        f"messenger.thread.{thread}",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    echo = NodeEcho(proc)
    try:
        await echo.expect("connected")
        here = await echo.expect("here")
        assert [m["provider_id"] for m in here["members"]] == [alice.id]  # Echo's here() gets user_info

        bob_socket = await connect(str(server.make_url("/")), bob.token)
        channel = f"presence-messenger.thread.{thread}"
        await bob_socket.subscribe(channel)
        joining = await echo.expect("joining")
        assert joining["member"]["name"] == "Bob" and joining["member"]["provider_id"] == bob.id

        private = f"private-messenger.user.{alice.id}"
        await api.post("/apps/app1/events", headers=KEY, json={"name": "new.message", "channel": private,
                                                                "data": {"body": "hello Alice"}})
        assert (await echo.expect("new.message"))["data"] == {"body": "hello Alice"}

        await echo.send(cmd="whisper", data={"typing": True, "provider_id": alice.id})
        assert await bob_socket.wait_for("client-typing", channel) == [(channel, {"typing": True, "provider_id": alice.id})]
        await bob_socket.whisper(channel, "typing", {"typing": True, "provider_id": bob.id})
        assert (await echo.expect("whisper"))["data"] == {"typing": True, "provider_id": bob.id}

        # a forced reconnect: laravel-echo >= 2.1.6 subscribes to every channel again
        await echo.send(cmd="reconnect")
        await echo.expect("reconnected")
        here_again = await echo.expect("here")
        assert sorted(m["provider_id"] for m in here_again["members"]) == sorted([alice.id, bob.id])
        for _ in range(50):  # wait until the re-subscription reached the private channel too
            reply = await api.get(f"/apps/app1/channels/{private}", headers=KEY)
            if reply.body["subscription_count"] == 1:
                break
            await asyncio.sleep(0.05)
        await api.post("/apps/app1/events", headers=KEY, json={"name": "new.message", "channel": private,
                                                                "data": {"body": "after reconnect"}})
        assert (await echo.expect("new.message"))["data"] == {"body": "after reconnect"}

        await bob_socket.close()
        leaving = await echo.expect("leaving")
        assert leaving["member"]["provider_id"] == bob.id
        assert not [line for line in echo.lines if line["type"] == "subscription_error"]
    finally:
        if proc.returncode is None:
            try:
                await echo.send(cmd="exit")
                await asyncio.wait_for(proc.wait(), 5)
            except (asyncio.TimeoutError, ConnectionError):
                proc.kill()
