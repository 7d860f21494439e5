"""Provider avatars: upload, renditions at each size, public and authenticated serving, removal, bad input."""
from __future__ import annotations

import io
from pathlib import Path

import aiohttp
import pytest
from PIL import Image

from tests.support.seed import assert_same_shape, seed_response


def image_bytes(fmt: str, size: tuple[int, int] = (600, 400), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


def form(data: bytes, filename: str = "avatar.png", field: str = "image", content_type: str = "image/png") -> aiohttp.FormData:
    fd = aiohttp.FormData()
    fd.add_field(field, data, filename=filename, content_type=content_type)
    return fd


def decode(raw: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(raw))
    image.load()
    return image


async def upload(api, user, data: bytes, filename: str):
    return await api.post("/api/messenger/avatar", user.token, data=form(data, filename))


@pytest.mark.parametrize("fmt,filename", [("PNG", "me.png"), ("JPEG", "me.jpg"), ("WEBP", "me.webp"),
                                          ("BMP", "me.bmp"), ("GIF", "me.gif")])
async def test_upload_and_serve_each_size(api, fmt, filename):
    user = await api.register("John Doe", "john@example.net")
    reply = await upload(api, user, image_bytes(fmt), filename)
    assert reply.status == 200, reply
    assert_same_shape(reply.body, seed_response("POST /api/messenger/avatar"))
    name = reply.body["owner"]["base"]["avatar"]
    assert name.startswith("img_") and name.endswith("." + {"JPEG": "jpg"}.get(fmt, fmt.lower()))
    avatar = reply.body["owner"]["avatar"]
    assert avatar["md"] == f"/images/user/{user.id}/md/{name}"
    expected_short_side = {"sm": 150, "md": 300, "lg": 400}
    for size in ("sm", "md", "lg"):
        public = await api.get(avatar[size])
        assert public.status == 200
        assert public.headers["Cache-Control"] == "public, max-age=86400"
        image = decode(public.raw)
        assert image.format == fmt
        if fmt == "GIF":
            assert image.size == (600, 400)  # gifs are served as uploaded
        else:
            assert min(image.size) == expected_short_side[size]
            assert image.size[0] / image.size[1] == pytest.approx(1.5, rel=0.02)
        authed = await api.get(reply.body["owner"]["api_avatar"][size], user.token)
        assert authed.status == 200 and authed.raw == public.raw
    settings = await api.get("/api/messenger/settings", user.token)
    assert settings.body["owner"]["base"]["avatar"] == name


async def test_default_avatar_served_when_none(api):
    user = await api.register()
    reply = await api.get(user.provider["avatar"]["sm"])
    assert reply.status == 200
    assert decode(reply.raw).format == "PNG"
    assert reply.raw == (Path(__file__).resolve().parents[2] / "messenger_gateway" / "storage" / "assets" / "users.png").read_bytes()
    unknown = await api.get("/images/nosuchalias/x/sm/whatever.png")
    assert unknown.status == 200
    assert decode(unknown.raw).format == "PNG"
    traversal = await api.get("/images/user/..%2F..%2F/sm/..%2Fconfig.yaml")
    assert traversal.status in (200, 404)
    assert b"database_url" not in traversal.raw


async def test_replacing_and_removing_deletes_files(api, svc):
    user = await api.register()
    first = (await upload(api, user, image_bytes("PNG"), "a.png")).body["owner"]["base"]["avatar"]
    folder = svc.files.avatar_dir("user", user.id)
    assert (folder / first).is_file() and (folder / "sm" / first).is_file()
    second = (await upload(api, user, image_bytes("JPEG"), "b.jpg")).body["owner"]["base"]["avatar"]
    assert second != first
    assert not (folder / first).exists() and not (folder / "sm" / first).exists()
    removed = await api.delete("/api/messenger/avatar", user.token)
    assert removed.status == 200
    assert_same_shape(removed.body, seed_response("DELETE /api/messenger/avatar"))
    assert removed.body["owner"]["base"]["avatar"] is None
    assert removed.body["owner"]["avatar"]["lg"] == f"/images/user/{user.id}/lg/default.png"
    assert not any(p.is_file() for p in folder.rglob("*"))
    # the old URL now falls back to the default image
    fallback = await api.get(f"/images/user/{user.id}/sm/{second}")
    assert fallback.status == 200 and decode(fallback.raw).format == "PNG"
    again = await api.delete("/api/messenger/avatar", user.token)
    assert again.status == 200


def bomb_png() -> bytes:
    # a 12 KB file that declares a 10000x10000 image (100 megapixels, over the 40 megapixel limit)
    out = io.BytesIO()
    Image.new("1", (10000, 10000)).save(out, format="PNG", optimize=True)
    return out.getvalue()


@pytest.mark.parametrize("config_overrides", [{"limits": {"avatar_max_kb": 64}}])
async def test_bad_uploads_keep_the_previous_avatar(api, svc):
    user = await api.register()
    good = (await upload(api, user, image_bytes("PNG", (200, 200)), "ok.png")).body["owner"]["base"]["avatar"]
    bad_cases = [
        (form(b"this is plain text, not an image", "notes.png"), 422, "The image must be an image."),
        (form(image_bytes("JPEG", (200, 200)), "photo.png"), 422, "The image content is JPEG but its name says .png."),
        (form(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "x.svg", content_type="image/svg+xml"), 422,
         "The image must be an image."),
        (form(bomb_png(), "bomb.png"), 422, "The image dimensions are too large."),
        (form(image_bytes("BMP", (300, 300)), "big.bmp"), 422, "The image must not be greater than 64 kilobytes."),
        (form(image_bytes("PNG"), "a.png", field="picture"), 422, "The image field is required."),
        (form(image_bytes("PNG")[:200], "cut.png"), 422, "The image must be an image."),
    ]
    for body, status, message in bad_cases:
        reply = await api.post("/api/messenger/avatar", user.token, data=body)
        assert reply.status == status, (message, reply)
        assert reply.body["errors"]["image"] == [message]
    no_body = await api.post("/api/messenger/avatar", user.token)
    assert no_body.status == 422 and no_body.body["errors"]["image"] == ["The image field is required."]
    raw = await api.post("/api/messenger/avatar", user.token, raw=image_bytes("PNG"), headers={"Content-Type": "image/png"})
    assert raw.status == 415 and "multipart/form-data" in raw.body["message"]
    settings = await api.get("/api/messenger/settings", user.token)
    assert settings.body["owner"]["base"]["avatar"] == good
    served = await api.get(f"/images/user/{user.id}/lg/{good}")
    assert decode(served.raw).size == (200, 200)
    files = sorted(p.name for p in svc.files.avatar_dir("user", user.id).rglob("*") if p.is_file())
    assert files == [good, good, good]  # original, sm, md: no leftovers from refused uploads


@pytest.mark.parametrize("config_overrides", [{"server": {"max_request_kb": 256}}])
async def test_oversized_request_is_413(api):
    user = await api.register()
    reply = await api.post("/api/messenger/avatar", user.token, data=form(b"\0" * (400 * 1024), "huge.png"))
    assert reply.status == 413
    assert "too large" in reply.body["message"]
    assert (await api.get("/api/messenger/settings", user.token)).body["owner"]["base"]["avatar"] is None


@pytest.mark.parametrize("config_overrides", [{"messenger": {"files": {"provider_avatar_upload": False,
                                                                       "provider_avatar_removal": False}}}])
async def test_disabled_uploads(api):
    user = await api.register()
    reply = await upload(api, user, image_bytes("PNG"), "a.png")
    assert reply.status == 403 and reply.body == {"message": "Avatar uploads are currently disabled."}
    reply = await api.delete("/api/messenger/avatar", user.token)
    assert reply.status == 403 and reply.body == {"message": "Avatar removal is currently disabled."}
