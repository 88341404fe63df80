"""The classroom's site tasks, and the idle sweep every site worker runs in the background.

The sweep needs no Celery beat: when a site worker is ready it starts a thread that, every
MVLAB_CLASS_SWEEP_SECONDS, takes a short Redis lock (so one worker of several sweeps) and tears
down students' sandboxes idle longer than MVLAB_CLASS_IDLE_SECONDS.
"""

from __future__ import annotations

import logging
import threading
import time

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import close_old_connections

from classroom import teardown
from designer.redis_client import sync_client

log = logging.getLogger(__name__)
SWEEP_LOCK = "mvlab:lock:classroom-sweep"


@shared_task(name="classroom.retire_previous")
def retire_previous(deployment_id: str) -> list[str]:
    return teardown.retire_previous(deployment_id)


@shared_task(name="classroom.sweep_idle")
def sweep_idle() -> list[str]:
    return teardown.sweep_idle()


def sweep_once(interval: int) -> None:
    if not sync_client().set(SWEEP_LOCK, "1", nx=True, ex=max(1, interval)):
        return
    close_old_connections()
    try:
        torn = teardown.sweep_idle()
        if torn:
            log.warning("classroom: idle sandboxes torn down: %s", ", ".join(torn))
    finally:
        close_old_connections()


def _sweep_forever(interval: int) -> None:
    while True:
        time.sleep(interval)
        try:
            sweep_once(interval)
        except Exception:  # a failed sweep must not end the thread; the next one tries again
            log.exception("classroom: the idle sweep failed")


@worker_ready.connect
def start_idle_sweep(sender=None, **kwargs) -> None:
    interval = settings.MVLAB_CLASS_SWEEP_SECONDS
    threading.Thread(target=_sweep_forever, args=(interval,), name="mvlab-idle-sweep", daemon=True).start()
    log.info("classroom: idle sweep every %d s", interval)
