"""Importing YAML files (button and drag-and-drop) and exporting them back unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.editor import design, node_ids

pytestmark = pytest.mark.browser
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def export(page: Page, to: str = "yaml") -> tuple[str, str]:
    """Clicks an export button; answers the downloaded file's name and text."""
    with page.expect_download() as download:
        page.click(f"#export-{to}")
    return download.value.suggested_filename, Path(download.value.path()).read_text()


def export_yaml(page: Page) -> str:
    name, text = export(page)
    assert name.endswith(".yaml")
    return text


def test_import_with_the_button_and_export_identically(editor_page: Page, live_stack):
    page = editor_page
    source = EXAMPLES / "two-vlans-routed.yaml"
    page.set_input_files("#import-file", str(source))
    expect(page.locator("#status")).to_contain_text("imported two-vlans-routed.yaml as two-vlans-routed")
    assert set(design(page)["containers"]) == {"d1", "d2", "d3", "d4"}
    assert {"hosts.host3", "segments.lan", "networks.mac10", "containers.d4"} <= node_ids(page)
    assert export_yaml(page) == source.read_text()

    # The shell and docker exports are the command line's, byte for byte.
    for to, suffix in (("sh", ".sh"), ("docker", "-docker.sh")):
        name, text = export(page, to)
        assert name == f"two-vlans-routed{suffix}"
        assert text == live_stack.manage("lab", "export", str(source), "--to", to)


def test_import_by_dropping_a_file(editor_page: Page):
    page = editor_page
    source = EXAMPLES / "router-namespace.yaml"
    page.evaluate(
        """([name, text]) => {
            const data = new DataTransfer();
            data.items.add(new File([text], name, {type: "application/yaml"}));
            for (const type of ["dragover", "drop"]) {
                const event = new DragEvent(type, {dataTransfer: data, bubbles: true, cancelable: true});
                document.body.dispatchEvent(event);
            }
        }""",
        [source.name, source.read_text()],
    )
    expect(page.locator("#status")).to_contain_text("imported router-namespace.yaml as router-namespace")
    assert design(page)["routers"]["r1"]["masquerade"] == "uplink"
    assert "routers.r1" in node_ids(page)
    assert export_yaml(page) == source.read_text()
