"""In Chromium: an instructor opens a class with the two-VLAN routing exercise; a student joins,
turns routing on in the editor beside their checklist, deploys into their sandbox and watches
every goal tick; the instructor's class view follows it live.
"""

from __future__ import annotations

import csv
import io
import secrets
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.classroom.exercise import GOALS, LOCKED, START_YAML
from tests.classroom.live_class import new_instructor
from tests.live import LiveStack

pytestmark = pytest.mark.browser
DEPLOY_TIMEOUT_MS = 120_000


def _context(browser: Browser, stack: LiveStack) -> BrowserContext:
    context = browser.new_context(base_url=stack.url, viewport={"width": 1600, "height": 950})
    context.set_default_timeout(15_000)
    return context


def _sign_in(context: BrowserContext, username: str, password: str) -> Page:
    page = context.new_page()
    page.goto("/class/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_selector("#my-classes")
    return page


def test_instructor_opens_a_class_and_a_student_completes_the_routing_exercise(
    chromium,
    live_stack,
    artifacts: Path,
):
    stack = live_stack
    teacher_name, student_name = f"tch{secrets.token_hex(3)}", f"stu{secrets.token_hex(3)}"
    teacher_password = new_instructor(stack, teacher_name)
    teacher_api = stack.sign_in(teacher_name, teacher_password)  # the starting design, drawn beforehand
    start = teacher_api.post(f"{stack.url}/api/designs", json={"yaml": START_YAML}, timeout=10).json()
    teacher_ctx, student_ctx = _context(chromium, stack), _context(chromium, stack)
    try:
        teacher = _sign_in(teacher_ctx, teacher_name, teacher_password)
        teacher.fill("#new-class-name", "Networks 101")
        teacher.click("#new-class")
        expect(teacher.locator("#class-name")).to_have_text("Networks 101")
        code = teacher.locator("#join-code-shown").inner_text()
        teacher.fill("#exercise-title", "Route the VLANs")
        teacher.select_option("#exercise-design", str(start["id"]))
        teacher.fill("#exercise-goals", "\n".join(GOALS))
        teacher.fill("#exercise-locked", "\n".join(LOCKED))
        teacher.fill("#exercise-instructions", "Make host3 route between VLAN 100 and VLAN 200.")
        teacher.click("#add-exercise")
        teacher.click(".open-exercise")
        expect(teacher.locator("#exercises .opened")).to_have_text("open")

        student = _sign_in(student_ctx, student_name, stack.create_user(student_name))
        student.fill("#join-code", code)
        student.click("#join")
        expect(student.locator("#goal-progress")).to_have_text("0/3")
        expect(student.locator("#deploy-state")).to_have_text("not deployed")
        expect(student.locator("#locked")).to_contain_text(", ".join(LOCKED))
        row = teacher.locator(f"tr[data-student={student_name}]")
        expect(row.locator("td.state")).to_have_text("not deployed")

        frame = student.frame_locator("#editor-frame")
        editor = student.frame(url=lambda u: "#design=" in u)
        editor.wait_for_function(
            "window.mvlab && window.mvlab.design.hosts && 'host3' in window.mvlab.design.hosts"
        )
        frame.locator("#search").fill("host3")  # the editor's find box selects what it finds
        frame.locator("#search").press("Enter")
        frame.locator("#tab-properties").click()
        expect(frame.locator("#properties")).to_contain_text("host3")
        frame.locator("#properties [name='forwarding']").check()
        frame.locator("#save").click()
        editor.wait_for_function("window.mvlab.design.hosts.host3.forwarding === true")
        frame.locator("#tab-deploy").click()
        frame.locator("#deploy").click()

        expect(student.locator("#goal-progress")).to_have_text("3/3", timeout=DEPLOY_TIMEOUT_MS)
        expect(student.locator("#deploy-state")).to_have_text("done", timeout=DEPLOY_TIMEOUT_MS)
        expect(student.locator("li.goal.passed")).to_have_count(3)
        expect(student.locator("li.goal").first).to_contain_text(
            "d1 reaches d4 (172.16.20.11) through one router (TTL 63): passed"
        )
        student.screenshot(path=str(artifacts / "class-student-checklist.png"))

        expect(row.locator("td.progress")).to_have_text("3/3", timeout=DEPLOY_TIMEOUT_MS)
        expect(row.locator("td.state")).to_have_text("done", timeout=DEPLOY_TIMEOUT_MS)
        row.click()
        expect(teacher.locator("#detail h3")).to_contain_text(student_name)
        expect(teacher.locator("#detail table.matrix")).to_contain_text("172.16.20.11")
        teacher.screenshot(path=str(artifacts / "class-instructor-view.png"))

        exported = teacher_ctx.request.get(teacher.locator("#export-csv").get_attribute("href"))
        rows = list(csv.DictReader(io.StringIO(exported.text())))
        assert [(r["student"], r["state"], r["passed"], r["total"]) for r in rows] == [
            (student_name, "done", "3", "3")
        ]

        teacher.click("#reset")
        expect(row.locator("td.state")).to_have_text("torn_down", timeout=DEPLOY_TIMEOUT_MS)
        expect(student.locator("#deploy-state")).to_have_text("torn_down", timeout=DEPLOY_TIMEOUT_MS)
    finally:
        teacher_ctx.close()
        student_ctx.close()
