"""Site tasks, run by the site worker on queue `site` (see CELERY_TASK_ROUTES).

Each is acknowledged only once it ran (acks_late), and given back to the queue when its worker
process dies (reject_on_worker_lost): each may run twice, which does nothing the second time
(designer.deploy holds a lease per deployment; collect stores the same results again). Every site
worker also looks, every `deploy.RECOVER_EVERY` seconds, for deployments whose task is gone
(`deploy.recover_orphans`) and for agents' Redis users a restart of Redis forgot
(`agent_credentials.restore_users`).
"""

import logging
import threading
import time

from celery import shared_task
from celery.signals import worker_ready
from django.db import connection

from designer import agent_credentials, deploy, results
from designer.models import Deployment

log = logging.getLogger("mvlab.deploy")
AT_LEAST_ONCE = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(name="designer.run_deployment", **AT_LEAST_ONCE)
def run_deployment(deployment_id: str) -> None:
    deploy.run(deployment_id)


@shared_task(name="designer.run_teardown", **AT_LEAST_ONCE)
def run_teardown(deployment_id: str) -> None:
    deploy.run_teardown(deployment_id)


@shared_task(name="designer.collect", **AT_LEAST_ONCE)
def collect(deployment_id: str) -> None:
    """Reads the kept events again and stores a deployment's host summaries, probes and matrix anew."""
    results.collect(Deployment.objects.get(pk=deployment_id), {})


def _restore_agent_users() -> None:
    made = agent_credentials.restore_users()
    if made:
        log.warning("Redis had forgotten the Redis users of agents %s (it restarted): made again", made)


CHECKS = {
    "looking for deployments whose site task is gone": deploy.recover_orphans,
    "making agents' forgotten Redis users again": _restore_agent_users,
}


def _recover_forever() -> None:
    while True:
        for what, check in CHECKS.items():
            try:
                check()
            except Exception:  # a failed pass (Redis or the database away) must not end the next ones
                log.exception("%s failed", what)
        connection.close()  # this thread's own connection
        time.sleep(deploy.RECOVER_EVERY)


@worker_ready.connect(weak=False)
def _start_recovering(**_) -> None:
    threading.Thread(target=_recover_forever, name="mvlab-recover-orphans", daemon=True).start()
