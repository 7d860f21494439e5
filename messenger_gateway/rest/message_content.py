"""Reading what a client wants to send: a text `message`, or an `image` / `document` upload stored to disk."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any, Callable

from aiohttp import web

from messenger_gateway.core.errors import ApiError, validation_error
from messenger_gateway.core.services import Services
from messenger_gateway.domain.messages import Content
from messenger_gateway.domain.system_messages import DOCUMENT, IMAGE, MESSAGE
from messenger_gateway.rest.body import read_fields
from messenger_gateway.rest.uploads import check_upload_image, read_any_upload
from messenger_gateway.rest.validation import Validator

UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class Incoming:
    content: Content
    fields: dict[str, Any]
    stored_file: str | None = None  # removed again if the message is not saved


def document_name(filename: str | None, extensions: list[str], now_ts: int) -> str:
    """`originalname_{unixts}_{16 random hex}.{ext}` with only safe characters; 422 when the extension is not allowed.

    The package names documents `originalname_{unixts}.{ext}`: two uploads of one name in the same second then
    overwrote each other, and anyone could guess a file's name. The random part makes the name unique and
    unguessable; downloads still carry the original name (`download_name`)."""
    original = (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem, dot, ext = original.rpartition(".")
    ext = ext.lower()
    if not dot or ext not in extensions:
        raise validation_error({"document": [f"The document must be a file of type: {', '.join(extensions)}."]})
    safe = UNSAFE.sub("_", stem).strip("._-")[:100] or "document"
    return f"{safe}_{now_ts}_{secrets.token_hex(8)}.{ext}"


STORED_SUFFIX = re.compile(r"_\d+(?:_[0-9a-f]{16})?(\.[A-Za-z0-9]+)$")


def download_name(stored: str) -> str:
    """The name a download is saved under: the uploaded name (made safe), without our time and random parts."""
    return STORED_SUFFIX.sub(r"\1", stored)


async def read_incoming(
    request: web.Request, svc: Services, thread_id: str, kinds: tuple[str, ...],
    more_rules: Callable[[Validator], None] | None = None,
) -> Incoming:
    """Parse a message, image or document (whichever of `kinds` the route accepts) and store any file.
    `more_rules` adds the route's other fields to the text message's validation, so one 422 names them all."""
    limits = svc.config.limits
    files = svc.config.messenger.files
    if request.content_type == "multipart/form-data" and ("image" in kinds or "document" in kinds):
        sizes = {k: (limits.message_image_max_kb if k == "image" else limits.document_max_kb)
                 for k in kinds if k in ("image", "document")}
        upload = await read_any_upload(request, sizes, required="message" not in kinds)
        fields: dict[str, Any] = dict(upload.fields)
        if upload.data is not None:
            temporary_id = _temporary_id(fields)
            if upload.file_field == "image":
                if not files.message_image_upload:
                    raise ApiError(403, "Image uploads are currently disabled.")
                data, checked = await check_upload_image(upload, "image", limits.image_max_pixels)
                name = await svc.files.save_image(svc.files.thread_dir(thread_id, "images"), data, checked.extension)
                return Incoming(Content(IMAGE, name, temporary_id), fields, name)
            if not files.message_document_upload:
                raise ApiError(403, "Document uploads are currently disabled.")
            if not upload.data:
                raise validation_error({"document": ["The document must be a file."]})
            name = document_name(upload.filename, limits.document_extensions, int(svc.clock.time()))
            await svc.files.save_document(thread_id, name, upload.data)
            return Incoming(Content(DOCUMENT, name, temporary_id), fields, name)
    elif "message" not in kinds:
        field = kinds[0]
        if request.content_type not in ("application/json", "application/x-www-form-urlencoded", "") and request.body_exists:
            raise ApiError(415, f"Unsupported media type: upload the {field} as multipart/form-data.")
        raise validation_error({field: [f"The {field} field is required."]})
    else:
        fields = await read_fields(request)
    v = Validator(fields)
    v.string("message", limits.message_max_length)
    v.token("temporary_id")
    if more_rules is not None:
        more_rules(v)
    clean = v.check()
    return Incoming(Content(MESSAGE, clean["message"], clean.get("temporary_id")), fields)


def _temporary_id(fields: dict[str, Any]) -> str | None:
    v = Validator(fields)
    v.token("temporary_id")
    return v.check().get("temporary_id")


async def discard_stored(svc: Services, thread_id: str, kind: int, name: str | None) -> None:
    """Remove the file read_incoming stored, when its message was not saved after all."""
    if name is None:
        return
    if kind == IMAGE:
        await svc.files.delete_image(svc.files.thread_dir(thread_id, "images"), name)
    else:
        await svc.files.delete_document(thread_id, name)
