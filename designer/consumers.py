"""The websocket of a deployment: its kept events from `after` on, then live ones."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from designer import events
from designer.models import Deployment

FORBIDDEN = 4403
BAD_REQUEST = 4400


@database_sync_to_async
def _owns(user, deployment_id: str) -> bool:
    return Deployment.objects.filter(pk=deployment_id, design__owner=user).exists()


def _after(query_string: bytes) -> int | None:
    """The `after` query parameter: a sequence number >= 0 (0 when absent), None when malformed."""
    values = parse_qs(query_string.decode("latin-1")).get("after", ["0"])
    try:
        after = int(values[-1])
    except ValueError:
        return None
    return after if after >= 0 else None


class DeploymentConsumer(AsyncJsonWebsocketConsumer):
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
        self.follower = asyncio.create_task(self._forward(deployment_id, after))

    async def _forward(self, deployment_id: str, after: int) -> None:
        async for seq, event in events.follow(deployment_id, after):
            await self.send_json({"seq": seq, "event": event})

    async def disconnect(self, code: int) -> None:
        if self.follower is not None:
            self.follower.cancel()
