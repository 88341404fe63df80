"""Driving a class through a running mvlab (tests.live): an instructor, an open exercise, students."""

from __future__ import annotations

import time

import requests

from tests.classroom.exercise import GOALS, LOCKED, START_YAML
from tests.live import LiveStack

ENDED = ("done", "failed", "torn_down")


def new_instructor(stack: LiveStack, username: str) -> str:
    """A new user with the instructor role; answers the password."""
    password = stack.create_user(username)
    stack.manage("classroom_role", username, "instructor")
    return password


def instructor(stack: LiveStack, username: str) -> requests.Session:
    return stack.sign_in(username, new_instructor(stack, username))


def open_class(stack: LiveStack, teacher: requests.Session, name: str = "Networks 101", **limits) -> dict:
    """A class with the two-VLAN routing exercise open; answers the class as the instructor reads it."""
    design = teacher.post(f"{stack.url}/api/designs", json={"yaml": START_YAML}, timeout=10).json()
    room = teacher.post(f"{stack.url}/api/classes", json={"name": name, **limits}, timeout=10)
    assert room.status_code == 201, room.text
    room = room.json()
    exercise = teacher.post(
        f"{stack.url}/api/classes/{room['id']}/exercises",
        timeout=10,
        json={
            "title": "Route the VLANs",
            "design": design["id"],
            "goals": GOALS,
            "locked": LOCKED,
            "instructions": "Make host3 route between VLAN 100 and VLAN 200.",
        },
    )
    assert exercise.status_code == 201, exercise.text
    teacher.post(f"{stack.url}/api/exercises/{exercise.json()['id']}/open", timeout=10).raise_for_status()
    return room


def join(stack: LiveStack, student: requests.Session, room: dict) -> dict:
    """Joins the class; answers the student's one attempt."""
    student.post(f"{stack.url}/api/classes/join", json={"code": room["code"]}, timeout=10).raise_for_status()
    rows = student.get(f"{stack.url}/api/classes/{room['id']}/board", timeout=10).json()
    assert len(rows) == 1, rows
    return rows[0]


def wait_state(
    stack: LiveStack, session: requests.Session, deployment: str, states=ENDED, timeout: float = 120
) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        found = session.get(f"{stack.url}/api/deployments/{deployment}", timeout=10).json()
        if found["state"] in states:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(
                f"deployment {deployment} still {found['state']} after {timeout} s:\n{stack.logs()}"
            )
        time.sleep(0.3)
