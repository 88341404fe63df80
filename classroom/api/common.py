"""Lookups and answers the classroom's routers share: a class or attempt the caller may see
(anything else answers 404, as if it did not exist), an exercise as the API shows it."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from classroom.models import Attempt, Classroom, Exercise
from designer.errors import Refused
from designer.topology.goals import parse_goals


def exercise_out(e: Exercise) -> dict:
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


def visible_class(request: HttpRequest, class_id: int) -> Classroom:
    """A class the caller teaches or joined."""
    room = get_object_or_404(Classroom.objects.select_related("instructor"), pk=class_id)
    if room.instructor_id != request.auth.id and not room.members.filter(student=request.auth).exists():
        raise Refused(404, "no such class (or you are not in it)")
    return room


def taught_class(request: HttpRequest, class_id: int) -> Classroom:
    return get_object_or_404(
        Classroom.objects.select_related("instructor"), pk=class_id, instructor=request.auth
    )


def visible_attempt(user, attempt_id: int) -> Attempt:
    """The student's own attempt, or any attempt in a class the user teaches."""
    attempt = get_object_or_404(
        Attempt.objects.select_related("exercise__classroom", "exercise__start", "student", "design"),
        pk=attempt_id,
    )
    if user.id not in (attempt.student_id, attempt.exercise.classroom.instructor_id):
        raise Refused(404, "no such attempt (or it is not yours)")
    return attempt
