"""The editor read and driven without a mouse, on a small screen, and checked by axe-core
(issue 12: points 12 and 13 and the accessibility pass)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import violations
from tests.browser.editor import wait_validated

pytestmark = pytest.mark.browser
# the rendered height of a container's label: its font size at the view's zoom
LABEL_PX = (
    "(() => { const cy = window.mvlab.canvas.cy;"
    " return cy.$('node.container')[0].numericStyle('font-size') * cy.zoom(); })()"
)


def open_example(page: Page, name: str) -> None:
    page.locator(f"#start [data-example={name}]").click()
    page.wait_for_function(f"window.mvlab.design.name === '{name}'")
    wait_validated(page)


def selected(page: Page) -> list[str]:
    return page.evaluate("window.mvlab.canvas.cy.$(':selected').map(e => e.id())")


def test_the_prediction_reads_before_a_deploy_and_every_reason_by_keyboard(
    editor_page: Page, artifacts: Path
):
    page = editor_page
    open_example(page, "two-vlans-routed")
    page.click("#tab-deploy")
    page.wait_for_selector("#matrix td.cell")
    cells = page.eval_on_selector_all(
        "#matrix td.cell",
        "cs => cs.map(c => ({reach: c.classList.contains('expect-reach'), text: c.textContent,"
        " state: c.dataset.state, colour: getComputedStyle(c).backgroundColor,"
        " label: c.getAttribute('aria-label')}))",
    )
    reach = [c for c in cells if c["reach"]]
    block = [c for c in cells if not c["reach"]]
    assert reach and block and {c["state"] for c in cells} == {"pending"}
    # predicted reachable and predicted blocked are distinct marks on distinct colours, not a faint dot
    assert {c["text"] for c in reach} == {"○"} and {c["text"] for c in block} == {"⊘"}
    assert len({c["colour"] for c in reach}) == 1 and {c["colour"] for c in reach}.isdisjoint(
        c["colour"] for c in block
    )
    assert all("predicted blocked" in c["label"] for c in block)
    expect(page.locator("#matrix-summary")).to_have_text(
        f"Predicted: {len(reach)} pairs reachable, {len(block)} blocked · not probed yet (deploy to check)"
    )
    expect(page.locator("#matrix-legend")).to_contain_text("○ predicted reachable · ⊘ predicted blocked")
    page.screenshot(path=str(artifacts / "matrix-predicted.png"))

    # Tab reaches the grid (one stop), the reason shows on focus; arrows walk the cells, not the drawing.
    page.locator(".matrix-filter").focus()
    page.keyboard.press("Tab")
    first = page.locator("#matrix td.cell:focus")
    expect(first).to_have_count(1)
    src, ip = first.get_attribute("data-src"), first.get_attribute("data-dst-ip")
    expect(page.locator("#matrix-why")).to_contain_text(f"{src} → ")
    expect(page.locator("#matrix-why")).to_contain_text(f"({ip})")
    layout = page.evaluate("JSON.stringify(window.mvlab.design.layout)")
    page.keyboard.press("ArrowDown")
    below = page.locator("#matrix td.cell:focus")
    assert below.get_attribute("data-src") != src and below.get_attribute("data-dst-ip") == ip
    expect(page.locator("#matrix-why")).to_contain_text(f"{below.get_attribute('data-src')} → ")
    assert page.evaluate("JSON.stringify(window.mvlab.design.layout)") == layout
    # a redraw (as when a probe brings a new pair) keeps the keyboard on the same pair
    at = (below.get_attribute("data-src"), below.get_attribute("data-dst-ip"))
    page.evaluate("window.mvlab.deploy.drawMatrix()")
    focused = page.locator("#matrix td.cell:focus")
    expect(focused).to_have_count(1)
    assert (focused.get_attribute("data-src"), focused.get_attribute("data-dst-ip")) == at
    page.keyboard.press("Tab")  # one tab stop: the next Tab leaves the grid
    expect(page.locator("#matrix td.cell:focus")).to_have_count(0)


def test_shortcut_help_and_moving_between_elements_by_keyboard(editor_page: Page):
    page = editor_page
    open_example(page, "two-vlans-routed")
    page.locator("#canvas").focus()
    page.keyboard.press("?")
    expect(page.locator("#dialog #shortcut-list")).to_be_visible()
    for keys in ("Ctrl-S", "Ctrl-Z / Ctrl-Shift-Z", "F2", "Tab / Shift-Tab", "?"):
        expect(page.locator("#shortcut-list dt", has_text=keys).first).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#dialog")).not_to_be_visible()

    page.locator("#canvas").focus()
    page.keyboard.press("Tab")
    first = selected(page)
    page.keyboard.press("Tab")
    second = selected(page)
    assert len(first) == 1 and len(second) == 1 and first != second
    expect(page.locator("#status")).to_have_text(f"selected {second[0]}")
    expect(page.locator("#properties")).to_contain_text(second[0].split(".")[-1])
    page.keyboard.press("Shift+Tab")
    assert selected(page) == first
    expect(page.locator("#canvas")).to_be_focused()


def test_at_1024_by_768_the_drawing_keeps_its_room(editor_page: Page, artifacts: Path):
    page = editor_page
    page.set_viewport_size({"width": 1024, "height": 768})
    open_example(page, "two-vlans-routed")
    page.click("#fit")
    side = page.locator("#side").bounding_box()
    canvas = page.locator("#canvas").bounding_box()
    assert side["width"] <= 330 and canvas["width"] >= 690, (side, canvas)
    assert canvas["x"] + canvas["width"] <= side["x"] + 1 and side["x"] + side["width"] <= 1024, (
        side,
        canvas,
    )
    label_px = page.evaluate(LABEL_PX)
    page.screenshot(path=str(artifacts / "editor-1024x768.png"))
    page.keyboard.press("p")  # the panel hides: the drawing takes the whole width
    expect(page.locator("#side")).to_be_hidden()
    assert page.locator("#canvas").bounding_box()["width"] >= 1000
    page.wait_for_function("window.mvlab.canvas.cy.width() >= 1000")  # Cytoscape followed its box
    page.click("#fit")
    hidden_px = page.evaluate(LABEL_PX)
    assert hidden_px >= label_px
    page.click("#panel-toggle")
    expect(page.locator("#side")).to_be_visible()
    print(
        f"1024x768: canvas {canvas['width']:.0f} px, side {side['width']:.0f} px, container labels"
        f" {label_px:.1f} px ({hidden_px:.1f} px with the panel hidden)"
    )


def test_axe_finds_nothing_serious_in_the_editor(editor_page: Page):
    page = editor_page
    wait_validated(page)
    assert violations(page) == []  # the first screen with the examples
    open_example(page, "two-vlans-routed")
    assert violations(page) == []  # the properties panel, the drawing
    page.click("#tab-issues")
    assert violations(page) == []
    page.click("#tab-deploy")
    page.wait_for_selector("#matrix td.cell")
    assert violations(page) == []  # the matrix with its prediction
    page.click("#help-button")
    expect(page.locator("#shortcut-list")).to_be_visible()
    assert violations(page) == []
