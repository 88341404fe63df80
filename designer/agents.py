"""Which agents are alive: their heartbeat keys in Redis, mirrored into the Agent model.

An agent SETs `mvlab:agent:<name>` to `{"name", "time", "facts", "sandbox"}` with a
short TTL; the key being present is what "alive" means.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from designer.models import Agent
from designer.redis_client import sync_client

HEARTBEAT_PREFIX = "mvlab:agent:"


@dataclass(frozen=True)
class AgentStatus:
    name: str
    alive: bool
    last_seen: dt.datetime | None
    facts: dict
    sandbox: bool


def heartbeat_key(name: str) -> str:
    return f"{HEARTBEAT_PREFIX}{name}"


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


def is_alive(name: str) -> bool:
    """True when the agent's heartbeat key is present."""
    return bool(sync_client().exists(heartbeat_key(name)))


def refresh() -> list[AgentStatus]:
    """Mirrors every present heartbeat into the database; answers all agents ever seen."""
    client = sync_client()
    alive: set[str] = set()
    for key in client.scan_iter(match=f"{HEARTBEAT_PREFIX}*"):
        beat = _parse(client.get(key))
        if beat is not None:
            name = key.removeprefix(HEARTBEAT_PREFIX)
            _mirror(name, beat)
            alive.add(name)
    return [
        AgentStatus(a.name, a.name in alive, a.last_seen, a.facts, a.sandbox) for a in Agent.objects.all()
    ]
