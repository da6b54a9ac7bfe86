"""A real Chromium for the dashboard's browser tests, driven by Playwright.

Playwright's own browser download is not used: the browser is Debian's
``chromium`` package (``/usr/bin/chromium``, installed by
``scripts/setup-system.sh``), launched through ``executable_path``. The rule of
tests/services.py holds: with ``CI=true`` a missing Chromium fails the test;
otherwise the test is skipped with a reason that says how to install it.

- ``browser``: one headless Chromium per session (per xdist worker), closed at
  the end. Playwright's sync API, so tests are plain functions (it refuses to
  run inside a running asyncio loop).
- ``page``: a fresh page in its own browser context (no cookies or storage
  shared between tests), closed after the test.
- :func:`screenshot`: saves ``test-artifacts/<name>.png`` (git-ignored) to look at.

The fixtures are made known to pytest once, by ``tests/web/conftest.py``; a test
module must not import them again (that would define a second session fixture,
and a second Playwright refuses to start beside the first).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.services import SETUP_HINT

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

__all__ = [
    "ARTIFACTS",
    "CHROMIUM",
    "LAUNCH_ARGS",
    "ROOT",
    "browser",
    "chromium_binary",
    "page",
    "require_chromium",
    "screenshot",
]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
# --no-sandbox: the tests run as root in a container, where Chromium's sandbox
# cannot start; --disable-dev-shm-usage: a small /dev/shm would crash it;
# --disable-gpu: there is no GPU (software rendering is enough for tests).
LAUNCH_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def chromium_binary() -> Path | None:
    """Debian's Chromium launcher, or ``chromium`` on PATH; None when neither is there."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    found = shutil.which("chromium")
    return Path(found) if found else None


def require_chromium() -> Path:
    """The Chromium to launch. When it is missing: fail under ``CI=true``, skip
    otherwise (the same rule as :func:`tests.services.require`)."""
    found = chromium_binary()
    if found is not None:
        return found
    message = f"chromium is not installed; {SETUP_HINT}"
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """A headless Chromium for this session (this xdist worker)."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=LAUNCH_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh browser context (1280x800), closed after the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        yield context.new_page()
    finally:
        context.close()


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as ``test-artifacts/<name>.png``; returns the path."""
    if not _NAME.match(name):
        raise ValueError(f"screenshot name {name!r}: use letters, digits, '.', '_' and '-' only")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
