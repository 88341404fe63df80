"""The websocket of a deployment: its kept events after the cursor `after`, then live ones."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from urllib.parse import parse_qs

import redis
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from contract.closes import BAD_REQUEST, FORBIDDEN, INTERNAL_ERROR, UNAVAILABLE
from designer import events
from designer.models import Deployment

log = logging.getLogger(__name__)


@database_sync_to_async
def _owns(user, deployment_id: str) -> bool:
    return Deployment.objects.filter(pk=deployment_id, design__owner=user).exists()


def _after(query_string: bytes) -> str | None:
    """The `after` query parameter: an entry id, `0` when absent; None when malformed."""
    values = parse_qs(query_string.decode("latin-1")).get("after", ["0"])
    return events.parse_cursor(values[-1])


async def close_when_redis_fails(consumer: AsyncJsonWebsocketConsumer, what: str, work: Awaitable) -> None:
    """Runs a websocket's stream reader; when Redis fails it (4503) or anything else does (4500),
    closes the socket so the browser reconnects, instead of leaving it open and silent."""
    try:
        await work
    except redis.RedisError as err:
        log.warning("closing the websocket of %s: its events cannot be read: %r", what, err)
        await consumer.close(code=UNAVAILABLE)
    except Exception:
        log.exception("closing the websocket of %s", what)
        await consumer.close(code=INTERNAL_ERROR)


class DeploymentConsumer(AsyncJsonWebsocketConsumer):
    # It reads its events from the stream and takes no messages from other consumers: no channel
    # layer, so no second Redis connection (and idle blocking read) per open socket.
    channel_layer_alias = None
    follower: asyncio.Task | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        deployment_id = self.scope["url_route"]["kwargs"]["deployment_id"]
        if user is None or not user.is_authenticated or not await _owns(user, deployment_id):
            await self.close(code=FORBIDDEN)
            return
        after = _after(self.scope.get("query_string", b""))
        if after is None:
            await self.close(code=BAD_REQUEST)
            return
        await self.accept()
        forward = self._forward(deployment_id, after)
        what = f"deployment {deployment_id}"
        self.follower = asyncio.create_task(close_when_redis_fails(self, what, forward))

    async def _forward(self, deployment_id: str, after: str) -> None:
        async for entry_id, event in events.follow(deployment_id, after):
            await self.send_json({"id": entry_id, "event": event})

    async def disconnect(self, code: int) -> None:
        if self.follower is not None:
            self.follower.cancel()
