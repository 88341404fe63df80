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
    """Types into a properties field and commits it (Enter / leaving the field)."""
    field = page.locator(f"#properties [name='{name}']")
    field.fill(value)
    field.evaluate("f => f.blur()")


def rename_selected(page: Page, new_name: str) -> None:
    set_field(page, "name", new_name)


def wait_validated(page: Page) -> None:
    """Waits until the debounced validation has answered for the current design."""
    page.wait_for_function(
        "() => { const m = window.mvlab;"
        " return m.validateSeq > 0 && m.lastValidated === JSON.stringify(m.design); }"
    )
