"""The two roles, as Django groups: instructors create classes; students join them with a code."""

from __future__ import annotations

from django.contrib.auth.models import Group

INSTRUCTOR = "instructor"
STUDENT = "student"


def has_role(user, role: str) -> bool:
    return user.is_authenticated and user.groups.filter(name=role).exists()


def grant(user, role: str) -> None:
    group, _ = Group.objects.get_or_create(name=role)
    user.groups.add(group)
