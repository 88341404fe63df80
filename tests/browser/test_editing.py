"""The editor never loses what is typed, never throws work away unasked, and says at the field
what a value must look like (issue 12: points 1, 2, 8, 9 and 14)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.editor import (
    click_canvas,
    click_element,
    design,
    place,
    rename_selected,
    set_field,
    wait_validated,
)

pytestmark = pytest.mark.browser


def tool_armed(page: Page) -> bool:
    mode = page.locator("#canvas").get_attribute("data-mode")
    return page.locator("#toolbar button.active").count() > 0 or mode not in (None, "idle")


def test_typing_survives_every_change_and_never_arms_a_tool(editor_page: Page):
    page = editor_page
    # The design's own form: the name is committed by Tab, which changes the design at once and
    # brings a validation answer ~400 ms later; typing goes on through both.
    page.locator("#properties [name=name]").click()
    page.keyboard.press("Control+a")
    page.keyboard.type("tutorial")
    page.keyboard.press("Tab")
    description = page.locator("#properties [name=description]")
    expect(description).to_be_focused()
    text = "hosts, segments and networks: a shared lab"
    page.keyboard.type(text, delay=35)  # 1.5 s: across the panel's update and the validation answer
    expect(description).to_be_focused()
    expect(description).to_have_value(text)
    assert not tool_armed(page)
    assert design(page)["name"] == "tutorial" and design(page)["hosts"] == {}

    # A network's fields: a click elsewhere commits, the next field keeps focus and caret.
    place(page, "networks", 500, 300)
    page.locator("#properties [name=gateway]").click()
    page.keyboard.type("172.16.10.1")
    page.locator("#properties [name=ip_range]").click()
    page.keyboard.type("172.16.10.0/2", delay=40)
    wait_validated(page)
    ip_range = page.locator("#properties [name=ip_range]")
    expect(ip_range).to_be_focused()
    assert ip_range.evaluate("f => [f.selectionStart, f.value.length]") == [13, 13]
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    assert design(page)["networks"]["net1"]["gateway"] == "172.16.10.1"
    assert design(page)["networks"]["net1"]["ip_range"] == "172.16.10.0/25"

    # Shortcut letters typed in a text field stay there, whatever field it is.
    for selector in ("#search", "#properties [name=aux_addresses]"):
        page.locator(selector).click()
        page.keyboard.type("hiscnrl")
        assert not tool_armed(page), selector
        page.keyboard.press("Escape")
    assert list(design(page)["networks"]) == ["net1"] and design(page)["hosts"] == {}


def test_new_and_open_ask_before_leaving_unsaved_work_and_undo_brings_it_back(editor_page: Page):
    page = editor_page
    place(page, "hosts", 300, 300)
    page.click("#new")
    dialog = page.locator("#dialog")
    expect(dialog).to_contain_text("has changes that are not saved")
    page.click("#dialog-cancel")
    assert list(design(page)["hosts"]) == ["host1"]

    page.click("#new")
    page.click("#dialog-discard")
    page.wait_for_function("Object.keys(window.mvlab.design.hosts).length === 0")
    expect(page.locator("#undo")).to_be_enabled()
    page.click("#undo")
    assert list(design(page)["hosts"]) == ["host1"]
    expect(page.locator("#design-name")).to_contain_text("unsaved changes")

    # Saved, changed again, then Open… an example: "save, then continue" keeps the change.
    page.keyboard.press("Control+s")
    expect(page.locator("#status")).to_contain_text("version 1")
    saved_id = page.evaluate("window.mvlab.designId")
    place(page, "hosts", 700, 300)
    page.click("#open")
    page.click("#dialog [data-example=two-hosts-same-network]")
    expect(dialog).to_contain_text("has changes that are not saved")
    page.click("#dialog-save")
    page.wait_for_function("window.mvlab.design.name === 'two-hosts-same-network'")
    assert page.evaluate("window.mvlab.designId") != saved_id
    # Undo steps back to the saved design, still tied to its id (a save adds a version to it).
    page.click("#undo")
    page.wait_for_function("window.mvlab.design.name === 'untitled'")
    assert (
        set(design(page)["hosts"]) == {"host1", "host2"}
        and page.evaluate("window.mvlab.designId") == saved_id
    )
    page.keyboard.press("Control+s")
    expect(page.locator("#status")).to_contain_text("version 3")  # version 2: saved on the way to the example


def test_a_container_placed_outside_a_host_says_why_and_keeps_the_tool(editor_page: Page):
    page = editor_page
    place(page, "containers", 300, 300)
    expect(page.locator("#status")).to_have_class("error")
    expect(page.locator("#status")).to_contain_text("add a host first")
    place(page, "hosts", 300, 300)
    click_element(page, "nics.host1.eth0")
    rename_selected(page, "enp0s8")
    click_canvas(page, 900, 700)  # nothing selected
    page.click("#add-containers")
    click_canvas(page, 900, 700)  # far from the host
    expect(page.locator("#status")).to_contain_text("a container lives in a host: click inside a host's box")
    expect(page.locator("#add-containers")).to_have_class(re.compile("active"))
    click_element(page, "nics.host1.enp0s8")
    assert design(page)["containers"]["c1"]["host"] == "host1"
    # The next host gets the NIC name the first one was given.
    place(page, "hosts", 800, 300)
    assert design(page)["hosts"]["host2"]["nics"] == ["enp0s8"]


def test_an_address_is_checked_at_its_field_and_the_ipam_form_is_accepted(editor_page: Page):
    page = editor_page
    place(page, "hosts", 300, 300)
    click_element(page, "nics.host1.eth0")
    place(page, "containers", 300, 420)
    place(page, "networks", 700, 420)
    page.click("#connect")
    click_element(page, "containers.c1")
    click_element(page, "networks.net1")
    page.keyboard.press("Escape")
    click_element(page, "containers.c1")
    wait_validated(page)
    field = page.locator("#properties [name='net1.ip']")
    placeholder = field.get_attribute("placeholder")
    assert re.fullmatch(r"172\.16\.10\.\d+ \(ipam\)", placeholder), placeholder

    set_field(page, "net1.ip", "172.16.10.7/24")  # the form IPAM shows elsewhere: taken
    assert design(page)["containers"]["c1"]["networks"]["net1"] == {"ip": "172.16.10.7"}
    for wrong, why in (
        ("172.16.10.7/16", "the network 172.16.10.0/24 is /24; write the address alone"),
        ("172.16.10.300", "'172.16.10.300' is not an address"),
    ):
        set_field(page, "net1.ip", wrong)
        error = page.locator("#properties .field-error", has_text=why)
        expect(error).to_be_visible()
        expect(field).to_have_value(wrong)
        expect(field).to_have_attribute("aria-invalid", "true")
        assert design(page)["containers"]["c1"]["networks"]["net1"] == {"ip": "172.16.10.7"}
        wait_validated(page)  # the panel updates; the refused text and its reason stay
        expect(field).to_have_value(wrong)
        expect(error).to_be_visible()
    set_field(page, "net1.ip", "172.16.10.8")
    expect(page.locator("#properties .field-error:visible")).to_have_count(0)
    assert design(page)["containers"]["c1"]["networks"]["net1"] == {"ip": "172.16.10.8"}

    # A network's subnet is checked the same way.
    click_element(page, "networks.net1")
    set_field(page, "subnet", "172.16.10.5/24")
    expect(page.locator("#properties .field-error", has_text="the network is 172.16.10.0/24")).to_be_visible()
    assert design(page)["networks"]["net1"]["subnet"] == "172.16.10.0/24"


def test_incomplete_drawing_never_gets_a_400_and_deploy_waits_for_a_valid_design(editor_page: Page):
    page = editor_page
    refused = []
    page.on(
        "response",
        lambda r: refused.append((r.url, r.status)) if "/api/" in r.url and r.status >= 400 else None,
    )
    assert page.locator("link[rel=icon]").evaluate(
        "l => new Promise(ok => { const i = new Image(); i.onload = () => ok(i.width > 0);"
        " i.onerror = () => ok(false); i.src = l.href; })"
    )
    place(page, "hosts", 300, 300)
    click_element(page, "nics.host1.eth0")
    place(page, "containers", 300, 420)  # on no network yet
    place(page, "segments", 600, 150)  # plugged into nothing yet
    click_element(page, "nics.host1.eth0")
    place(page, "routers", 380, 420)  # a router with no legs yet
    place(page, "networks", 700, 420)
    wait_validated(page)
    assert refused == []
    page.click("#tab-issues")
    for path in ("containers.c1.networks", "segments.lan1.ports", "routers.r1.networks"):
        expect(page.locator(f"#issue-list li[data-path='{path}']")).to_be_visible()

    page.click("#tab-deploy")
    expect(page.locator("#deploy")).to_be_disabled()
    expect(page.locator("#deploy-blocked")).to_contain_text(re.compile(r"Fix the design's \d+ errors first"))
    assert refused == []  # no prediction was asked for either
    page.click("#teardown")
    expect(page.locator("#status")).to_have_text("Nothing to tear down: this design is not deployed.")
