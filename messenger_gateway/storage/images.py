"""Image checks and renditions with Pillow (run in a worker thread; they are CPU bound)."""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

# Pillow format name -> the extension we store it under, and the extensions a client may call it.
FORMATS: dict[str, tuple[str, frozenset[str]]] = {
    "JPEG": ("jpg", frozenset({"jpg", "jpeg", "jpe", "jfif"})),
    "PNG": ("png", frozenset({"png"})),
    "GIF": ("gif", frozenset({"gif"})),
    "WEBP": ("webp", frozenset({"webp"})),
    "BMP": ("bmp", frozenset({"bmp", "dib"})),
}
ALLOWED_TYPES_TEXT = "jpg, jpeg, png, bmp, gif, webp"
SIZES = {"sm": 150, "md": 300}


class InvalidImage(Exception):
    """The upload is not an image we accept; the message is shown to the client."""


@dataclass(frozen=True)
class CheckedImage:
    extension: str
    width: int
    height: int


def check_image(data: bytes, filename: str | None, max_pixels: int) -> CheckedImage:
    """Decode the upload fully and refuse anything that is not a sane image of an allowed type."""
    claimed = _extension(filename)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                width, height = probe.size
                if width * height > max_pixels:
                    raise InvalidImage("The image dimensions are too large.")
                probe.verify()
            with Image.open(io.BytesIO(data)) as full:
                full.load()
    except InvalidImage:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise InvalidImage("The image dimensions are too large.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidImage("The image must be an image.") from None
    if fmt not in FORMATS:
        raise InvalidImage(f"The image must be a file of type: {ALLOWED_TYPES_TEXT}.")
    extension, names = FORMATS[fmt]
    if claimed is not None and claimed not in names:
        raise InvalidImage(f"The image content is {fmt} but its name says .{claimed}.")
    return CheckedImage(extension=extension, width=width, height=height)


def rendition(data: bytes, size: str) -> bytes:
    """Scale so the shorter side is SIZES[size] px, keeping the aspect ratio and the format."""
    target = SIZES[size]
    with Image.open(io.BytesIO(data)) as image:
        fmt = image.format or "PNG"
        width, height = image.size
        scale = target / min(width, height)
        new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
        source: Image.Image = image
        if fmt == "JPEG" and image.mode not in ("RGB", "L"):
            source = image.convert("RGB")
        resized = source.resize(new_size, Image.Resampling.LANCZOS)
        out = io.BytesIO()
        resized.save(out, format=fmt)
        return out.getvalue()


def _extension(filename: str | None) -> str | None:
    if not filename or "." not in filename:
        return None
    return filename.rsplit(".", 1)[1].lower()
