"""The editor's own sign-in form, and the agent picker fed by the agents' heartbeats."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_signed_out_editor_asks_for_a_sign_in(chromium, live_stack, editor_user):
    username, password = editor_user
    context = chromium.new_context(base_url=live_stack.url)
    try:
        page = context.new_page()
        page.goto("/static/index.html")  # the bundle itself, reached without a session
        form = page.locator("#signin-form")
        expect(form).to_be_visible()
        form.locator("[name=username]").fill(username)
        form.locator("[name=password]").fill("not-the-password")
        form.locator("button[type=submit]").click()
        expect(form.locator(".error")).to_have_text("Wrong user name or password.")
        form.locator("[name=password]").fill(password)
        form.locator("button[type=submit]").click()
        expect(form).to_be_hidden()
        expect(page.locator("#toolbar .user")).to_contain_text(username)
    finally:
        context.close()


def test_agent_picker_shows_live_agents_and_what_their_kernel_supports(editor_page: Page, live_stack):
    page = editor_page
    page.set_input_files("#import-file", str(EXAMPLES / "two-vlans-routed.yaml"))
    expect(page.locator("#status")).to_contain_text("imported")
    page.click("#tab-deploy")
    page.check("input[value=agents]")
    picker = page.locator("select[data-host=host1]")
    option = picker.locator(f"option[value='{live_stack.lab_agent}']")
    expect(option).to_contain_text(f"● {live_stack.lab_agent} (alive)")
    expect(option).to_contain_text("macvlan ✓")
    expect(option).to_contain_text("kernel ")
    assert page.locator("select[data-host]").count() == 3  # one picker per host of the design
    page.click("#deploy")
    expect(page.locator("#status")).to_contain_text("choose an agent for host1")
