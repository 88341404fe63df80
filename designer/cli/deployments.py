"""What `lab up` and `lab down` share: the command line's deployment id, and the agents' side.

The command line names a deployment after its design, deterministically, so a second
`lab up` of the same design reconciles what the first one made and `lab down NAME`
finds it again. Without `--sandbox`, the site's dispatcher (designer.dispatch) sends the plans to
the queue `agent.<host>` of each host (the agent is named like the host), signed for it
(contract.trust), and the agents' events are read back from the deployment's Redis stream while
it waits: only those the host's own agent signed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from contract.agents import heartbeat_key
from contract.events import (
    AGENT_KINDS,
    EVENT_FIELD,
    SANDBOX_HOST,
    AnyEvent,
    FinishedEvent,
    StepEvent,
    follow_stream,
    parse_event,
    stream_key,
)
from contract.plan import HostPlan


def deployment_id(design_name: str) -> str:
    """The deployment id of a design on the command line: 10 hex digits of its name's hash."""
    return hashlib.sha256(f"mvlab-cli:{design_name}".encode()).hexdigest()[:10]


def describe(event: AnyEvent) -> str:
    """One line of progress for an event."""
    if isinstance(event, StepEvent):
        return f"{event.host}: {event.step} {event.status}" + (f" ({event.detail})" if event.detail else "")
    if isinstance(event, FinishedEvent):
        return f"{event.host}: finished, {'ok' if event.ok else 'FAILED'}" + (
            f": {event.detail}" if event.detail else ""
        )
    answer = "answers" if event.observed else "no answer"
    return f"{event.host}: {event.src} -> {event.dst} {event.dst_ip} {answer}"


def _last_entry(client, deployment: str) -> str:
    newest = client.xrevrange(stream_key(deployment), count=1)
    if not newest:
        return "0-0"
    entry_id = newest[0][0]
    return entry_id.decode() if isinstance(entry_id, bytes) else entry_id


class _AgentEvents:
    """The agents' events of a deployment as they come (those already in its stream are left out),
    each signed by the agent named like its host (contract.trust), each shown with `progress`."""

    def __init__(self, client, deployment: str, progress: Callable[[AnyEvent], None]):
        self.entries = follow_stream(client, deployment, _last_entry(client, deployment), block_ms=500)
        self.progress = progress
        self.keys: dict = {}
        self.events: list[AnyEvent] = []
        self.finished: dict[str, FinishedEvent] = {}

    def read(self) -> bool:
        """Takes the next entry, waiting at most half a second for it; False when none came."""
        from designer.agent_credentials import verified

        entry_id, raw = next(self.entries)
        signed = verified(raw, raw.get("host"), self.keys) if raw.get("kind") in AGENT_KINDS else None
        if entry_id and signed is not None:
            event = parse_event(signed)
            self.events.append(event)
            self.progress(event)
            if isinstance(event, FinishedEvent):
                self.finished[event.host] = event
        return bool(entry_id)


def deploy_through_agents(
    plans: dict[str, HostPlan],
    deployment: str,
    timeout: float,
    progress: Callable[[AnyEvent], None],
    say: Callable[[str], None],
) -> tuple[dict[str, tuple[bool, str]], list[AnyEvent]]:
    """Apply every plan on the agent named like its host, then probe them all (designer.dispatch);
    ({host: (ok, detail)}, events).

    A host is done when its agent sends its FinishedEvent (after its probes, or after a failed
    apply), whose word is its outcome; a host whose agent sends no heartbeat or has no credential
    fails at once, one whose agent does not answer in `timeout` seconds (for its apply, and again
    for its probes) fails then. The events are shown with `progress` while the agents work.
    """
    from designer import dispatch
    from designer.agent_credentials import NoCredential, has_credential
    from designer.redis_client import sync_client

    client = sync_client()
    stream = _AgentEvents(client, deployment, progress)
    refused: dict[str, tuple[bool, str]] = {}
    for host in plans:
        if not client.exists(heartbeat_key(host)):
            refused[host] = (
                False,
                f"agent {host!r} is not alive (no heartbeat); start it on that host with "
                f"`python -m agent --name {host} --allowed-nics NIC,...`",
            )
        elif not has_credential(host):
            refused[host] = (False, str(NoCredential(host)))
    sent = {host: plan.model_dump(mode="json") for host, plan in plans.items() if host not in refused}
    answers = dispatch.apply_and_probe(sent, {host: host for host in sent}, timeout, say, pause=stream.read)
    while not set(stream.finished) >= set(answers) and stream.read():
        pass  # the FinishedEvents the agents sent just before they answered
    outcomes = dict(refused)
    for host, answer in answers.items():
        finished = stream.finished.get(host)
        outcomes[host] = (finished.ok, finished.detail) if finished else (answer.ok, answer.detail)
    return outcomes, stream.events


def teardown_through_agents(
    deployment: str, timeout: float, say: Callable[[str], None]
) -> dict[str, tuple[bool, str]]:
    """Ask each live host agent that reported on `deployment` to tear it down (designer.dispatch);
    {host: (ok, what)}.

    The hosts are read from the deployment's event stream; none when Redis is not
    there (a sandbox made by `lab up --sandbox` needs no Redis).
    """
    import redis

    from designer import dispatch
    from designer.agent_credentials import has_credential, verified
    from designer.redis_client import sync_client

    client = sync_client()
    keys: dict = {}
    try:
        entries = client.xrange(stream_key(deployment))
    except redis.ConnectionError:
        return {}
    hosts = set()
    for _, fields in entries:
        raw = json.loads(fields[EVENT_FIELD])
        if (
            raw.get("kind") in ("step", "finished")
            and raw.get("host") != SANDBOX_HOST
            and verified(raw, raw["host"], keys) is not None
        ):
            hosts.add(raw["host"])
    live = []
    for host in sorted(hosts):
        beat = client.get(heartbeat_key(host))
        if beat is not None and not json.loads(beat).get("sandbox") and has_credential(host):
            live.append(host)
    answers = dispatch.teardown(deployment, {host: host for host in live}, timeout, say=say)
    return {host: (answer.ok, answer.detail) for host, answer in answers.items()}
