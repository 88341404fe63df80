"""Request and response bodies of the classroom's HTTP API (docs/classroom.md).

Errors answer with the site's `ErrorOut` (designer.api.schemas), as every other endpoint does.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from designer.topology.goals import Status


class ClassIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    max_hosts: int | None = Field(default=None, ge=1, le=1000)
    max_containers: int | None = Field(default=None, ge=1, le=10000)
    max_deploys: int | None = Field(default=None, ge=1, le=100)


class ExerciseIn(Schema):
    title: str = Field(min_length=1, max_length=100)
    instructions: str = Field(default="", max_length=20_000)
    design: int
    version: int | None = None
    goals: list[str | dict[str, Any]] = Field(min_length=1, max_length=200)
    locked: list[str] = Field(default=[], max_length=500)


class JoinIn(Schema):
    code: str = Field(min_length=1, max_length=32)


class QuotasOut(Schema):
    """What one student may hold in sandboxes at once."""

    hosts: int
    containers: int
    deploys: int


class ExerciseOut(Schema):
    id: int
    title: str
    instructions: str
    goals: list[str]  # each as text, e.g. "d1 reaches d4 with TTL 63"
    locked: list[str]
    start_design: int | None  # None once the instructor deleted the design (the exercise keeps a copy)
    start_version: int | None
    opened: dt.datetime | None  # None until handed out


class ClassOut(Schema):
    """A class as its instructor (`teaching`) or a member sees it; only the instructor gets the join
    code and the roster (the keys are absent for a student)."""

    id: int
    name: str
    instructor: str
    teaching: bool
    quotas: QuotasOut
    websocket: str
    code: str = Field(default=None, description="the join code (for the instructor only)")
    students: list[str] = Field(default=None, description="the members' usernames (for the instructor only)")
    exercises: list[ExerciseOut]  # a student sees the opened ones only


class AttemptDeployment(Schema):
    """The latest deployment of an attempt's design."""

    id: str
    state: str
    detail: str
    websocket: str


class GoalItem(Schema):
    goal: str
    status: Status
    message: str


class GoalProgress(Schema):
    passed: int
    failed: int
    pending: int
    total: int
    items: list[GoalItem]


class BoardRow(Schema):
    """One attempt on the class board: who, which design, its latest deployment, the goals' progress."""

    attempt: int
    exercise: int
    exercise_title: str
    student: str
    design: int
    deployment: AttemptDeployment | None
    goals: GoalProgress


class AttemptOut(BoardRow):
    """An attempt with what its page shows: the instructions, locks, the design's latest version."""

    instructions: str
    locked: list[str]
    classroom: int
    version: int
    yaml: str
    matrix: dict[str, Any] | None  # the latest deployment's observed matrix (the `Matrix` component)


class TearingDown(Schema):
    tearing_down: list[str]  # the deployments whose teardown started
