"""The first screen offers the examples, and a file that does not load says where and why
(issue 12: points 4 and 6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.editor import design, wait_validated

pytestmark = pytest.mark.browser
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TUTORIAL_LABS = ("docker-8021q-trunk", "two-hosts-same-network", "macvlan-modes", "host-isolation-shim")


def test_first_screen_offers_the_examples_and_no_error(editor_page: Page):
    page = editor_page
    start = page.locator("#start")
    expect(start).to_be_visible()
    names = start.locator("[data-example]").evaluate_all("bs => bs.map(b => b.dataset.example)")
    assert sorted(names) == sorted(p.stem for p in EXAMPLES.glob("*.yaml"))
    for lab in TUTORIAL_LABS:
        teaches = start.locator(f"li:has([data-example='{lab}']) .help").inner_text()
        assert len(teaches) > 40 and teaches.endswith("."), (lab, teaches)
    wait_validated(page)
    expect(page.locator("#status")).not_to_have_class("error")
    expect(page.locator("#tab-issues")).to_have_text("Issues (0)")
    expect(page.locator("#tab-issues")).not_to_have_class("bad")

    page.click("#tab-deploy")
    expect(page.locator("#deploy")).to_be_disabled()
    expect(page.locator("#deploy-blocked")).to_have_text(
        "Nothing to deploy yet: draw a design, or open an example."
    )
    page.click("#tab-properties")

    start.locator("[data-example=docker-8021q-trunk]").click()
    page.wait_for_function("window.mvlab.design.name === 'docker-8021q-trunk'")
    assert set(design(page)["hosts"]) == {"host1", "host2", "gw"}
    expect(page.locator("#status")).to_contain_text("opened the example docker-8021q-trunk as your design")
    expect(start).to_be_hidden()
    wait_validated(page)
    expect(page.locator("#issues h2")).to_have_text("No errors")

    # Open… offers them too, beside the user's own designs (the example just opened is one now).
    opened = page.evaluate("window.mvlab.designId")
    page.click("#open")
    expect(page.locator(f"#dialog [data-id='{opened}']")).to_have_text("docker-8021q-trunk")
    expect(page.locator("#dialog [data-example=macvlan-modes]")).to_be_visible()
    page.click("#dialog-cancel")


def test_an_import_that_does_not_load_shows_line_path_and_hint(editor_page: Page, tmp_path: Path):
    page = editor_page
    text = (EXAMPLES / "docker-8021q-trunk.yaml").read_text()
    cases = (
        (
            "typo.yaml",
            text.replace("vlans: [100", "vlan: [100"),
            ["line 13 · segments.trunk.vlan: unknown key 'vlan'", "did you mean 'vlans'?"],
        ),
        ("broken.yaml", text.replace("hosts:\n", "hosts: [\n", 1), ["line 9 · the file: YAML syntax error"]),
    )
    for name, body, wanted in cases:
        path = tmp_path / name
        path.write_text(body)
        page.set_input_files("#import-file", str(path))
        errors = page.locator("#dialog #import-errors")
        for words in wanted:
            expect(errors).to_contain_text(words)
        expect(page.locator("#status")).to_contain_text(f"import {name}: the design does not load")
        page.click("#dialog-cancel")
    assert design(page)["hosts"] == {}  # nothing was loaded
