"""A class on the real running product: sandboxes built by the lab agent, torn down when replaced
or idle, with nothing left behind (the site worker's own idle sweep does it, as in bin/start).
"""

from __future__ import annotations

import os

import pytest

from agent import netns
from contract.plan import netns_name
from tests.classroom.exercise import SOLVED_YAML
from tests.classroom.live_class import instructor, join, open_class, wait_state
from tests.live import start_stack, stop_stack

pytestmark = [pytest.mark.integration, pytest.mark.kernel]
IDLE_SECONDS = 6
SHORT_IDLE = {"MVLAB_CLASS_IDLE_SECONDS": str(IDLE_SECONDS), "MVLAB_CLASS_SWEEP_SECONDS": "1"}


@pytest.fixture(scope="module")
def class_stack():
    """A stack of its own whose site worker tears down sandboxes idle for a few seconds."""
    saved = {name: os.environ.get(name) for name in SHORT_IDLE}
    os.environ.update(SHORT_IDLE)
    try:
        stack = start_stack()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    try:
        yield stack
    finally:
        stop_stack(stack)


def _namespaces(stack, deployment: str) -> list[str]:
    """The deployment's namespaces, where the lab agent holds them; never in the machine's /run/netns."""
    assert netns.list_namespaces(netns_name(deployment, "")) == []
    return stack.lab_namespaces(netns_name(deployment, ""))


def _statuses(stack, session, attempt: dict) -> list[str]:
    found = session.get(f"{stack.url}/api/attempts/{attempt['attempt']}", timeout=10).json()
    return [item["status"] for item in found["goals"]["items"]]


def test_a_student_solves_the_exercise_and_every_sandbox_goes_when_replaced_or_idle(class_stack):
    stack = class_stack
    teacher = instructor(stack, "teacher1")
    room = open_class(stack, teacher)
    student = stack.user("student1")
    attempt = join(stack, student, room)
    deploy = f"{stack.url}/api/designs/{attempt['design']}/deploy"

    first = student.post(deploy, json={"sandbox": True}, timeout=10).json()["id"]
    assert wait_state(stack, student, first)["state"] == "done"
    assert _namespaces(stack, first), "the first sandbox was built"
    assert _statuses(stack, student, attempt) == ["failed", "failed", "passed"]

    saved = student.put(
        f"{stack.url}/api/designs/{attempt['design']}", json={"yaml": SOLVED_YAML}, timeout=10
    )
    assert saved.status_code == 200, saved.text
    second = student.post(deploy, json={"sandbox": True}, timeout=10).json()["id"]
    assert wait_state(stack, student, second)["state"] == "done"
    assert _statuses(stack, student, attempt) == ["passed", "passed", "passed"]
    assert _statuses(stack, teacher, attempt) == ["passed", "passed", "passed"]

    assert wait_state(stack, student, first, ("torn_down",), timeout=60)["state"] == "torn_down"
    assert _namespaces(stack, first) == []
    assert f"tearing down {first}: replaced by {second}" in stack.processes["worker"].log.read_text()

    assert _namespaces(stack, second), "the solved sandbox is up until it idles"
    assert wait_state(stack, student, second, ("torn_down",), timeout=60)["state"] == "torn_down"
    assert _namespaces(stack, second) == []
    assert f"tearing down {second}: idle longer than" in stack.processes["worker"].log.read_text()
