"""What a person does in the editor, spelled as Playwright steps (mouse on the drawing, keyboard in forms)."""

from __future__ import annotations

from playwright.sync_api import Page


def design(page: Page) -> dict:
    """The design the editor holds right now (the same JSON it saves)."""
    return page.evaluate("window.mvlab.design")


def node_ids(page: Page) -> set[str]:
    return set(page.evaluate("window.mvlab.canvas.cy.nodes().map(n => n.id())"))


def screen_point(page: Page, element_id: str) -> tuple[float, float]:
    """Where a drawn element is on the screen, for the mouse."""
    box = page.locator("#canvas").bounding_box()
    pos = page.evaluate(
        "id => { const n = window.mvlab.canvas.cy.getElementById(id);"
        " if (n.empty()) throw new Error('not drawn: ' + id); return n.renderedPosition(); }",
        element_id,
    )
    return box["x"] + pos["x"], box["y"] + pos["y"]


def click_element(page: Page, element_id: str) -> None:
    page.mouse.click(*screen_point(page, element_id))


def click_canvas(page: Page, x: float, y: float) -> None:
    """Clicks the drawing at (x, y) pixels from its top-left corner."""
    box = page.locator("#canvas").bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def place(page: Page, what: str, x: float, y: float) -> None:
    """Toolbar button `+ what`, then a click on the drawing where it goes."""
    page.click(f"#add-{what}")
    click_canvas(page, x, y)


def connect(page: Page, *pairs: tuple[str, str]) -> None:
    page.click("#connect")
    for a, b in pairs:
        click_element(page, a)
        click_element(page, b)
    page.keyboard.press("Escape")


def set_field(page: Page, name: str, value: str) -> None:
    """Types into a properties field as a person does (click, select what is there, type) and
    commits it: Enter in a one-line field, Tab out of a multi-line one."""
    field = page.locator(f"#properties [name='{name}']")
    field.click()
    page.keyboard.press("Control+a")
    page.keyboard.type(value)
    page.keyboard.press("Tab" if field.evaluate("f => f.tagName") == "TEXTAREA" else "Enter")


def rename_selected(page: Page, new_name: str) -> None:
    set_field(page, "name", new_name)


def wait_validated(page: Page) -> None:
    """Waits until the debounced validation has answered for the current design."""
    page.wait_for_function(
        "() => { const m = window.mvlab;"
        " return m.validateSeq > 0 && m.lastValidated === JSON.stringify(m.design); }"
    )


TALLY_SCRIPT = """() => {
    window.__tally = {clicks: 0, keys: 0};
    document.addEventListener("pointerdown", () => { window.__tally.clicks++; }, true);
    document.addEventListener("keydown", (ev) => {
        // a chord counts once
        if (!["Control", "Shift", "Alt", "Meta"].includes(ev.key)) window.__tally.keys++;
    }, true);
}"""


def start_tally(page: Page) -> None:
    """Counts from now on the clicks (pointer presses) and keystrokes the page receives."""
    page.evaluate(TALLY_SCRIPT)


def tally(page: Page) -> tuple[int, int]:
    counted = page.evaluate("window.__tally")
    return counted["clicks"], counted["keys"]
