"""Browser fixtures: Debian's Chromium driven by Playwright against the real running site.

Every test gets a fresh browser context signed in as a new user through the site's sign-in page.
"""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Page

from tests.browser.fixtures import ACTION_TIMEOUT_MS


@pytest.fixture(scope="session")
def editor_user(live_stack) -> tuple[str, str]:
    """One user for the browser tests (making a user starts Django once: seconds)."""
    username = f"ed{secrets.token_hex(4)}"
    return username, live_stack.create_user(username)


@pytest.fixture
def editor_page(chromium, live_stack, editor_user) -> Page:
    """The editor at `/` in a fresh browser context, signed in through the sign-in page `/` redirects to."""
    username, password = editor_user
    context = chromium.new_context(
        base_url=live_stack.url, viewport={"width": 1600, "height": 950}, accept_downloads=True
    )
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
