"""Connections to the Redis that carries heartbeats, event streams and the Celery broker."""

from __future__ import annotations

import redis
from django.conf import settings


def sync_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
