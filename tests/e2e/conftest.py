"""Browser fixtures for the end-to-end journeys: the system Chromium, driven by Playwright's sync API.

Never run ``playwright install`` for these: they use Debian's Chromium at /usr/bin/chromium.

While Playwright's sync API is alive it keeps an asyncio event loop *running* in the main
thread, and Django's ORM then refuses to work (SynchronousOnlyOperation) unless
DJANGO_ALLOW_ASYNC_UNSAFE is set. That variable must not leak into the rest of the suite:
tests/config/test_settings.py runs ``manage.py check --deploy`` in a subprocess that inherits
os.environ, and the check fails (async.E001) when it is set. So it is set only while the e2e
package runs, and the browser lives exactly as long (package scope = one browser for all of
tests/e2e, and no running event loop left behind for the tests collected after it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="package", autouse=True)
def allow_async_unsafe_orm():
    """DJANGO_ALLOW_ASYNC_UNSAFE=true for the e2e package only; the previous value is restored after."""
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ.setdefault(ASYNC_UNSAFE, "true")
    yield
    if previous is None:
        os.environ.pop(ASYNC_UNSAFE, None)
    else:
        os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture(scope="package")
def browser(allow_async_unsafe_orm):
    from tests.conftest import need_service

    if not CHROMIUM.exists():
        need_service(False, f"Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def new_page(browser):
    """``new_page(width, height)``: a page in a fresh context (locale en-US); both are closed after the test."""
    opened = []

    def make(width: int = 1280, height: int = 800):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
        context.set_default_timeout(10_000)
        page = context.new_page()
        opened.append((context, page))
        return page

    yield make
    for context, page in reversed(opened):
        page.close()
        context.close()


@pytest.fixture
def page(new_page):
    """A desktop-sized page (1280x800, en-US) in its own browser context, closed after the test."""
    return new_page(1280, 800)
