"""The ceiling of our own stack: a bare python-socketio 5 + aiohttp server that only joins rooms and emits.

It speaks just enough of the gateway's protocol for the benchmark harness: Echo `subscribe`, POST
/apps/{id}/events and GET /apps/{id}/channels/{channel}.  Usage: python bench/baseline/server.py PORT
"""
import sys

import socketio
from aiohttp import web

sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
app = web.Application()
sio.attach(app)


@sio.on("subscribe")
async def subscribe(sid, payload):
    await sio.enter_room(sid, payload["channel"])


async def events(request):
    body = await request.json()
    await sio.emit(body["name"], (body["channel"], body["data"]), room=body["channel"])
    return web.json_response({"message": "ok"})


async def channel(request):
    members = sio.manager.rooms.get("/", {}).get(request.match_info["channel"], {})
    return web.json_response({"subscription_count": len(members), "occupied": bool(members)})


app.router.add_post("/apps/{app_id}/events", events)
app.router.add_get("/apps/{app_id}/channels/{channel}", channel)
async def ready(request: web.Request) -> web.Response:
    return web.json_response({})


app.router.add_get("/api/messenger", ready)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
