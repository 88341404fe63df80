"""How the site reaches an agent: its queue, the tasks it runs, and the heartbeat it keeps."""

from __future__ import annotations

from pydantic import BaseModel

HEARTBEAT_PREFIX = "mvlab:agent:"
LOCK_PREFIX = "mvlab:lock:agent:"  # + name: the lock one deploy or teardown of the host holds

APPLY = "mvlab.agent.apply"  # (plan) -> {"host", "ok", "detail", "report", "probes": []}
PROBE = "mvlab.agent.probe"  # (plan) -> [ProbeEvent, ...]
TEARDOWN = "mvlab.agent.teardown"  # (deployment, hosts) -> {"deployment", "removed", "hosts": {host: result}}
FACTS = "mvlab.agent.facts"  # () -> HostFacts
SANDBOX_UP = "mvlab.agent.sandbox_up"  # (fabric, {host: plan}) -> {"deployment", "hosts": {host: result}}
SANDBOX_DOWN = "mvlab.agent.sandbox_down"  # (deployment) -> {"deployment", "removed"}


def queue(agent: str) -> str:
    """The Celery queue agent `agent` consumes."""
    return f"agent.{agent}"


def heartbeat_key(agent: str) -> str:
    return f"{HEARTBEAT_PREFIX}{agent}"


class Heartbeat(BaseModel):
    """The value of `heartbeat_key(name)`, set with a short TTL: present means alive. `start` is new
    at every start of the agent; `room` (a `contract.plan.Room`) only a lab agent's."""

    name: str
    start: str
    time: float
    facts: dict
    sandbox: bool
    room: dict | None = None
