"""Which agents are alive: their heartbeat keys in Redis, mirrored into the Agent model.

An agent SETs `mvlab:agent:<name>` to its `contract.agents.Heartbeat` with a short TTL; the key
being present is what "alive" means. `start` is a random token the agent makes
at each start: another one means the agent restarted (and lost the task it was running). `room`
(lab agents only, a `contract.plan.Room`) is what the agent's machine has free now; it is not stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import ValidationError

from contract.agents import HEARTBEAT_PREFIX, Heartbeat, heartbeat_key
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


def _parse(raw: str | None) -> Heartbeat | None:
    """The heartbeat in `raw`; None when there is none or it is not one (what a broken agent wrote)."""
    if not raw:
        return None
    try:
        return Heartbeat.model_validate_json(raw)
    except ValidationError:
        return None


def _mirror(name: str, beat: Heartbeat) -> Agent:
    agent, _ = Agent.objects.update_or_create(
        name=name,
        defaults={
            "last_seen": dt.datetime.fromtimestamp(beat.time, tz=dt.UTC),
            "facts": beat.facts,
            "sandbox": beat.sandbox,
        },
    )
    return agent


def _room(beat: Heartbeat) -> Room | None:
    try:
        return Room.model_validate(beat.room) if beat.room is not None else None
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
    beat = _parse(raw)
    return beat.start if beat is not None else ""


def refresh() -> list[AgentStatus]:
    """Mirrors every present heartbeat into the database; answers all agents ever seen."""
    client = sync_client()
    rooms: dict[str, Room | None] = {}
    for key in client.scan_iter(match=f"{HEARTBEAT_PREFIX}*"):
        beat = _parse(client.get(key))
        name = key.removeprefix(HEARTBEAT_PREFIX)
        if beat is not None:
            _mirror(name, beat)
            rooms[name] = _room(beat)
    return [
        AgentStatus(a.name, a.name in rooms, a.last_seen, a.facts, a.sandbox, rooms.get(a.name))
        for a in Agent.objects.all()
    ]
