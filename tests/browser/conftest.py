"""A real browser for the tests: Debian's Chromium (installed when missing), driven by Playwright's async API."""
from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator

import pytest

from tests.support.debian import debian_tool
from tests.support.services import IN_CI

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# a camera and a microphone that need no hardware and no permission prompt (for the call tests)
CHROMIUM_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--no-sandbox",
                 # WebRTC between two contexts on one machine: real host addresses, not mDNS names
                 "--disable-features=WebRtcHideLocalIpsWithMdns"]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return debian_tool(("chromium", "chromium-browser", "/usr/bin/chromium"), "chromium")


@pytest.fixture
async def browser(chromium_path: str) -> AsyncIterator[Any]:
    try:
        from playwright.async_api import async_playwright
    except ImportError:  # pragma: no cover - a test extra
        if IN_CI:
            pytest.fail("playwright is required under CI=true (pip install -e '.[test]')")
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
def database(sqlite_database):
    return sqlite_database


def artifact(name: str) -> Path:
    """Where a test saves a screenshot for people to look at (CI keeps the folder)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name
