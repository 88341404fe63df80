"""Exercises: an instructor creates one from a design of theirs (its goals and locks checked against
it, every problem at once) and opens it, which hands every member a private copy of the start."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Status

from classroom import notify
from classroom.api.common import exercise_out, taught_class
from classroom.api.schemas import ExerciseIn, ExerciseOut
from classroom.copies import MISSING, hand_out, value_at
from classroom.models import Attempt, Exercise
from designer import designs
from designer.api.schemas import ErrorOut
from designer.errors import Refused
from designer.models import Design
from designer.topology.goals import GoalError, parse_goal, unknown_endpoints
from designer.topology.issues import Issue

router = Router(tags=["classroom"])


def _goal_issue(err: GoalError) -> Issue:
    """A goal that cannot be read: its path once (`goals[1].ttl`), its line 1-based, the reason."""
    path, _, reason = str(err).partition(": ")
    index = int(path[len("goals[") : path.index("]")])
    return Issue("error", path, reason, line=index + 1)


def _check_exercise(body: ExerciseIn, data: dict, start) -> list:
    """The exercise's goals as stored; every unreadable goal, unknown endpoint and missing lock at once."""
    issues, goals = [], []
    for i, item in enumerate(body.goals):
        try:
            goals.append((i, parse_goal(item, f"goals[{i}]")))
        except GoalError as err:
            issues.append(_goal_issue(err))
    if goals:
        matrix = designs.parse_version(start).matrix  # the one the students' deploys of it share
        issues += [
            Issue("error", f"goals[{i}]", wrong, line=i + 1)
            for i, goal in goals
            for wrong in unknown_endpoints([goal], matrix)
        ]
    issues.sort(key=lambda issue: issue.line)  # the goals in their order
    issues += [
        Issue(
            "error",
            f"locked[{i}]",
            f"the starting design has nothing at {p!r}",
            hint="lock paths such as containers.d1 or hosts.host3.addresses",
            line=i + 1,
        )
        for i, p in enumerate(body.locked)
        if value_at(data, p) is MISSING
    ]
    if issues:
        count = f"{len(issues)} problem{'s' if len(issues) > 1 else ''}"
        raise Refused(400, f"the exercise does not fit its starting design ({count})", issues)
    return [goal.as_json() for _, goal in goals]


@router.post("/classes/{class_id}/exercises", response={201: ExerciseOut, 400: ErrorOut, 404: ErrorOut})
def create_exercise(request: HttpRequest, class_id: int, body: ExerciseIn):
    room = taught_class(request, class_id)
    design = get_object_or_404(Design, pk=body.design, owner=request.auth)
    start = (
        design.latest() if body.version is None else get_object_or_404(design.versions, number=body.version)
    )
    goals = _check_exercise(body, start.data, start)
    exercise = Exercise.objects.create(
        classroom=room,
        title=body.title,
        instructions=body.instructions,
        start=start,
        start_yaml=start.yaml,
        start_data=start.data,
        goals=goals,
        locked=body.locked,
    )
    return Status(201, exercise_out(exercise))


@router.post("/exercises/{exercise_id}/open", response={200: ExerciseOut, 404: ErrorOut})
def open_exercise(request: HttpRequest, exercise_id: int):
    """Hands the exercise out: every member gets a private copy of the start (joining later ones too)."""
    exercise = get_object_or_404(
        Exercise.objects.select_related("start"), pk=exercise_id, classroom__instructor=request.auth
    )
    if exercise.opened is None:
        exercise.opened = timezone.now()
        exercise.save(update_fields=["opened"])
    for membership in exercise.classroom.members.select_related("student"):
        if not Attempt.objects.filter(exercise=exercise, student=membership.student).exists():
            notify.attempt_added(hand_out(exercise, membership.student))
    return exercise_out(exercise)
