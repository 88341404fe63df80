"""Importing YAML files (button and drag-and-drop) and exporting them back unchanged; importing a
Docker Compose file, and a Compose file per host."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from designer.topology.compose import to_compose
from designer.topology.ipam import allocate
from designer.topology.yamlio import load_design
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

    # Compose: one file per host that runs containers, each the command line's; the routing host
    # host3 runs none, and the status says so and what to run there instead.
    downloads = []
    page.on("download", lambda d: downloads.append(d))
    page.click("#export-compose")
    expect(page.locator("#status")).to_contain_text(
        "Exported the Compose files of host1, host2; host host3 runs no container or router,"
        " so it has no Compose file"
    )
    expect(page.locator("#status")).to_contain_text("run `sh design.sh host3 up` of the shell export")
    expect(page.locator("#status")).not_to_have_class("error")
    for _ in range(100):
        if len(downloads) == 2:
            break
        page.wait_for_timeout(100)
    files = {d.suggested_filename: Path(d.path()).read_text() for d in downloads}
    assert set(files) == {f"two-vlans-routed-{h}.compose.yaml" for h in ("host1", "host2")}
    for host in ("host1", "host2"):
        expected = live_stack.manage("lab", "export", str(source), "--to", "compose", "--host", host)
        assert files[f"two-vlans-routed-{host}.compose.yaml"] == expected


COMPOSE = (Path(__file__).parents[1] / "samples" / "shop.compose.yaml").read_text()  # as the API tests'


def import_compose(page: Page, source: Path, host: str | None = None) -> None:
    """Imports a Compose file with the button, naming the host it is for when asked (else the guess)."""
    page.set_input_files("#import-file", str(source))
    field = page.locator("#compose-host")
    expect(field).to_be_focused()
    if host is not None:
        field.fill(host)
    field.press("Enter")


def test_import_a_compose_file_as_a_design(editor_page: Page, tmp_path: Path):
    page = editor_page
    source = tmp_path / "docker-compose.yml"
    source.write_text(COMPOSE)
    import_compose(page, source, "nas")
    expect(page.locator("#status")).to_contain_text("imported docker-compose.yml as shop")
    imported = design(page)
    assert imported["networks"]["lan"]["parent"] == "eno1.30"
    assert imported["containers"]["web"]["networks"] == {"lan": {"ip": "192.168.1.10"}}
    assert {"hosts.nas", "networks.lan", "containers.web", "containers.db"} <= node_ids(page)


def test_a_compose_file_is_imported_for_the_host_the_user_names(editor_page: Page, tmp_path: Path):
    """The dialog guesses the host from an mvlab export's header (or the file name); Cancel imports
    nothing; a name the design cannot hold is refused, saying so."""
    page = editor_page
    loaded = load_design((EXAMPLES / "docker-8021q-trunk.yaml").read_text()).design
    source = tmp_path / "trunk-lab.compose.yaml"
    source.write_text(to_compose(loaded, allocate(loaded), "host2"))
    before = design(page)

    page.set_input_files("#import-file", str(source))
    expect(page.locator("#compose-host")).to_have_value("host2")
    page.click("#dialog-cancel")
    assert design(page) == before

    import_compose(page, source, "Rack 7")
    expect(page.locator("#import-errors")).to_contain_text("'Rack 7' is not a usable name")
    page.click("#dialog-cancel")
    assert design(page) == before

    import_compose(page, source, "rack7")
    expect(page.locator("#status")).to_contain_text("imported trunk-lab.compose.yaml as docker-8021q-trunk")
    imported = design(page)
    assert list(imported["hosts"]) == ["rack7"]
    assert {name: c["host"] for name, c in imported["containers"].items()} == {"c3": "rack7", "c4": "rack7"}
    assert {"hosts.rack7", "containers.c3", "containers.c4"} <= node_ids(page)


def test_a_compose_file_that_does_not_load_shows_its_line_and_hint(editor_page: Page, tmp_path: Path):
    page = editor_page
    source = tmp_path / "docker-compose.yml"
    unparented = COMPOSE.replace("driver_opts: {parent: eno1.30, macvlan_mode: bridge}", "driver_opts: {}")
    source.write_text(unparented)
    import_compose(page, source)
    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("line 18 · networks.lan.driver_opts")
    expect(errors).to_contain_text("add driver_opts: {parent: eth0}")


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
