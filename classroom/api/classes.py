"""Classes: create one (instructors), join one with its code (students), list and read them, the
class board and the instructor's CSV of results."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from classroom import board, notify, roles
from classroom.api.common import exercise_out, taught_class, visible_class
from classroom.api.schemas import BoardRow, ClassIn, ClassOut, JoinIn
from classroom.copies import hand_out
from classroom.models import Attempt, Classroom, Membership
from designer.api.schemas import ErrorOut
from designer.errors import Refused

router = Router(tags=["classroom"])
# The join code and roster keys are absent (not null) for a student: ClassOut's defaults stay out.
CLASS = dict(exclude_unset=True)
CSV = {
    200: {
        "description": "the class's results, one row per attempt",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
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
    out["exercises"] = [exercise_out(e) for e in exercises]
    return out


@router.post("/classes", response={201: ClassOut, 400: ErrorOut, 403: ErrorOut}, **CLASS)
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


@router.post("/classes/join", response={200: ClassOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut}, **CLASS)
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


@router.get("/classes", response=list[ClassOut], **CLASS)
def list_classes(request: HttpRequest):
    rooms = Classroom.objects.filter(instructor=request.auth) | Classroom.objects.filter(
        members__student=request.auth
    )
    return [_class_out(r, request.auth) for r in rooms.select_related("instructor").distinct()]


@router.get("/classes/{class_id}", response={200: ClassOut, 404: ErrorOut}, **CLASS)
def read_class(request: HttpRequest, class_id: int):
    return _class_out(visible_class(request, class_id), request.auth)


@router.get("/classes/{class_id}/board", response={200: list[BoardRow], 404: ErrorOut})
def class_board(request: HttpRequest, class_id: int):
    """Every attempt the caller may see (all for the instructor, their own for a student)."""
    room = visible_class(request, class_id)
    return board.rows(room, None if room.instructor_id == request.auth.id else request.auth)


@router.get("/classes/{class_id}/results.csv", response={404: ErrorOut}, openapi_extra={"responses": CSV})
def class_results(request: HttpRequest, class_id: int):
    """The instructor's CSV: per attempt the student, latest deployment, goal counts (board.CSV_COLUMNS)."""
    room = taught_class(request, class_id)
    answer = HttpResponse(board.results_csv(room), content_type="text/csv; charset=utf-8")
    answer["Content-Disposition"] = f'attachment; filename="class-{room.id}-results.csv"'
    return answer
