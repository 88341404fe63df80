"""Drawing the two-VLAN design from an empty page with the mouse, saving, reloading, seeing it again."""

from __future__ import annotations

import ipaddress

import pytest
from playwright.sync_api import Page, expect

from tests.browser.editor import (
    click_element, connect, design, node_ids, place, rename_selected, set_field, wait_validated,
)

pytestmark = pytest.mark.browser


def draw_two_vlans(page: Page) -> None:
    """Two hosts on one wire carrying VLANs 100 and 200, a macvlan network per VLAN, four containers."""
    set_field(page, "name", "two-vlans")  # nothing selected: the design's own properties
    place(page, "hosts", 250, 300)
    place(page, "hosts", 750, 300)
    place(page, "segments", 500, 120)
    rename_selected(page, "lan")
    set_field(page, "vlans", "100, 200")
    connect(page, ("nics.host1.eth0", "segments.lan"), ("nics.host2.eth0", "segments.lan"))

    place(page, "networks", 330, 640)
    rename_selected(page, "mac10")
    set_field(page, "parent", "eth0.100")
    place(page, "networks", 700, 640)
    rename_selected(page, "mac20")
    set_field(page, "parent", "eth0.200")

    for host, name, x, y in (("host1", "d1", 200, 420), ("host1", "d2", 300, 420),
                             ("host2", "d3", 700, 420), ("host2", "d4", 800, 420)):
        click_element(page, f"nics.{host}.eth0")  # selecting a host's NIC picks the host
        place(page, "containers", x, y)
        rename_selected(page, name)
    connect(page, ("containers.d1", "networks.mac10"), ("containers.d2", "networks.mac20"),
            ("containers.d3", "networks.mac10"), ("containers.d4", "networks.mac20"))


def test_draw_save_reload(editor_page: Page, artifacts):
    page = editor_page
    draw_two_vlans(page)
    drawn = design(page)
    assert drawn["segments"]["lan"] == {"ports": ["host1.eth0", "host2.eth0"], "vlans": [100, 200]}
    assert drawn["networks"]["mac10"]["parent"] == "eth0.100"
    assert drawn["networks"]["mac20"]["subnet"] == "172.16.20.0/24"
    assert {n: c["host"] for n, c in drawn["containers"].items()} == {
        "d1": "host1", "d2": "host1", "d3": "host2", "d4": "host2"}
    assert drawn["containers"]["d3"]["networks"] == {"mac10": {}}

    # The design is valid, and IPAM shows the address it chose for d3 where the user left it empty.
    wait_validated(page)
    expect(page.locator("#issues h2")).to_have_text("No errors")
    click_element(page, "containers.d3")
    placeholder = page.locator("#properties [name='mac10.ip']").get_attribute("placeholder")
    chosen = placeholder.split()[0]
    assert ipaddress.ip_interface(chosen).ip in ipaddress.ip_network("172.16.10.0/24"), placeholder

    page.keyboard.press("Control+s")
    expect(page.locator("#status")).to_contain_text("saved two-vlans, version 1")
    page.reload()
    page.wait_for_function("window.mvlab && Object.keys(window.mvlab.design.containers).length === 4")
    assert design(page) == drawn
    assert {"hosts.host1", "hosts.host2", "segments.lan", "networks.mac10", "networks.mac20",
            "containers.d1", "containers.d4", "nics.host1.eth0"} <= node_ids(page)
    wait_validated(page)
    page.screenshot(path=str(artifacts / "drawn-two-vlans-after-reload.png"))

    # Open lists the user's designs and brings this one back after starting a new one.
    page.click("#new")
    assert design(page)["hosts"] == {}
    page.click("#open")
    page.locator("#dialog").get_by_role("button", name="two-vlans", exact=True).click()
    page.wait_for_function("Object.keys(window.mvlab.design.containers).length === 4")
    assert design(page) == drawn


def test_keyboard_delete_undo_redo_and_issue_list(editor_page: Page):
    page = editor_page
    place(page, "hosts", 300, 300)
    click_element(page, "nics.host1.eth0")
    place(page, "containers", 300, 420)
    # A container on no network: the site's own message, on the element and in the list.
    wait_validated(page)
    page.click("#tab-issues")
    issue = page.locator("#issue-list li[data-path^='containers.c1']").first
    expect(issue).to_be_visible()
    page.click("#tab-properties")
    click_element(page, "hosts.host1")
    page.click("#tab-issues")
    issue.click()
    page.click("#tab-properties")
    expect(page.locator("#properties h2")).to_have_text("container c1")
    assert page.evaluate("window.mvlab.canvas.cy.getElementById('containers.c1').hasClass('issue-error')")

    click_element(page, "containers.c1")
    page.keyboard.press("Delete")
    assert "c1" not in design(page)["containers"]
    page.keyboard.press("Control+z")
    assert "c1" in design(page)["containers"]
    page.keyboard.press("Control+Shift+z")
    assert "c1" not in design(page)["containers"]
    page.keyboard.press("Control+z")
    assert "containers.c1" in node_ids(page)


def test_keyboard_only(editor_page: Page):
    """Add, connect, rename, move and delete without the mouse."""
    page = editor_page
    page.locator("#canvas").focus()
    for key in ("h", "Enter", "c", "Enter", "n", "Enter"):  # a host, a container in it, a network
        page.keyboard.press(key)
    d = design(page)
    assert list(d["hosts"]) == ["host1"] and d["containers"] == {"c1": {"host": "host1", "networks": {}}}
    assert list(d["networks"]) == ["net1"]

    def find(name: str) -> None:
        page.keyboard.press("Control+f")
        page.keyboard.type(name)
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")

    find("c1")
    page.keyboard.press("l")
    find("net1")
    page.keyboard.press("l")
    assert design(page)["containers"]["c1"]["networks"] == {"net1": {}}

    find("c1")
    page.keyboard.press("F2")
    page.keyboard.type("web")
    page.keyboard.press("Enter")
    assert list(design(page)["containers"]) == ["web"]
    page.keyboard.press("Escape")
    before = design(page)["layout"]["containers.web"]
    page.keyboard.press("ArrowRight")
    assert design(page)["layout"]["containers.web"] == {"x": before["x"] + 10, "y": before["y"]}
    page.keyboard.press("Delete")
    assert design(page)["containers"] == {}
