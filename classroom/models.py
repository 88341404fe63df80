"""Classes, their students, exercises and each student's attempt (a private copy of the start)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from designer.models import Design, DesignVersion

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand
CODE_LENGTH = 8


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _max_hosts() -> int:
    return settings.MVLAB_CLASS_MAX_HOSTS


def _max_containers() -> int:
    return settings.MVLAB_CLASS_MAX_CONTAINERS


def _max_deploys() -> int:
    return settings.MVLAB_CLASS_MAX_DEPLOYS


class Classroom(models.Model):
    name = models.CharField(max_length=100)
    instructor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="taught")
    code = models.CharField(max_length=CODE_LENGTH, unique=True, default=new_code, editable=False)
    max_hosts = models.PositiveSmallIntegerField(default=_max_hosts)
    max_containers = models.PositiveSmallIntegerField(default=_max_containers)
    max_deploys = models.PositiveSmallIntegerField(default=_max_deploys)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Membership(models.Model):
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="members")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    joined = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["classroom", "student__username"]
        constraints = [models.UniqueConstraint(fields=["classroom", "student"], name="one_membership")]

    def __str__(self) -> str:
        return f"{self.student} in {self.classroom}"


class Exercise(models.Model):
    """A starting design, the goals to reach and what students may not change; open once handed out."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="exercises")
    title = models.CharField(max_length=100)
    instructions = models.TextField(blank=True, default="")
    start = models.ForeignKey(
        DesignVersion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="the instructor's design version it was made from (the exercise keeps its own copy)",
    )
    start_yaml = models.TextField(help_text="the starting design every student gets")
    start_data = models.JSONField(help_text="the starting design as JSON, for the locked-element check")
    goals = models.JSONField(help_text="typed goals: [{from, to, reaches, ttl}]")
    locked = models.JSONField(default=list, blank=True, help_text="design paths students may not change")
    opened = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["classroom", "created"]

    def __str__(self) -> str:
        return self.title


class Attempt(models.Model):
    """One student's work on one exercise: their own copy of the starting design."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="attempts")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts")
    design = models.OneToOneField(Design, on_delete=models.CASCADE, related_name="attempt")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["exercise", "student__username"]
        constraints = [models.UniqueConstraint(fields=["exercise", "student"], name="one_attempt")]

    def __str__(self) -> str:
        return f"{self.student} on {self.exercise}"
