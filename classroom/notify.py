"""Notifications to the class websocket group (`classroom.<id>`), and what follows a student's deploy.

Joins and new deployments are sent here; deploy states and probe results the consumer reads
from each deployment's kept event stream, so nothing is lost between the two.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from classroom.models import Attempt
from designer.models import Deployment
from mvlab.celery import app as celery_app


def group_name(classroom_id: int) -> str:
    return f"classroom.{classroom_id}"


def _send(classroom_id: int, message: dict) -> None:
    async_to_sync(get_channel_layer().group_send)(group_name(classroom_id), message)


def attempt_added(attempt: Attempt) -> None:
    """A student joined, or got a new exercise: the class view gains a row."""
    message = {"type": "class.attempt", "attempt": attempt.id, "student": attempt.student_id}
    transaction.on_commit(lambda: _send(attempt.exercise.classroom_id, message))


@receiver(post_save, sender=Deployment)
def deployment_started(sender, instance: Deployment, created: bool, **kwargs) -> None:
    if not created:
        return
    attempt = Attempt.objects.select_related("exercise").filter(design_id=instance.design_id).first()
    if attempt is None:
        return
    message = {
        "type": "class.deployment",
        "attempt": attempt.id,
        "student": attempt.student_id,
        "deployment": instance.id,
    }

    def after_commit() -> None:
        _send(attempt.exercise.classroom_id, message)
        celery_app.send_task("classroom.retire_previous", args=[instance.id], queue=settings.MVLAB_SITE_QUEUE)

    transaction.on_commit(after_commit)
