"""Which agents are alive: their heartbeat keys in Redis, mirrored into the Agent model.

An agent SETs `mvlab:agent:<name>` to its `contract.agents.Heartbeat` with a short TTL; the key
being present is what "alive" means. `start` is a random token the agent makes
at each start: another one means the agent restarted (and lost the task it was running). `room`
(lab agents only, a `contract.plan.Room`) is what the agent's machine has free now; it is not stored.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from pydantic import ValidationError

from contract.agents import HEARTBEAT_PREFIX, heartbeat_key
from contract.plan import Room
from designer.models import Agent
from designer.redis_client import sync_client


@dataclass(frozen=True)
class AgentStatus:
    name: str
    alive: bool
    last_seen: dt.datetime | None
    facts: dict
    sandbox: bool
    room: Room | None = None  # from the live heartbeat; None when dead or not advertised


def _parse(raw: str | None) -> dict | None:
    try:
        beat = json.loads(raw) if raw else None
    except ValueError:
        return None
    return beat if isinstance(beat, dict) else None


def _beat_time(beat: dict) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(float(beat["time"]), tz=dt.UTC)
    except (KeyError, TypeError, ValueError, OverflowError):
        return dt.datetime.now(tz=dt.UTC)


def _mirror(name: str, beat: dict) -> Agent:
    agent, _ = Agent.objects.update_or_create(
        name=name,
        defaults={
            "last_seen": _beat_time(beat),
            "facts": beat.get("facts") or {},
            "sandbox": bool(beat.get("sandbox")),
        },
    )
    return agent


def _room(beat: dict) -> Room | None:
    try:
        return Room.model_validate(beat["room"]) if beat.get("room") is not None else None
    except ValidationError:
        return None


def is_alive(name: str) -> bool:
    """True when the agent's heartbeat key is present."""
    return bool(sync_client().exists(heartbeat_key(name)))


def start_of(name: str) -> str | None:
    """The start id in agent `name`'s heartbeat ("" when its beat has none); None when it is not alive."""
    raw = sync_client().get(heartbeat_key(name))
    if raw is None:
        return None
    start = (_parse(raw) or {}).get("start")
    return start if isinstance(start, str) else ""


def refresh() -> list[AgentStatus]:
    """Mirrors every present heartbeat into the database; answers all agents ever seen."""
    client = sync_client()
    rooms: dict[str, Room | None] = {}
    for key in client.scan_iter(match=f"{HEARTBEAT_PREFIX}*"):
        beat = _parse(client.get(key))
        if beat is not None:
            name = key.removeprefix(HEARTBEAT_PREFIX)
            _mirror(name, beat)
            rooms[name] = _room(beat)
    return [
        AgentStatus(a.name, a.name in rooms, a.last_seen, a.facts, a.sandbox, rooms.get(a.name))
        for a in Agent.objects.all()
    ]
