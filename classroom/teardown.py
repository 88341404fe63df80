"""Tearing down students' sandboxes: the one a redeploy replaces, and those left idle too long."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone

from designer import deploy
from designer.errors import Refused
from designer.models import Deployment

log = logging.getLogger(__name__)
ENDED = (Deployment.State.DONE, Deployment.State.FAILED)


def tear_down(deployments, why: str) -> list[str]:
    started = []
    for deployment in deployments:
        try:
            deploy.start_teardown(deployment)
        except Refused as err:
            log.warning("classroom: not tearing down %s (%s): %s", deployment.id, why, err.detail)
            continue
        log.info("classroom: tearing down %s: %s", deployment.id, why)
        started.append(deployment.id)
    return started


def retire_previous(deployment_id: str) -> list[str]:
    """Tears down the earlier sandboxes of the same attempt once a new deployment of it exists."""
    new = Deployment.objects.get(pk=deployment_id)
    older = Deployment.objects.filter(design_id=new.design_id, state__in=ENDED, created__lt=new.created)
    return tear_down(older.exclude(pk=new.pk), f"replaced by {new.id}")


def idle_sandboxes(now: dt.datetime | None = None):
    """Students' sandboxes whose deployment and design have both been left alone longer than
    MVLAB_CLASS_IDLE_SECONDS (a student still editing their design keeps their sandbox)."""
    limit = (now or timezone.now()) - dt.timedelta(seconds=settings.MVLAB_CLASS_IDLE_SECONDS)
    return Deployment.objects.filter(
        design__attempt__isnull=False,
        sandbox=True,
        state__in=ENDED,
        changed__lt=limit,
        design__updated__lt=limit,
    )


def sweep_idle() -> list[str]:
    return tear_down(list(idle_sandboxes()), "idle longer than MVLAB_CLASS_IDLE_SECONDS")
