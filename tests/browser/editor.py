"""What a person does in the editor, spelled as Playwright steps (mouse on the drawing, keyboard in forms)."""

from __future__ import annotations

from playwright.sync_api import Page, expect


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


def canvas_point(page: Page, x: float, y: float) -> tuple[float, float]:
    """The page point (x, y) pixels from the drawing's top-left corner."""
    box = page.locator("#canvas").bounding_box()
    return box["x"] + x, box["y"] + y


def click_canvas(page: Page, x: float, y: float) -> None:
    """Clicks the drawing at (x, y) pixels from its top-left corner."""
    page.mouse.click(*canvas_point(page, x, y))


def host_box(page: Page, host: str) -> dict[str, float]:
    """Where a host's box is drawn, in page pixels (x1, x2, y1, y2)."""
    box = page.locator("#canvas").bounding_box()
    b = page.evaluate(f"window.mvlab.canvas.cy.getElementById('hosts.{host}').renderedBoundingBox({{}})")
    return {
        "x1": box["x"] + b["x1"],
        "x2": box["x"] + b["x2"],
        "y1": box["y"] + b["y1"],
        "y2": box["y"] + b["y2"],
    }


def click_host(page: Page, host: str) -> None:
    """Clicks a host's own box (its bottom-left corner, beside its children), which selects the host."""
    b = host_box(page, host)
    page.mouse.click(b["x1"] + 6, b["y2"] - 6)


def place(page: Page, what: str, x: float, y: float) -> None:
    """Toolbar button `+ what`, then a click on the drawing where it goes."""
    page.click(f"#add-{what}")
    click_canvas(page, x, y)


def shift_click(page: Page, x: float, y: float) -> None:
    """A click with Shift held, in page pixels (while placing: the tool stays armed for the next one)."""
    page.keyboard.down("Shift")
    page.mouse.click(x, y)
    page.keyboard.up("Shift")


def name_new(page: Page, name: str) -> None:
    """Names the element just placed: its name field has the keyboard with the suggested name
    selected, so typing replaces it (the next click, or Enter, takes it)."""
    expect(page.locator("#properties [name=name]")).to_be_focused()
    page.keyboard.type(name)


def drag_onto(page: Page, dragged: str, onto: str) -> None:
    """Drags one drawn element and drops it onto another (dropped onto what it plugs into, they connect)."""
    x, y = screen_point(page, dragged)
    to_x, to_y = screen_point(page, onto)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move((x + to_x) / 2, (y + to_y) / 2, steps=4)
    page.mouse.move(to_x, to_y, steps=4)
    page.mouse.up()


def connect(page: Page, *pairs: tuple[str, str]) -> None:
    page.click("#connect")
    for a, b in pairs:
        click_element(page, a)
        click_element(page, b)
    page.keyboard.press("Escape")


def set_field(page: Page, name: str, value: str, commit: bool = True) -> None:
    """Types into a properties field as a person does (click, select what is there if anything,
    type) and commits it: Enter in a one-line field, Tab out of a multi-line one. With commit
    False the field is left as typed: the next click elsewhere commits it, as it would a person's."""
    field = page.locator(f"#properties [name='{name}']")
    field.click()
    if field.input_value():
        page.keyboard.press("Control+a")
    page.keyboard.type(value)
    if commit:
        page.keyboard.press("Tab" if field.evaluate("f => f.tagName") == "TEXTAREA" else "Enter")


def choose(page: Page, name: str, option: str) -> None:
    """Picks an option of a properties list as a person does: a click opens it, arrows walk to
    the option, Enter takes it. Chromium's open list takes those keys outside the page, where
    the tally does not see them: they are counted here."""
    select = page.locator(f"#properties [name='{name}']")
    options = select.evaluate("s => [...s.options].map(o => o.value)")
    select.click()
    steps = options.index(option) - options.index(select.input_value())
    keys = [*["ArrowDown" if steps > 0 else "ArrowUp"] * abs(steps), "Enter"]
    seen = tally(page)[1]
    for key in keys:
        page.keyboard.press(key)
    expect(select).to_have_value(option)
    page.evaluate("n => { window.__tally.keys += n; }", len(keys) - (tally(page)[1] - seen))


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
