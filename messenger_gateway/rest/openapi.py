"""The OpenAPI 3.1 document of the HTTP API (rest/openapi.yaml), as this server's prefixes place its routes."""
from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DOCUMENT = Path(__file__).resolve().parent / "openapi.yaml"
WRITTEN_PREFIX = "/api/messenger"  # the prefix the document is written with (the default api_prefix)
WRITTEN_WEB_PREFIX = "/messenger"  # and the web client's (the default web_prefix)


@lru_cache(maxsize=1)
def _written() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    return data


def openapi_document(api_prefix: str = WRITTEN_PREFIX, web_prefix: str = WRITTEN_WEB_PREFIX,
                     web_client: bool = True) -> dict[str, Any]:
    """The document with the messenger routes under `api_prefix` (`messenger.api_prefix`) and the web client's
    under `web_prefix` (`messenger.web_prefix`), or without them when the web client is not served."""
    document = copy.deepcopy(_written())
    document["paths"] = {
        placed: item for path, item in document["paths"].items()
        if (placed := _placed(path, api_prefix, web_prefix if web_client else None)) is not None
    }
    return document


def _placed(path: str, api_prefix: str, web_prefix: str | None) -> str | None:
    for written, prefix in ((WRITTEN_PREFIX, api_prefix), (WRITTEN_WEB_PREFIX, web_prefix)):
        if path == written or path.startswith(written + "/"):
            return None if prefix is None else prefix.rstrip("/") + path[len(written):]
    return path
