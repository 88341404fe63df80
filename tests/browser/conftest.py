"""Browser fixtures: Debian's Chromium driven by Playwright against the real running site.

Playwright never downloads a browser here: it launches /usr/bin/chromium (bin/setup installs it).
Every test gets a fresh browser context signed in as a new user through the site's sign-in page.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.live import live_stack  # noqa: F401  (the session fixture the tests here use)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Generous waits: CI runs these beside the rest of the suite on two busy cores.
ACTION_TIMEOUT_MS = 20_000
expect.set_options(timeout=ACTION_TIMEOUT_MS)


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: bin/setup installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def editor_user(live_stack) -> tuple[str, str]:  # noqa: F811  (live_stack is the imported fixture)
    """One user for the browser tests (making a user starts Django once: seconds)."""
    username = f"ed{secrets.token_hex(4)}"
    return username, live_stack.create_user(username)


@pytest.fixture
def editor_page(chromium, live_stack, editor_user) -> Page:  # noqa: F811
    """The editor at `/` in a fresh browser context, signed in through the sign-in page `/` redirects to."""
    username, password = editor_user
    context = chromium.new_context(base_url=live_stack.url, viewport={"width": 1600, "height": 950},
                                   accept_downloads=True)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    page.goto("/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_selector("#toolbar #save")
    page.wait_for_function("window.mvlab !== undefined")
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
