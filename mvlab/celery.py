"""The Celery application shared by the site (which sends) and the agents (which consume)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mvlab.settings")

app = Celery("mvlab")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
