"""Site tasks, run by the site worker on queue `site` (see CELERY_TASK_ROUTES)."""

from celery import shared_task

from designer import deploy, results
from designer.models import Deployment


@shared_task(name="designer.run_deployment")
def run_deployment(deployment_id: str) -> None:
    deploy.run(deployment_id)


@shared_task(name="designer.run_teardown")
def run_teardown(deployment_id: str) -> None:
    deploy.run_teardown(deployment_id)


@shared_task(name="designer.collect")
def collect(deployment_id: str) -> None:
    """Reads the kept events again and stores a deployment's host summaries, probes and matrix anew."""
    results.collect(Deployment.objects.get(pk=deployment_id), {})
