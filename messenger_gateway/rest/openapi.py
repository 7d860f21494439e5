"""The OpenAPI 3.1 document of the HTTP API (rest/openapi.yaml), as this server's prefix places its routes."""
from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DOCUMENT = Path(__file__).resolve().parent / "openapi.yaml"
WRITTEN_PREFIX = "/api/messenger"  # the prefix the document is written with (the default api_prefix)


@lru_cache(maxsize=1)
def _written() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    return data


def openapi_document(api_prefix: str = WRITTEN_PREFIX) -> dict[str, Any]:
    """The document with the messenger routes under `api_prefix` (`messenger.api_prefix`)."""
    document = copy.deepcopy(_written())
    if api_prefix != WRITTEN_PREFIX:
        document["paths"] = {
            (api_prefix + path[len(WRITTEN_PREFIX):] if path == WRITTEN_PREFIX or path.startswith(WRITTEN_PREFIX + "/")
             else path): item
            for path, item in document["paths"].items()
        }
    return document
