"""The class websocket `/ws/classes/<id>/`: one per class, GNS3-style notifications.

On connect it sends the board (`{"kind": "board", "rows": [...]}`), then:
`{"kind": "attempt", "row"}` when a student joins or gets an exercise,
`{"kind": "deploy", "attempt", "deployment", "state", "detail"}` as a deployment changes state,
`{"kind": "goals", "attempt", "deployment", "goals"}` as probe results arrive.
The instructor gets every attempt of the class; a student only their own. Deploy states and
probe results are read from each deployment's kept event stream (the same one the deployment
websocket replays), so a late connection misses nothing. When Redis cannot be read, the socket
closes with 4503 and the page reconnects (and gets the board anew).
"""

from __future__ import annotations

import asyncio

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from pydantic import ValidationError

from classroom import board
from classroom.models import Attempt, Classroom
from classroom.notify import group_name
from contract.closes import FORBIDDEN
from contract.events import ProbeEvent, parse_event
from designer import events, results
from designer.consumers import close_when_redis_fails
from designer.models import Deployment
from designer.topology.goals import check_goals, parse_goals, progress
from designer.topology.matrix import merge_observed


@database_sync_to_async
def _role(user, class_id: int) -> str | None:
    room = Classroom.objects.filter(pk=class_id).first()
    if room is None or not user.is_authenticated:
        return None
    if room.instructor_id == user.id:
        return "instructor"
    return "student" if room.members.filter(student=user).exists() else None


@database_sync_to_async
def _board(class_id: int, student) -> tuple[list[dict], dict[int, str]]:
    room = Classroom.objects.get(pk=class_id)
    rows = board.rows(room, student)
    return rows, {r["attempt"]: r["deployment"]["id"] for r in rows if r["deployment"]}


@database_sync_to_async
def _row(attempt_id: int) -> dict:
    return board.row(Attempt.objects.select_related("exercise", "student", "design").get(pk=attempt_id))


@database_sync_to_async
def _checker(attempt_id: int, deployment_id: str):
    """The goals of the attempt and the predicted matrix of the deployed version."""
    attempt = Attempt.objects.select_related("exercise").get(pk=attempt_id)
    deployment = Deployment.objects.select_related("version").get(pk=deployment_id)
    return parse_goals(attempt.exercise.goals), board.predicted(deployment)


def _probe(raw: dict | None) -> ProbeEvent | None:
    if raw is None:  # not signed by the agent serving its host (results.event_verifier)
        return None
    try:
        event = parse_event(raw)
    except ValidationError:
        return None
    return event if isinstance(event, ProbeEvent) else None


class ClassConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        self.class_id = int(self.scope["url_route"]["kwargs"]["class_id"])
        self.followers: dict[int, asyncio.Task] = {}
        role = await _role(user, self.class_id) if user is not None else None
        if role is None:
            await self.close(code=FORBIDDEN)
            return
        self.student_id = None if role == "instructor" else user.id
        await self.accept()
        await self.channel_layer.group_add(group_name(self.class_id), self.channel_name)
        rows, deployments = await _board(self.class_id, None if self.student_id is None else user)
        await self.send_json({"kind": "board", "role": role, "rows": rows})
        for attempt_id, deployment_id in deployments.items():
            self._follow(attempt_id, deployment_id)

    def _mine(self, message: dict) -> bool:
        return self.student_id is None or message["student"] == self.student_id

    async def class_attempt(self, message: dict) -> None:
        if self._mine(message):
            await self.send_json({"kind": "attempt", "row": await _row(message["attempt"])})

    async def class_deployment(self, message: dict) -> None:
        if self._mine(message):
            self._follow(message["attempt"], message["deployment"])

    def _follow(self, attempt_id: int, deployment_id: str) -> None:
        old = self.followers.pop(attempt_id, None)
        if old is not None:
            old.cancel()
        forward = self._forward(attempt_id, deployment_id)
        what = f"class {self.class_id} (deployment {deployment_id})"
        self.followers[attempt_id] = asyncio.create_task(close_when_redis_fails(self, what, forward))

    async def _forward(self, attempt_id: int, deployment_id: str) -> None:
        """The deployment's state and goal progress: one summary of the kept events, then each live one."""
        goals, predicted = await _checker(attempt_id, deployment_id)
        verify = await database_sync_to_async(results.event_verifier)(deployment_id)
        kept = events.id_order(await events.last_id(deployment_id))
        base = {"attempt": attempt_id, "deployment": deployment_id}
        probes: list[ProbeEvent] = []
        state = None
        async for entry_id, raw in events.follow(deployment_id):
            probe = _probe(verify(raw))
            if raw.get("kind") == "deployment":
                state = {"kind": "deploy", **base, "state": raw.get("state"), "detail": raw.get("detail", "")}
            elif probe is not None:
                probes.append(probe)
            if events.id_order(entry_id) > kept:
                if probe is not None:
                    await self._send_goals(base, goals, predicted, probes)
                elif raw.get("kind") == "deployment":
                    await self.send_json(state)
            elif events.id_order(entry_id) == kept:
                if state is not None:
                    await self.send_json(state)
                if probes:
                    await self._send_goals(base, goals, predicted, probes)

    async def _send_goals(self, base: dict, goals, predicted, probes: list[ProbeEvent]) -> None:
        results = check_goals(goals, merge_observed(predicted, probes))
        await self.send_json({"kind": "goals", **base, "goals": progress(results)})

    async def disconnect(self, code: int) -> None:
        for task in getattr(self, "followers", {}).values():
            task.cancel()
        if hasattr(self, "student_id"):
            await self.channel_layer.group_discard(group_name(self.class_id), self.channel_name)
