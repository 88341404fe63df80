"""The agent's jobs without Celery: apply a plan, probe applied plans, run a whole lab sandbox.

The Celery tasks of `agent.worker` call these with a Redis sink; `lab up --sandbox`
calls `run_sandbox` in-process with a list sink. Every host's run ends with exactly
one `FinishedEvent`: ok when its plan was applied and its probes ran (whatever they
observed), not ok with the reason otherwise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from agent.apply import ApplyError, ApplyReport, Target, apply_plan
from agent.probe import Job, ProbeSetupError, probe_hosts
from agent.sandbox import sandbox_up
from contract.events import FinishedEvent, ProbeEvent, StepEvent
from contract.plan import HOST_NS, HostPlan, SandboxFabric, netns_name

# Two seconds, not one: a next hop is asked for `PROBE_TRIES` times within the deadline
# (agent.neighbours), and then each pair gets as many echo requests within it; an answer lost
# to a busy macvlan broadcast queue is asked again 0.67 s later. Dead next hops and dead pairs
# cost one deadline each in all (resolving, then probing), not one per pair.
PROBE_TIMEOUT = 2.0
PROBE_TRIES = 3
Emit = Callable[[StepEvent | ProbeEvent | FinishedEvent], None]


@dataclass
class HostResult:
    """What happened on one host: applied (report), probed (probes), or why not (detail)."""

    host: str
    ok: bool = False
    detail: str = ""
    report: ApplyReport | None = None
    probes: list[ProbeEvent] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "host": self.host,
            "ok": self.ok,
            "detail": self.detail,
            "report": None if self.report is None else dataclasses.asdict(self.report),
            "probes": [event.model_dump(mode="json") for event in self.probes],
        }


def probe_jobs(plan: HostPlan, target: Target) -> list[Job]:
    """The plan's probes, each with the kernel namespace it is sent from."""

    def kernel_ns(logical: str) -> str:
        return target.host_ns if logical == HOST_NS else netns_name(plan.deployment, logical)

    return [(kernel_ns(probe.namespace), probe) for probe in plan.probes]


def _summary(probes: list[ProbeEvent]) -> str:
    differ = [f"{p.src}->{p.dst_ip}" for p in probes if p.observed != p.expected]
    text = f"{len(probes) - len(differ)} of {len(probes)} pairs as predicted"
    return text + (f"; differ: {', '.join(differ[:20])}" if differ else "")


def apply_host(plan: HostPlan, target: Target, emit: Emit) -> HostResult:
    """Apply one plan; on failure the host is finished (not ok) right away."""
    result = HostResult(plan.host)
    try:
        result.report = apply_plan(plan, target, emit)
        result.ok = True
    except (ApplyError, OSError) as exc:
        result.detail = f"apply failed: {exc}"
        emit(FinishedEvent(deployment=plan.deployment, host=plan.host, ok=False, detail=result.detail))
    return result


def probe_applied(
    plans: Mapping[str, HostPlan],
    targets: Mapping[str, Target],
    results: dict[str, HostResult],
    emit: Emit,
    timeout: float = PROBE_TIMEOUT,
    tries: int = PROBE_TRIES,
) -> None:
    """Probe every host whose apply worked, all in one pass, then finish each of them."""
    hosts = sorted(host for host, result in results.items() if result.ok)
    if not hosts:
        return
    deployment = plans[hosts[0]].deployment
    for host in hosts:
        emit(
            StepEvent(
                deployment=deployment,
                host=host,
                step="probe",
                status="started",
                detail=f"{len(plans[host].probes)} pairs",
            )
        )
    try:
        observed = probe_hosts(
            {host: probe_jobs(plans[host], targets[host]) for host in hosts}, deployment, emit, timeout, tries
        )
    except (ProbeSetupError, OSError) as exc:
        for host in hosts:
            results[host].ok, results[host].detail = False, f"probe failed: {exc}"
            emit(StepEvent(deployment=deployment, host=host, step="probe", status="failed", detail=str(exc)))
            emit(FinishedEvent(deployment=deployment, host=host, ok=False, detail=results[host].detail))
        return
    for host in hosts:
        result = results[host]
        result.probes, result.detail = observed[host], _summary(observed[host])
        emit(StepEvent(deployment=deployment, host=host, step="probe", status="done", detail=result.detail))
        emit(FinishedEvent(deployment=deployment, host=host, ok=True, detail=result.detail))


def run_sandbox(
    fabric: SandboxFabric,
    plans: Mapping[str, HostPlan],
    emit: Emit,
    timeout: float = PROBE_TIMEOUT,
    tries: int = PROBE_TRIES,
) -> dict[str, HostResult]:
    """Build (or reconcile) the sandbox, apply every plan, probe every applied plan at once."""
    try:
        targets = sandbox_up(fabric, list(plans.values()), emit)
    except (ApplyError, OSError) as exc:
        results = {host: HostResult(host, detail=f"sandbox failed: {exc}") for host in plans}
        for host, result in results.items():
            emit(FinishedEvent(deployment=fabric.deployment, host=host, ok=False, detail=result.detail))
        return results
    results = {host: apply_host(plan, targets[host], emit) for host, plan in sorted(plans.items())}
    probe_applied(plans, targets, results, emit, timeout, tries)
    return results
