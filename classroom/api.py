"""The classroom's HTTP API: classes, exercises, joining, attempts, the class board and its CSV.

Instructors see their classes and every attempt in them; a student sees only the classes
they joined and their own attempts. Anything else answers 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field

from classroom import board, notify, roles
from classroom.copies import MISSING, hand_out, value_at
from classroom.models import Attempt, Classroom, Exercise, Membership
from classroom.teardown import tear_down
from designer import designs
from designer.api.schemas import ErrorOut
from designer.errors import Refused
from designer.models import Deployment, Design
from designer.topology.goals import GoalError, parse_goal, parse_goals, unknown_endpoints
from designer.topology.ipam import allocate
from designer.topology.issues import Issue
from designer.topology.predict import predict

router = Router(tags=["classroom"])


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


def _exercise_out(e: Exercise) -> dict:
    return {
        "id": e.id,
        "title": e.title,
        "instructions": e.instructions,
        "goals": [g.text() for g in parse_goals(e.goals)],
        "locked": e.locked,
        "start_design": e.start.design_id if e.start else None,
        "start_version": e.start.number if e.start else None,
        "opened": e.opened,
    }


def _class_out(room: Classroom, user) -> dict:
    teaching = room.instructor_id == user.id
    out = {
        "id": room.id,
        "name": room.name,
        "instructor": room.instructor.get_username(),
        "teaching": teaching,
        "quotas": {"hosts": room.max_hosts, "containers": room.max_containers, "deploys": room.max_deploys},
        "websocket": f"/ws/classes/{room.id}/",
    }
    exercises = room.exercises.select_related("start")
    if teaching:
        out["code"] = room.code
        out["students"] = [m.student.get_username() for m in room.members.select_related("student")]
    else:
        exercises = exercises.filter(opened__isnull=False)
    out["exercises"] = [_exercise_out(e) for e in exercises]
    return out


def _visible_class(request: HttpRequest, class_id: int) -> Classroom:
    room = get_object_or_404(Classroom.objects.select_related("instructor"), pk=class_id)
    if room.instructor_id != request.auth.id and not room.members.filter(student=request.auth).exists():
        raise Refused(404, "no such class (or you are not in it)")
    return room


def _taught_class(request: HttpRequest, class_id: int) -> Classroom:
    return get_object_or_404(
        Classroom.objects.select_related("instructor"), pk=class_id, instructor=request.auth
    )


def visible_attempt(user, attempt_id: int) -> Attempt:
    attempt = get_object_or_404(
        Attempt.objects.select_related("exercise__classroom", "exercise__start", "student", "design"),
        pk=attempt_id,
    )
    if user.id not in (attempt.student_id, attempt.exercise.classroom.instructor_id):
        raise Refused(404, "no such attempt (or it is not yours)")
    return attempt


@router.post("/classes", response={201: dict, 403: ErrorOut})
def create_class(request: HttpRequest, body: ClassIn):
    if not roles.has_role(request.auth, roles.INSTRUCTOR):
        raise Refused(403, "only instructors create classes (ask an administrator for the instructor role)")
    limits = {k: v for k, v in body.dict().items() if k != "name" and v is not None}
    for _ in range(10):
        try:
            with transaction.atomic():
                room = Classroom.objects.create(name=body.name, instructor=request.auth, **limits)
            return Status(201, _class_out(room, request.auth))
        except IntegrityError:  # the join code was taken: draw another
            continue
    raise RuntimeError("could not find a free join code")


@router.post("/classes/join", response={200: dict, 404: ErrorOut, 409: ErrorOut})
def join_class(request: HttpRequest, body: JoinIn):
    room = Classroom.objects.filter(code=body.code.strip().upper()).select_related("instructor").first()
    if room is None:
        raise Refused(404, f"no class has the join code {body.code.strip()!r}; check it with your instructor")
    if room.instructor_id == request.auth.id:
        raise Refused(409, "you teach this class; students join it")
    Membership.objects.get_or_create(classroom=room, student=request.auth)
    roles.grant(request.auth, roles.STUDENT)
    for exercise in room.exercises.filter(opened__isnull=False).select_related("start"):
        if not Attempt.objects.filter(exercise=exercise, student=request.auth).exists():
            notify.attempt_added(hand_out(exercise, request.auth))
    return _class_out(room, request.auth)


@router.get("/classes", response=list[dict])
def list_classes(request: HttpRequest):
    rooms = Classroom.objects.filter(instructor=request.auth) | Classroom.objects.filter(
        members__student=request.auth
    )
    return [_class_out(r, request.auth) for r in rooms.select_related("instructor").distinct()]


@router.get("/classes/{class_id}", response=dict)
def read_class(request: HttpRequest, class_id: int):
    return _class_out(_visible_class(request, class_id), request.auth)


@router.get("/classes/{class_id}/board", response=list[dict])
def class_board(request: HttpRequest, class_id: int):
    """Every attempt the caller may see (all for the instructor, their own for a student)."""
    room = _visible_class(request, class_id)
    return board.rows(room, None if room.instructor_id == request.auth.id else request.auth)


@router.get("/classes/{class_id}/results.csv")
def class_results(request: HttpRequest, class_id: int):
    room = _taught_class(request, class_id)
    answer = HttpResponse(board.results_csv(room), content_type="text/csv; charset=utf-8")
    answer["Content-Disposition"] = f'attachment; filename="class-{room.id}-results.csv"'
    return answer


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
        parsed = designs.parse_version(start)
        matrix = predict(parsed.design, allocate(parsed.design))
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


@router.post("/classes/{class_id}/exercises", response={201: dict, 400: ErrorOut})
def create_exercise(request: HttpRequest, class_id: int, body: ExerciseIn):
    room = _taught_class(request, class_id)
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
    return Status(201, _exercise_out(exercise))


@router.post("/exercises/{exercise_id}/open", response=dict)
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
    return _exercise_out(exercise)


@router.get("/attempts/{attempt_id}", response=dict)
def read_attempt(request: HttpRequest, attempt_id: int):
    """One attempt with its design, latest deployment, matrix and checklist (student or instructor)."""
    attempt = visible_attempt(request.auth, attempt_id)
    version = attempt.design.latest()
    deployment = board.latest_deployment(attempt)
    matrix = board.observed_matrix(deployment) if deployment is not None else None
    return {
        **board.row(attempt),
        "instructions": attempt.exercise.instructions,
        "locked": attempt.exercise.locked,
        "classroom": attempt.exercise.classroom_id,
        "version": version.number,
        "yaml": version.yaml,
        "matrix": matrix.model_dump(mode="json") if matrix is not None else None,
    }


@router.post("/attempts/{attempt_id}/reset", response={202: dict, 404: ErrorOut})
def reset_attempt(request: HttpRequest, attempt_id: int):
    """The instructor tears down a student's sandbox(es) of this attempt."""
    attempt = visible_attempt(request.auth, attempt_id)
    if attempt.exercise.classroom.instructor_id != request.auth.id:
        raise Refused(404, "no such attempt (or it is not yours)")
    holding = attempt.design.deployments.filter(state__in=(Deployment.State.DONE, Deployment.State.FAILED))
    return Status(202, {"tearing_down": tear_down(list(holding), f"reset by {request.auth.get_username()}")})
