"""Deploying the DESIGN.md example into the lab sandbox and watching the matrix fill in, live."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEPLOY_TIMEOUT_MS = 150_000


def cell_states(page: Page) -> list[dict]:
    return page.eval_on_selector_all(
        "#matrix td.cell",
        "cells => cells.map(c => ({src: c.dataset.src, ip: c.dataset.dstIp, state: c.dataset.state,"
        " expectReach: c.classList.contains('expect-reach'), colour: getComputedStyle(c).backgroundColor}))",
    )


def settled(page: Page) -> None:
    """Waits until every cell of the matrix has its probe's answer."""
    page.wait_for_function(
        "() => document.querySelectorAll('#matrix td.cell').length > 0"
        " && document.querySelectorAll('#matrix td.pending').length === 0",
        timeout=DEPLOY_TIMEOUT_MS,
    )


def test_deploy_to_sandbox_and_watch_the_matrix(editor_page: Page, artifacts: Path):
    page = editor_page
    page.set_input_files("#import-file", str(EXAMPLES / "two-vlans-routed.yaml"))
    expect(page.locator("#status")).to_contain_text("imported")
    page.click("#tab-deploy")
    expect(page.locator("input[value=sandbox]")).to_be_checked()

    # The prediction is there before anything is deployed: every cell pending, expectation shown.
    page.wait_for_selector("#matrix td.cell")
    predicted = cell_states(page)
    assert predicted and {c["state"] for c in predicted} == {"pending"}
    assert any(c["expectReach"] for c in predicted) and not all(c["expectReach"] for c in predicted)

    # Then the probes stream in over the websocket and settle every cell, without a reload.
    page.click("#deploy")
    expect(page.locator("#deploy-state")).to_be_visible()
    page.wait_for_function(
        "() => document.querySelectorAll('#matrix td.cell').length > 0"
        " && document.querySelectorAll('#matrix td.pending').length === 0",
        timeout=DEPLOY_TIMEOUT_MS,
    )
    cells = cell_states(page)
    mismatches = [c for c in cells if c["state"] in ("missing", "unexpected")]
    assert not mismatches, mismatches
    reached = [c for c in cells if c["state"] == "reached"]
    blocked = [c for c in cells if c["state"] == "blocked"]
    assert reached and blocked
    assert all(c["expectReach"] for c in reached) and not any(c["expectReach"] for c in blocked)
    assert {c["colour"] for c in reached} == {"rgb(35, 122, 53)"}  # green (white marks at AA contrast)
    assert {c["colour"] for c in blocked} == {"rgb(201, 42, 42)"}  # red
    expect(page.locator(".summary")).to_contain_text("0 mismatches")
    expect(page.locator("#mismatches li")).to_have_count(0)

    # d1 reaches d4 only through host3, one hop: the site's reason says so and the drawing shows it.
    page.hover("#matrix td[data-src='d1'][data-dst-ip='172.16.20.11']")
    why = page.locator(".why")
    expect(why).to_contain_text("routed by host3 (ip_forward), TTL 63")
    expect(why).to_contain_text("Path: d1 → host3 (enp0s8.100 → enp0s8.200) → d4")
    assert page.evaluate("window.mvlab.canvas.cy.getElementById('hosts.host3').hasClass('highlight')")
    assert page.evaluate("window.mvlab.canvas.cy.edges('.result-ok').length") >= 4
    page.locator("#canvas").screenshot(path=str(artifacts / "deployed-two-vlans-routed-drawing.png"))
    page.screenshot(path=str(artifacts / "deployed-two-vlans-routed.png"))

    # A reload replays the deployment's kept events: the same matrix, every step once.
    steps_before = page.locator(".host-steps li").all_inner_texts()
    page.reload()
    page.click("#tab-deploy")
    page.wait_for_function(
        "() => document.querySelectorAll('#matrix td.cell').length > 0"
        " && document.querySelectorAll('#matrix td.pending').length === 0",
        timeout=DEPLOY_TIMEOUT_MS,
    )
    assert sorted(map(repr, cell_states(page))) == sorted(map(repr, cells))
    expect(page.locator(".host-steps li")).to_have_count(len(steps_before))
    assert page.locator(".host-steps li").all_inner_texts() == steps_before

    # Deploying again offers to replace the sandbox that stands rather than build one more beside it.
    first = page.evaluate("window.mvlab.deploy.deployment")
    expect(page.locator("#standing li")).to_have_count(1)
    expect(page.locator(f"#standing li[data-deployment='{first}']")).to_contain_text("deployed")
    page.click("#deploy")
    expect(page.locator("#dialog")).to_contain_text("This design is already deployed")
    page.click("#dialog-replace")
    page.wait_for_function(
        "first => { const d = window.mvlab.deploy.deployment; return d !== null && d !== first; }",
        arg=first,
        timeout=DEPLOY_TIMEOUT_MS,
    )
    second = page.evaluate("window.mvlab.deploy.deployment")
    settled(page)
    gone = page.evaluate("id => fetch(`/api/deployments/${id}`).then(r => r.json())", first)
    assert gone["state"] == "torn_down"
    expect(page.locator("#standing li")).to_have_count(1)
    expect(page.locator(f"#standing li[data-deployment='{second}']")).to_be_visible()

    # Tearing down says so in words, for the deployment and for each of its hosts.
    expect(page.locator("#deploy-state")).to_have_attribute("data-state", "done", timeout=DEPLOY_TIMEOUT_MS)
    page.click("#teardown")
    expect(page.locator("#deploy-state")).to_have_text(
        f"deployment #{second}: torn down", timeout=DEPLOY_TIMEOUT_MS
    )
    summaries = page.locator(".host-steps summary").all_inner_texts()
    assert summaries and all(s.endswith(": torn down") for s in summaries), summaries
    expect(page.locator("#standing li")).to_have_count(0)
