"""The results of a deployment, read back from its event stream and stored with it.

Per host: which steps were applied, which failed, and why the host ended as it did.
The matrix: every pair the design predicts, with what the probes observed beside it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from pydantic import ValidationError

from contract.events import (
    AGENT_KINDS,
    SANDBOX_HOST,
    FinishedEvent,
    ProbeEvent,
    StepEvent,
    parse_event,
)
from designer import agent_credentials, designs
from designer.events import read_all
from designer.models import Deployment, ProbeResult
from designer.topology.matrix import merge_observed

log = logging.getLogger("mvlab.results")


def empty_host(agent: str) -> dict:
    return {"agent": agent, "state": "pending", "applied": [], "failed": [], "interrupted": [], "detail": ""}


def _serving(deployment_id: str) -> dict[str, str]:
    """host -> the agent that serves it in the deployment (a sandbox's own events: its lab agent)."""
    row = Deployment.objects.filter(pk=deployment_id).values_list("hosts", "sandbox").first()
    hosts, sandbox = row if row else ({}, False)
    serving = {host: info.get("agent") for host, info in hosts.items() if isinstance(info, dict)}
    if sandbox and len(set(serving.values())) == 1:
        serving[SANDBOX_HOST] = next(iter(serving.values()))
    return serving


def event_verifier(deployment_id: str) -> Callable[[dict], dict | None]:
    """A check of the deployment's agent events (contract.trust): an event's fields when the agent that
    serves its host signed it, else None (forged, e.g. probe results of another agent's host). It
    reads every key it needs now, so calling it needs neither the database nor Redis."""
    serving, keys = _serving(deployment_id), {}
    for agent in set(serving.values()):
        agent_credentials.cached_key(agent, keys)

    def verify(raw: dict) -> dict | None:
        agent = serving.get(raw.get("host"))
        return agent_credentials.verified(raw, agent, keys) if agent else None

    return verify


def agent_events(deployment_id: str) -> list[StepEvent | ProbeEvent | FinishedEvent]:
    """The agents' events of a deployment, each signed by the agent that serves its host; the site's
    own state entries, unreadable events and those not so signed are left out, and the last logged."""
    verify, found, refused = event_verifier(deployment_id), [], 0
    for _id, raw in read_all(deployment_id):
        if raw.get("kind") not in AGENT_KINDS:
            continue
        data = verify(raw)
        if data is None:
            refused += 1
            continue
        try:
            found.append(parse_event(data))
        except ValidationError:
            continue
    if refused:
        log.warning(
            "deployment %s: %d event(s) not signed by the agent serving their host were ignored",
            deployment_id,
            refused,
        )
    return found


def summarize_host(host: dict, events: list, outcome: tuple[bool, str] | None) -> dict:
    """What one host applied and what not, from its events and the answer of its task.

    `applied` are the steps the agent finished, `failed` those it reported failing,
    `interrupted` those it started and never ended (its agent died or timed out there);
    a failed host's `detail` says why and that the rest of its plan was not applied.
    """
    steps = [e for e in events if isinstance(e, StepEvent)]
    applied = [e.step for e in steps if e.status == "done"]
    failed = [f"{e.step}: {e.detail}" if e.detail else e.step for e in steps if e.status == "failed"]
    ended = {e.step for e in steps if e.status != "started"}
    interrupted = [e.step for e in steps if e.status == "started" and e.step not in ended]
    finished = [e for e in events if isinstance(e, FinishedEvent)]
    ok, detail = outcome if outcome is not None else (bool(finished), "" if finished else "no answer")
    if finished and not finished[-1].ok:
        ok, detail = False, detail or finished[-1].detail or "the agent reported failure"
    ok = ok and not failed
    if not ok:
        done = ", ".join(applied) or "nothing"
        detail = f"{detail or 'a step failed'}; applied: {done}; the rest of the plan was not applied"
    return {
        **host,
        "state": "done" if ok else "failed",
        "applied": applied,
        "failed": failed,
        "interrupted": interrupted,
        "detail": detail,
    }


def final_matrix(deployment: Deployment, probes: list[ProbeEvent]) -> dict:
    """The predicted matrix of the deployed version (the one its plans carry, kept by analysis.predicted)
    with what the probes observed filled in."""
    return merge_observed(designs.parse_version(deployment.version).matrix, probes).model_dump(mode="json")


def _store_probes(deployment: Deployment, probes: list[ProbeEvent]) -> None:
    deployment.probes.all().delete()
    latest = {(p.src, p.dst, p.dst_ip): p for p in probes}
    ProbeResult.objects.bulk_create(
        ProbeResult(
            deployment=deployment,
            host=p.host,
            src=p.src,
            dst=p.dst,
            dst_ip=p.dst_ip,
            expected=p.expected,
            observed=p.observed,
            rtt_ms=p.rtt_ms,
            ttl=p.ttl,
        )
        for p in latest.values()
    )


def collect(deployment: Deployment, outcomes: dict[str, tuple[bool, str]]) -> dict:
    """Stores the host summaries, probe results and final matrix; answers the host summaries."""
    events = agent_events(deployment.id)
    probes = [e for e in events if isinstance(e, ProbeEvent)]
    deployment.hosts = {
        name: summarize_host(host, [e for e in events if e.host == name], outcomes.get(name))
        for name, host in deployment.hosts.items()
    }
    deployment.matrix = final_matrix(deployment, probes)
    deployment.save(update_fields=["hosts", "matrix"])
    _store_probes(deployment, probes)
    return deployment.hosts
