"""The class page on a 1024x768 screen: a student's editor beside the checklist keeps a drawing
that can be read, and it reflows when the window grows (issue 12, point 13)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_drawing_readable import LABELS, READABLE_PX
from tests.classroom.live_class import instructor, join, open_class

pytestmark = pytest.mark.browser


def test_a_students_drawing_keeps_its_room_at_1024x768_and_reflows(chromium, live_stack, artifacts: Path):
    stack = live_stack
    room = open_class(stack, instructor(stack, f"tch{secrets.token_hex(3)}"))
    name = f"stu{secrets.token_hex(3)}"
    password = stack.create_user(name)
    join(stack, stack.sign_in(name, password), room)
    context = chromium.new_context(base_url=stack.url, viewport={"width": 1024, "height": 768})
    context.set_default_timeout(20_000)
    try:
        page = context.new_page()
        page.goto(f"/class/#class={room['id']}")
        page.fill("#id_username", name)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_selector("#my-classes")
        page.click(f"a[href='#class={room['id']}']")
        expect(page.locator("#goal-progress")).to_have_text("0/3")
        editor = page.frame_locator("#editor-frame")
        frame = page.wait_for_selector("#editor-frame[src*='design=']").content_frame()
        frame.wait_for_function("window.mvlab && 'host3' in window.mvlab.design.hosts")
        expect(editor.locator("#canvas")).to_be_visible()
        small = editor.locator("#canvas").bounding_box()
        # the panel goes under the drawing in the narrow frame: the drawing has the frame's width
        assert small["width"] >= 700 and small["height"] >= 300, (
            small
        )  # was 170 px wide beside a 460 px panel
        assert frame.evaluate("window.mvlab.canvas.cy.width()") == pytest.approx(small["width"], abs=2)
        # its labels are drawn large enough to read (too large to read whole, it is shown from its start)
        frame.wait_for_function("!window.mvlab.canvas.cy.animated()")
        drawn = frame.evaluate(LABELS)
        print(f"class page at 1024x768: labels {drawn}")
        assert drawn["shown"] > 0 and drawn["minPx"] >= READABLE_PX, drawn
        page.screenshot(path=str(artifacts / "class-student-1024x768.png"))

        page.set_viewport_size({"width": 1920, "height": 1080})
        frame.wait_for_function(
            f"window.mvlab.canvas.cy.width() > {small['width'] + 100}"
        )  # Cytoscape followed
        big = editor.locator("#canvas").bounding_box()
        assert frame.evaluate("window.mvlab.canvas.cy.width()") == pytest.approx(big["width"], abs=2)
        print(
            f"class page: drawing {small['width']:.0f}x{small['height']:.0f} at 1024x768,"
            f" {big['width']:.0f} px wide at 1920x1080"
        )
    finally:
        context.close()
