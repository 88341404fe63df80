"""Paths inside a design's JSON (`containers.d1`, `hosts.host3.addresses`) and a student's private copy."""

from __future__ import annotations

from django.db import transaction

from classroom.models import Attempt, Exercise
from designer import designs

MISSING = object()


def value_at(data: dict, path: str):
    """The part of a design's JSON at a dotted path; MISSING when the design has none there."""
    node = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


@transaction.atomic
def hand_out(exercise: Exercise, student) -> Attempt:
    """The student's attempt at the exercise, made once: their own Design holding the start as version 1."""
    found = Attempt.objects.filter(exercise=exercise, student=student).first()
    if found is not None:
        return found
    version = designs.create(student, designs.parse(yaml_text=exercise.start_yaml))
    return Attempt.objects.create(exercise=exercise, student=student, design=version.design)
