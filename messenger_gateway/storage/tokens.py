"""Bearer tokens as stored: only their SHA-256 (a leaked database holds no usable token)."""
from __future__ import annotations

import hashlib


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
