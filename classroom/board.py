"""What the instructor's class view shows: per attempt, the deploy state and the goal progress."""

from __future__ import annotations

import csv
import io

from classroom.models import Attempt, Classroom, Exercise
from contract.events import ProbeEvent
from designer import designs
from designer.models import Deployment
from designer.results import agent_events
from designer.topology.goals import check_goals, parse_goals, progress
from designer.topology.matrix import Matrix, merge_observed


def predicted(deployment: Deployment) -> Matrix:
    """The deployed design's prediction, the one its deploy made (analysis.predicted keeps it)."""
    return designs.parse_version(deployment.version).matrix


def latest_deployment(attempt: Attempt) -> Deployment | None:
    return attempt.design.deployments.select_related("version").order_by("-created").first()


def observed_matrix(deployment: Deployment) -> Matrix:
    """The stored matrix of a finished deployment; while it runs, the probes reported so far."""
    if deployment.matrix:
        return Matrix.model_validate(deployment.matrix)
    probes = [e for e in agent_events(deployment.id) if isinstance(e, ProbeEvent)]
    return merge_observed(predicted(deployment), probes)


def goal_progress(exercise: Exercise, matrix: Matrix | None) -> dict:
    goals = parse_goals(exercise.goals)
    if matrix is None:
        return progress([]) | {
            "pending": len(goals),
            "total": len(goals),
            "items": [
                {"goal": g.text(), "status": "pending", "message": f"{g.text()}: not deployed yet"}
                for g in goals
            ],
        }
    return progress(check_goals(goals, matrix))


def deployment_out(deployment: Deployment | None) -> dict | None:
    if deployment is None:
        return None
    return {
        "id": deployment.id,
        "state": deployment.state,
        "detail": deployment.detail,
        "websocket": f"/ws/deployments/{deployment.id}/",
    }


def row(attempt: Attempt) -> dict:
    deployment = latest_deployment(attempt)
    matrix = observed_matrix(deployment) if deployment is not None else None
    return {
        "attempt": attempt.id,
        "exercise": attempt.exercise_id,
        "exercise_title": attempt.exercise.title,
        "student": attempt.student.get_username(),
        "design": attempt.design_id,
        "deployment": deployment_out(deployment),
        "goals": goal_progress(attempt.exercise, matrix),
    }


def attempts(room: Classroom, student=None):
    found = Attempt.objects.filter(exercise__classroom=room).select_related("exercise", "student", "design")
    return found if student is None else found.filter(student=student)


def rows(room: Classroom, student=None) -> list[dict]:
    return [row(a) for a in attempts(room, student)]


CSV_COLUMNS = [
    "class",
    "exercise",
    "student",
    "design",
    "deployment",
    "state",
    "passed",
    "failed",
    "pending",
    "total",
    "goals",
]


def results_csv(room: Classroom) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in rows(room):
        dep = r["deployment"] or {}
        goals = r["goals"]
        writer.writerow(
            [
                room.name,
                r["exercise_title"],
                r["student"],
                r["design"],
                dep.get("id", ""),
                dep.get("state", "not deployed"),
                goals["passed"],
                goals["failed"],
                goals["pending"],
                goals["total"],
                "; ".join(f"{i['goal']}: {i['status']}" for i in goals["items"]),
            ]
        )
    return out.getvalue()
