"""A stand-in for a Laravel app's /broadcasting/auth, for the benchmarks: every private channel is allowed, and a
presence channel's member is the user named by the X-CSRF-TOKEN header ("user-42" -> user 42), which Echo
forwards like a Laravel session's.

    python bench/auth_host.py PORT
"""
import sys

from aiohttp import web


async def authorize(request: web.Request) -> web.Response:
    form = await request.post()
    channel = str(form.get("channel_name", ""))
    user = request.headers.get("X-CSRF-TOKEN", "user-0").rsplit("-", 1)[-1]
    if channel.startswith("presence-"):
        return web.json_response({"channel_data": {"user_id": user, "user_info": {"name": f"User {user}"}}})
    return web.json_response({"auth": "ok"})


async def ready(request: web.Request) -> web.Response:
    return web.json_response({})


app = web.Application()
app.router.add_post("/broadcasting/auth", authorize)
app.router.add_get("/api/messenger", ready)
if __name__ == "__main__":
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
