"""What `lab up` and `lab down` share: the command line's deployment id, and the agents' side.

The command line names a deployment after its design, deterministically, so a second
`lab up` of the same design reconciles what the first one made and `lab down NAME`
finds it again. Without `--sandbox`, plans go through Celery to the queue
`agent.<host>` of each host (the agent is named like the host), signed for it (contract.trust),
and the agents' events are read back from the deployment's Redis stream: only those the host's
own agent signed.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable

from contract import agents
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


def _send(task: str, args: list, agent: str):
    from designer.agent_credentials import signed
    from mvlab.celery import app

    return app.send_task(task, args=args, queue=agents.queue(agent), **signed(agent, task, args))


def _last_entry(client, deployment: str) -> str:
    newest = client.xrevrange(stream_key(deployment), count=1)
    if not newest:
        return "0-0"
    entry_id = newest[0][0]
    return entry_id.decode() if isinstance(entry_id, bytes) else entry_id


def deploy_through_agents(
    plans: dict[str, HostPlan], deployment: str, timeout: float, progress: Callable[[AnyEvent], None]
) -> tuple[dict[str, tuple[bool, str]], list[AnyEvent]]:
    """Apply every plan on the agent named like its host, then probe them all; ({host: (ok, detail)}, events).

    A host is done when its agent sends its FinishedEvent (after its probes, or after a
    failed apply); a host whose agent sends no heartbeat fails at once, one whose agent
    does not answer in `timeout` seconds fails then.
    """
    from designer.agent_credentials import NoCredential, has_credential, verified
    from designer.redis_client import sync_client

    client = sync_client()
    keys: dict = {}
    after = _last_entry(client, deployment)
    finished: dict[str, FinishedEvent] = {}
    for host in plans:
        if not client.exists(heartbeat_key(host)):
            detail = (f"agent {host!r} is not alive (no heartbeat); start it on that host with "
                      f"`python -m agent --name {host} --allowed-nics NIC,...`")
            finished[host] = FinishedEvent(deployment=deployment, host=host, ok=False, detail=detail)
        elif not has_credential(host):
            detail = str(NoCredential(host))
            finished[host] = FinishedEvent(deployment=deployment, host=host, ok=False, detail=detail)
    applies = {
        host: _send(agents.APPLY, [plan.model_dump(mode="json")], host)
        for host, plan in plans.items()
        if host not in finished
    }
    probing = False
    events: list[AnyEvent] = []
    deadline = time.monotonic() + timeout
    for entry_id, raw in follow_stream(client, deployment, after, block_ms=500) if applies else ():
        agents_event = raw.get("kind") in AGENT_KINDS
        signed = verified(raw, raw.get("host"), keys) if agents_event else None
        if entry_id and signed is not None:
            event = parse_event(signed)
            events.append(event)
            progress(event)
            if isinstance(event, FinishedEvent):
                finished[event.host] = event
        if not probing and all(result.ready() for result in applies.values()):
            # probes only once every host is made: a pair across hosts needs both ends
            for host, result in applies.items():
                if result.successful():
                    _send(agents.PROBE, [plans[host].model_dump(mode="json")], host)
                elif host not in finished:  # refused before it could report: its error is all there is
                    finished[host] = FinishedEvent(deployment=deployment, host=host, ok=False,
                                                   detail=str(result.result))
            probing = True
        if set(finished) >= set(plans) or time.monotonic() > deadline:
            break
    outcomes = {host: (event.ok, event.detail) for host, event in finished.items()}
    for host in set(plans) - set(finished):
        why = f"no answer from agent {host!r} (queue {agents.queue(host)}) within {timeout:.0f} s"
        outcomes[host] = (False, why)
    return outcomes, events


def teardown_through_agents(deployment: str, timeout: float) -> dict[str, tuple[bool, str]]:
    """Ask each live host agent that reported on `deployment` to tear it down; {host: (ok, what)}.

    The hosts are read from the deployment's event stream; none when Redis is not
    there (a sandbox made by `lab up --sandbox` needs no Redis).
    """
    import redis

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
        if raw.get("kind") in ("step", "finished") and raw.get("host") != SANDBOX_HOST \
                and verified(raw, raw["host"], keys) is not None:
            hosts.add(raw["host"])
    outcomes = {}
    for host in sorted(hosts):
        beat = client.get(heartbeat_key(host))
        if beat is None or json.loads(beat).get("sandbox") or not has_credential(host):
            continue
        result = _send(agents.TEARDOWN, [deployment, [host]], host)
        try:
            answer = result.get(timeout=timeout)
            outcomes[host] = (True, "; ".join(answer["removed"]) or "nothing to remove")
        except Exception as err:  # the agent's own error, or no answer in time
            outcomes[host] = (False, str(err) or type(err).__name__)
    return outcomes
