"""Connections to the Redis that carries heartbeats, event streams and the Celery broker."""

from __future__ import annotations

import redis
from django.conf import settings

from agent.events import RESTART_RETRY  # a restart of Redis costs the site a pause, not a failure


def sync_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, decode_responses=True, retry=RESTART_RETRY)
