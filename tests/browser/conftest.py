"""Browser tests: Playwright for Python driving Debian's Chromium against Django's live server.

Chromium must be at CHROMIUM_PATH (default /usr/bin/chromium): a missing browser fails these
tests, it never skips them. Playwright's sync API runs an event loop in the test thread, so
Django's async-safety check is lifted for the database calls the tests make themselves.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM_PATH).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM_PATH}: install it (apt-get install chromium)."
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


class CspWatcher:
    """Collects the Content-Security-Policy violations the page reports on the console."""

    def __init__(self) -> None:
        self.violations: list[str] = []

    def __call__(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(message.text)


def _context(browser: Browser, live_server, **options) -> BrowserContext:
    context = browser.new_context(base_url=live_server.url, locale="fr-FR", **options)
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    context = _context(browser, live_server)
    page = context.new_page()
    page.csp = CspWatcher()
    page.on("console", page.csp)
    yield page
    context.close()


@pytest.fixture
def page_without_js(browser: Browser, live_server) -> Iterator[Page]:
    context = _context(browser, live_server, java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


_axe = Axe()


def assert_accessible(page: Page) -> None:
    """axe-core finds no WCAG 2.1 A/AA violation on the page as it is now."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    violations = results.response["violations"]
    assert not violations, results.generate_report()


def assert_no_csp_violation(page: Page) -> None:
    assert not page.csp.violations, page.csp.violations


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
