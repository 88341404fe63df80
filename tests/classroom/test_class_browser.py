"""In Chromium: an instructor opens a class with the two-VLAN routing exercise; a student joins,
turns routing on in the editor beside their checklist, deploys into their sandbox and watches
every goal tick; the instructor's class view follows it live.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.axe import violations
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
        assert violations(teacher) == []  # axe-core: nothing serious or critical
        teacher.fill("#new-class-name", "Networks 101")
        teacher.click("#new-class")
        expect(teacher.locator("#class-name")).to_have_text("Networks 101")
        code = teacher.locator("#join-code-shown").inner_text()
        teacher.fill("#exercise-title", "Route the VLANs")
        teacher.select_option("#exercise-design", str(start["id"]))
        # goals that do not fit: every one named once, by its line counted from 1
        teacher.fill("#exercise-goals", "d1 reaches d4\nd1 pings d4\nd1 reaches d9")
        teacher.click("#add-exercise")
        expect(teacher.locator("#exercise-errors li")).to_have_text(
            [
                re.compile(r"^goals line 2: cannot read 'd1 pings d4'; write e\.g\. "),
                "goals line 3: d1 reaches d9: the design has no endpoint or address 'd9'",
            ]
        )
        expect(teacher.locator("#class-status")).to_have_text(
            "the exercise does not fit its starting design (2 problems)"
        )
        teacher.fill("#exercise-goals", "\n".join(GOALS))
        teacher.fill("#exercise-locked", "\n".join(LOCKED))
        teacher.fill("#exercise-instructions", "Make host3 route between VLAN 100 and VLAN 200.")
        teacher.click("#add-exercise")
        teacher.click(".open-exercise")
        expect(teacher.locator("#exercises .opened")).to_have_text("open")
        assert violations(teacher) == []

        student = _sign_in(student_ctx, student_name, stack.create_user(student_name))
        expect(student.locator("#join-form")).to_be_visible()
        expect(student.locator("#new-class-form")).to_have_count(0)  # creating classes is for instructors
        student.fill("#join-code", code)
        student.click("#join")
        expect(student.locator("#goal-progress")).to_have_text("0/3")
        expect(student.locator("#deploy-state")).to_have_text("not deployed")
        expect(student.locator("#locked")).to_contain_text(", ".join(LOCKED))
        row = teacher.locator(f"tr[data-student={student_name}]")
        expect(row.locator("td.state")).to_have_text("not deployed")

        frame = student.frame_locator("#editor-frame")
        frame.locator("#toolbar").wait_for()  # the editor's frame has loaded the attempt's design
        editor = student.frame(url=lambda u: "#design=" in u)
        editor.wait_for_function(
            "window.mvlab && window.mvlab.design.hosts && 'host3' in window.mvlab.design.hosts"
        )
        # the locked containers look locked in the editor: drawn so, their fields read-only, saying why
        assert editor.evaluate("window.mvlab.canvas.cy.$('.locked').map(n => n.id()).sort()") == [
            f"containers.d{i}" for i in range(1, 5)
        ]
        frame.locator("#search").fill("d1")
        frame.locator("#search").press("Enter")
        expect(frame.locator("#locked-note")).to_contain_text("Locked by the exercise: containers.d1")
        expect(frame.locator("#properties [name='name']")).to_be_disabled()
        frame.locator("#canvas").press("Delete")  # refused at once, not at Save
        expect(frame.locator("#status")).to_have_text("containers.d1 is locked by the exercise: keep it")
        assert editor.evaluate("'d1' in window.mvlab.design.containers")
        assert violations(student) == []
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
        expect(student.locator("#deploy-state")).to_have_text("deployed", timeout=DEPLOY_TIMEOUT_MS)
        expect(student.locator("li.goal.passed")).to_have_count(3)
        expect(student.locator("li.goal").first).to_contain_text(
            "d1 reaches d4 (172.16.20.11) through one router (TTL 63): passed"
        )
        student.screenshot(path=str(artifacts / "class-student-checklist.png"))

        expect(row.locator("td.progress")).to_have_text("3/3", timeout=DEPLOY_TIMEOUT_MS)
        expect(row.locator("td.state")).to_have_text("deployed", timeout=DEPLOY_TIMEOUT_MS)
        row.locator("button.view").click()
        expect(teacher.locator("#detail h3")).to_contain_text(student_name)
        expect(teacher.locator("#detail table.matrix")).to_contain_text("172.16.20.11")
        teacher.screenshot(path=str(artifacts / "class-instructor-view.png"))

        exported = teacher_ctx.request.get(teacher.locator("#export-csv").get_attribute("href"))
        rows = list(csv.DictReader(io.StringIO(exported.text())))
        assert [(r["student"], r["state"], r["passed"], r["total"]) for r in rows] == [
            (student_name, "done", "3", "3")
        ]

        assert violations(teacher) == []
        row.locator("button.reset").click()  # the per-student reset on the board
        expect(teacher.locator("#class-status")).to_contain_text(f"Tearing down {student_name}'s sandbox")
        expect(row.locator("td.state")).to_have_text("torn down", timeout=DEPLOY_TIMEOUT_MS)
        expect(student.locator("#deploy-state")).to_have_text("torn down", timeout=DEPLOY_TIMEOUT_MS)
        expect(row.locator("button.reset")).to_be_disabled()
    finally:
        teacher_ctx.close()
        student_ctx.close()
