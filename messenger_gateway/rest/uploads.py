"""Multipart uploads: the text fields plus one file field, refusing an oversized file without buffering it all."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import BodyPartReader, web

from messenger_gateway.core.errors import ApiError, validation_error
from messenger_gateway.rest.body import MALFORMED_MULTIPART, reject_nul
from messenger_gateway.storage.images import CheckedImage, InvalidImage, check_image

MAX_TEXT_FIELD = 64 * 1024
MAX_TEXT_TOTAL = 256 * 1024  # every text field of one form together
MAX_PARTS = 32  # our forms have a file and a few fields


@dataclass
class Upload:
    fields: dict[str, str] = field(default_factory=dict)
    data: bytes | None = None
    filename: str | None = None
    file_field: str | None = None


async def read_upload(request: web.Request, file_field: str, max_kb: int, required: bool = True) -> Upload:
    """The form's text fields and the bytes of `file_field` (422 when missing and required, or too large)."""
    return await read_any_upload(request, {file_field: max_kb}, required)


async def read_any_upload(request: web.Request, limits: dict[str, int], required: bool = True) -> Upload:
    """Like read_upload, for a form whose file may come in any of several fields (each with its own limit)."""
    try:
        return await _read_any_upload(request, limits, required)
    except MALFORMED_MULTIPART:
        raise ApiError(400, "The form data is malformed.") from None


async def _read_any_upload(request: web.Request, limits: dict[str, int], required: bool) -> Upload:
    upload = Upload()
    file_field = next(iter(limits))
    if request.content_type != "multipart/form-data":
        if request.content_type in ("application/json", "application/x-www-form-urlencoded") or not request.body_exists:
            if required:
                raise validation_error({file_field: [f"The {file_field} field is required."]})
            return upload
        raise ApiError(415, f"Unsupported media type: upload the {file_field} as multipart/form-data.")
    reader = await request.multipart()
    parts = text_total = 0
    while (part := await reader.next()) is not None:
        parts += 1
        if parts > MAX_PARTS:
            raise ApiError(413, f"The form has too many parts (at most {MAX_PARTS}).")
        if not isinstance(part, BodyPartReader) or not part.name:
            continue
        if part.name not in limits:
            text = await part.read(decode=True)
            text_total += len(text)
            if len(text) > MAX_TEXT_FIELD:
                raise ApiError(413, f"The {part.name} field is too large.")
            if text_total > MAX_TEXT_TOTAL:
                raise ApiError(413, f"The form's fields are too large together (at most {MAX_TEXT_TOTAL // 1024} KB).")
            upload.fields[part.name] = text.decode("utf-8", errors="replace")
            continue
        file_field = part.name
        if part.filename is None:
            raise validation_error({file_field: [f"The {file_field} must be a file."]})
        if any(c in part.filename for c in "\x00\r\n"):
            raise validation_error({file_field: [f"The {file_field} name must not contain control characters."]})
        max_kb = limits[file_field]
        limit = max_kb * 1024
        chunks, size = [], 0
        while chunk := await part.read_chunk(65536):
            size += len(chunk)
            if size > limit:
                raise validation_error({file_field: [f"The {file_field} must not be greater than {max_kb} kilobytes."]})
            chunks.append(chunk)
        upload.data, upload.filename, upload.file_field = b"".join(chunks), part.filename, file_field
    if upload.data is None and required:
        raise validation_error({file_field: [f"The {file_field} field is required."]})
    reject_nul(upload.fields)
    return upload


async def read_image(request: web.Request, file_field: str, max_kb: int, max_pixels: int) -> tuple[bytes, CheckedImage]:
    """An uploaded image, fully decoded and checked (422 with the reason when it is not one we accept)."""
    upload = await read_upload(request, file_field, max_kb)
    return await check_upload_image(upload, file_field, max_pixels)


async def check_upload_image(upload: Upload, file_field: str, max_pixels: int) -> tuple[bytes, CheckedImage]:
    assert upload.data is not None
    try:
        checked = await asyncio.to_thread(check_image, upload.data, upload.filename, max_pixels)
    except InvalidImage as exc:
        raise validation_error({file_field: [str(exc).replace("The image", f"The {file_field}")]}) from None
    return upload.data, checked
