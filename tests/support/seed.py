"""The seed document's example responses, parsed from the copy in tests/fixtures, and shape checks."""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "seed-messenger-api.md"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


@lru_cache(maxsize=None)
def seed_sections() -> dict[str, dict[str, Any]]:
    """'GET /api/messenger/settings' -> {'response': ..., 'payload': ...} from the seed document."""
    text = SEED.read_text(encoding="utf-8")
    sections: dict[str, dict[str, Any]] = {}
    for chunk in re.split(r"^### ", text, flags=re.M)[1:]:
        heading = re.match(r"(\w+) `([^`]+)`", chunk)
        assert heading, chunk[:80]
        key = f"{heading.group(1)} {heading.group(2)}"
        parts: dict[str, Any] = {}
        for label, block in re.findall(r"#### (\w+):\s*```json\n(.*?)```", chunk, re.S):
            if label.lower() == "payload" and '"(binary)"' in block:
                parts["payload"] = None
                continue
            parts[label.lower()] = json.loads(block)
        sections[key] = parts
    return sections


def seed_response(route: str) -> Any:
    return seed_sections()[route]["response"]


def assert_same_shape(actual: Any, expected: Any, path: str = "$") -> None:
    """Same keys in the same order, same JSON types; nulls in the seed allow a string here and back."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        assert list(actual.keys()) == list(expected.keys()), (
            f"{path}: keys differ\n  got      {list(actual.keys())}\n  expected {list(expected.keys())}"
        )
        for key in expected:
            assert_same_shape(actual[key], expected[key], f"{path}.{key}")
        return
    if isinstance(expected, list):
        assert isinstance(actual, list), f"{path}: expected a list, got {actual!r}"
        for i, item in enumerate(actual if expected else []):
            _matches_one_of(item, expected, f"{path}[{i}]")
        return
    if expected is None or actual is None:
        assert actual is None or isinstance(actual, str), f"{path}: expected null or a string, got {actual!r}"
        return
    assert type(actual) is type(expected), f"{path}: expected {type(expected).__name__}, got {actual!r}"
    if isinstance(expected, str) and TIMESTAMP.match(expected):
        assert TIMESTAMP.match(actual), f"{path}: {actual!r} is not a 6-digit ISO-8601 UTC timestamp"


def _matches_one_of(item: Any, choices: list[Any], path: str) -> None:
    """A list item must have the shape of at least one of the seed's items (lists can mix shapes)."""
    failures = []
    for choice in choices:
        try:
            assert_same_shape(item, choice, path)
            return
        except AssertionError as exc:
            failures.append(str(exc))
    raise AssertionError(failures[0] if len(failures) == 1 else f"{path}: matches no seed item: {failures}")
