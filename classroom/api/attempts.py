"""Attempts: one student's copy of an exercise, read by the student or the instructor, and the
instructor's reset (tears its sandboxes down)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from classroom import board
from classroom.api.common import visible_attempt
from classroom.api.schemas import AttemptOut, TearingDown
from classroom.teardown import tear_down
from designer.api.schemas import ErrorOut
from designer.errors import Refused
from designer.models import Deployment

router = Router(tags=["classroom"])


@router.get("/attempts/{attempt_id}", response={200: AttemptOut, 404: ErrorOut})
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


@router.post("/attempts/{attempt_id}/reset", response={202: TearingDown, 404: ErrorOut})
def reset_attempt(request: HttpRequest, attempt_id: int):
    """The instructor tears down a student's sandbox(es) of this attempt."""
    attempt = visible_attempt(request.auth, attempt_id)
    if attempt.exercise.classroom.instructor_id != request.auth.id:
        raise Refused(404, "no such attempt (or it is not yours)")
    holding = attempt.design.deployments.filter(state__in=(Deployment.State.DONE, Deployment.State.FAILED))
    return Status(202, {"tearing_down": tear_down(list(holding), f"reset by {request.auth.get_username()}")})
