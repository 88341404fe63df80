"""Version history in the editor (list, compare two versions, restore one as the newest) and
renaming and deleting designs from Open… (a delete refused while a deployment holds hosts says why)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.editor import click_element, design, rename_selected

pytestmark = pytest.mark.browser
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _import(page: Page, example: str) -> int:
    page.set_input_files("#import-file", str(EXAMPLES / f"{example}.yaml"))
    expect(page.locator("#status")).to_contain_text(f"imported {example}.yaml")
    return page.evaluate("window.mvlab.designId")


def _save(page: Page, version: int) -> None:
    page.click("#save")
    expect(page.locator("#status")).to_contain_text(f"version {version}")


def test_versions_are_listed_compared_and_restored_as_a_new_version(editor_page: Page):
    page = editor_page
    _import(page, "two-vlans-routed")  # version 1, the file as written
    _save(page, 2)  # as the editor writes it
    click_element(page, "containers.d1")
    rename_selected(page, "web1")
    _save(page, 3)

    page.click("#versions")
    rows = page.locator("#versions li")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("version 3 (latest)")
    page.click("#compare")  # the two newest are ticked
    expect(page.locator("#version-compare h3")).to_have_text("Version 2 → version 3")
    removed = page.locator("#version-diff del").all_inner_texts()
    added = page.locator("#version-diff ins").all_inner_texts()
    assert [line for line in removed if "d1" in line] and not [line for line in removed if "web1" in line]
    assert [line for line in added if "web1" in line] and not [line for line in added if "d1:" in line]
    assert len(removed) + len(added) <= 6, (removed, added)  # only what changed, not the whole file

    # Restore version 2: saved again as version 4, and shown.
    page.click("#restore-2")
    expect(page.locator("#status")).to_contain_text("restored version 2 of two-vlans-routed as version 4")
    assert "d1" in design(page)["containers"] and "web1" not in design(page)["containers"]
    page.click("#versions")
    expect(page.locator("#versions li")).to_have_count(4)
    page.click("#compare")  # 3 → 4 undoes the rename
    expect(page.locator("#version-diff ins", has_text="d1")).not_to_have_count(0)
    page.click("#dialog-cancel")


def test_rename_from_open_renames_the_open_design_and_refuses_a_bad_name_saying_why(editor_page: Page):
    page = editor_page
    design_id = _import(page, "router-namespace")
    page.click("#open")
    page.click(f"[data-rename='{design_id}']")
    field = page.locator(f"[data-design='{design_id}'] input[name=new-name]")
    expect(field).to_be_focused()
    field.fill("My Lab")
    field.press("Enter")
    expect(page.locator("#files-note")).to_contain_text("is not renamed")
    expect(page.locator("#files-note")).to_contain_text("lowercase letters")
    field.fill("router-lab")
    field.press("Enter")
    expect(page.locator("#files-note")).to_contain_text("Renamed router-namespace to router-lab (version 2)")
    expect(page.locator(f"[data-design='{design_id}'] [data-id='{design_id}']")).to_have_text("router-lab")
    page.click("#dialog-cancel")
    assert design(page)["name"] == "router-lab"
    page.click("#new")  # nothing unsaved: no question asked
    expect(page.locator("#status")).to_contain_text("New design")


def _wait_state(session, base: str, deployment: str, states: set[str]) -> str:
    for _ in range(300):
        state = session.get(f"{base}/api/deployments/{deployment}", timeout=10).json()["state"]
        if state in states:
            return state
        time.sleep(0.5)
    raise AssertionError(f"deployment {deployment} still {state}")


def test_delete_from_open_is_refused_while_deployed_saying_why(editor_page: Page, live_stack, editor_user):
    page = editor_page
    design_id = _import(page, "bridge-one-host")
    session = live_stack.sign_in(*editor_user)
    base = live_stack.url
    started = session.post(f"{base}/api/designs/{design_id}/deploy", json={"sandbox": True}, timeout=30)
    assert started.status_code == 201, started.text
    deployment = str(started.json()["id"])
    try:
        page.click("#open")
        page.click(f"[data-delete='{design_id}']")
        page.click(f"[data-confirm-delete='{design_id}']")
        note = page.locator("#files-note")
        expect(note).to_contain_text("bridge-one-host is not deleted")
        expect(note).to_contain_text(f"deployment(s) {deployment}")
        expect(note).to_contain_text("tear them down first")
        expect(page.locator(f"[data-id='{design_id}']")).to_be_visible()  # still listed
        page.click("#dialog-cancel")
    finally:
        _wait_state(session, base, deployment, {"done", "failed"})
        assert session.post(f"{base}/api/deployments/{deployment}/teardown", timeout=30).status_code == 202
        _wait_state(session, base, deployment, {"torn_down"})

    page.click("#open")
    page.click(f"[data-delete='{design_id}']")
    page.click(f"[data-confirm-delete='{design_id}']")
    expect(page.locator("#files-note")).to_contain_text("Deleted bridge-one-host and its versions.")
    expect(page.locator(f"[data-id='{design_id}']")).to_have_count(0)
    page.click("#dialog-cancel")
    # The drawing stays, now unsaved: saving makes it a new design.
    assert page.evaluate("window.mvlab.designId") is None
    page.click("#save")
    expect(page.locator("#status")).to_contain_text("saved bridge-one-host, version 1")
