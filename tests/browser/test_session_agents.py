"""The editor's own sign-in form, and the agent picker fed by the agents' heartbeats."""

from __future__ import annotations

import json
import secrets
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


def _announce_host_agent(live_stack, name: str) -> str:
    """A real-host agent `name` alive for a minute: the lab agent's heartbeat (its real facts) under
    `name`, without `sandbox`, written where a running agent writes it."""
    client = live_stack.redis()
    beat = json.loads(client.get(f"mvlab:agent:{live_stack.lab_agent}"))
    beat.update(name=name, sandbox=False, room=None, facts={**beat["facts"], "agent": name})
    client.set(f"mvlab:agent:{name}", json.dumps(beat), ex=60)
    return name


def test_agent_picker_offers_only_the_agents_granted_to_you_with_their_kernel(
    editor_page: Page, live_stack, editor_user
):
    page = editor_page
    mine = _announce_host_agent(live_stack, f"mine-{secrets.token_hex(3)}")
    _announce_host_agent(live_stack, f"theirs-{secrets.token_hex(3)}")
    page.set_input_files("#import-file", str(EXAMPLES / "two-vlans-routed.yaml"))
    expect(page.locator("#status")).to_contain_text("imported")
    page.click("#tab-deploy")
    page.check("input[value=agents]")
    expect(page.locator("#no-agents")).to_contain_text("No agent is granted to you")
    live_stack.manage("lab", "grant", mine, "--user", editor_user[0])
    page.get_by_role("button", name="Refresh agents").click()
    picker = page.locator("select[data-host=host1]")
    option = picker.locator(f"option[value='{mine}']")
    expect(option).to_contain_text(f"● {mine} (alive)")
    expect(option).to_contain_text("macvlan ✓")
    expect(option).to_contain_text("kernel ")
    offered = picker.locator("option").evaluate_all("options => options.map(o => o.value)")
    assert offered == ["", mine]  # neither `theirs` (granted to nobody) nor the lab agent (sandboxes only)
    assert page.locator("select[data-host]").count() == 3  # one picker per host of the design
    page.click("#deploy")
    expect(page.locator("#status")).to_contain_text("choose an agent for host1")
