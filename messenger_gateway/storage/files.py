"""Files on disk under the storage dir: avatars, group avatars, message images (each with renditions),
documents, and the bundled default images."""
from __future__ import annotations

import asyncio
import os
import re
import uuid
from pathlib import Path

from messenger_gateway.storage import images

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")
SIZE_NAMES = ("sm", "md", "lg")


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    # -- provider avatars: avatars/{alias}/{id}/{file} (original) and avatars/{alias}/{id}/{size}/{file}
    def avatar_dir(self, alias: str, provider_id: str) -> Path:
        return self.root / "avatars" / alias / provider_id

    async def save_avatar(self, alias: str, provider_id: str, data: bytes, extension: str) -> str:
        """Write the original and its sm/md renditions; return the new file name."""
        return await self.save_image(self.avatar_dir(alias, provider_id), data, extension)

    async def delete_avatar(self, alias: str, provider_id: str, name: str) -> None:
        await self.delete_image(self.avatar_dir(alias, provider_id), name)

    def avatar_path(self, alias: str, provider_id: str, size: str, name: str) -> Path | None:
        """The file to serve for an avatar request, or None when it does not exist."""
        if not SAFE_NAME.match(provider_id) or not SAFE_NAME.match(alias):
            return None
        return self.image_path(self.avatar_dir(alias, provider_id), size, name)

    # -- thread files: threads/{thread}/avatar, threads/{thread}/images (with renditions), threads/{thread}/documents
    def thread_dir(self, thread_id: str, kind: str) -> Path:
        return self.root / "threads" / thread_id / kind

    async def save_document(self, thread_id: str, name: str, data: bytes) -> None:
        """Write a new document; FileExistsError rather than replace one that is already there."""
        folder = self.thread_dir(thread_id, "documents")
        await asyncio.to_thread(_write_new_file, folder, name, data)

    async def delete_document(self, thread_id: str, name: str) -> None:
        if SAFE_NAME.match(name):
            await asyncio.to_thread(_remove_quietly, [self.thread_dir(thread_id, "documents") / name])

    def document_path(self, thread_id: str, name: str) -> Path | None:
        path = self.thread_dir(thread_id, "documents") / name
        return path if SAFE_NAME.match(name) and path.is_file() else None

    # -- images with sm/md renditions, in any folder
    async def save_image(self, folder: Path, data: bytes, extension: str) -> str:
        name = f"img_{uuid.uuid4().hex}.{extension}"
        await asyncio.to_thread(_write_image, folder, name, data, extension)
        return name

    async def delete_image(self, folder: Path, name: str) -> None:
        if SAFE_NAME.match(name):
            await asyncio.to_thread(_remove_quietly, [folder / name] + [folder / s / name for s in ("sm", "md")])

    @staticmethod
    def image_path(folder: Path, size: str, name: str) -> Path | None:
        if not SAFE_NAME.match(name):
            return None
        candidate = folder / size / name if size in ("sm", "md") else folder / name
        if size in ("sm", "md") and not candidate.is_file():
            candidate = folder / name  # gifs keep only their original
        return candidate if candidate.is_file() else None

    @staticmethod
    def asset(name: str) -> Path:
        path = ASSETS_DIR / name
        return path if SAFE_NAME.match(name) and path.is_file() else ASSETS_DIR / "image404.png"


def _write_file(folder: Path, name: str, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _atomic_write(folder / name, data)


def _write_new_file(folder: Path, name: str, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{name}.{uuid.uuid4().hex}.tmp"
    tmp.write_bytes(data)
    try:
        os.link(tmp, folder / name)  # fails if the name exists: never overwrites another upload
    finally:
        tmp.unlink()


def _write_image(folder: Path, name: str, data: bytes, extension: str) -> None:
    _write_file(folder, name, data)
    if extension == "gif":
        return  # animated gifs are served as uploaded at every size
    for size in ("sm", "md"):
        (folder / size).mkdir(exist_ok=True)
        _atomic_write(folder / size / name, images.rendition(data, size))


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _remove_quietly(paths: list[Path]) -> None:
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            pass

