"""Sending a deployment's tasks to its agents and waiting for their answers: the one dispatcher of the
site worker (designer.deploy) and of the command line (`lab up`, `lab down`: designer.cli.deployments).

Every task goes to the queue of its agent (contract.agents.queue), signed for that agent
(designer.agent_credentials, contract.trust). `wait` watches every sent task until it answers, its
agent stops sending heartbeats, or the time runs out. An agent records which of its starts accepted
each task (contract.trust.accepted_key) and its heartbeat names its current start: a task accepted
by an earlier start and still without a result was lost with that start (the agent was killed and
started again, maybe within its heartbeat's TTL). `wait` then sends it again under a new task id, at
most MAX_AGENT_RESENDS times (the agents reconcile what is already there; a lab agent's sandboxes
died with it and are built anew), and after that fails its hosts saying the agent restarted.

The sequences: `apply_and_probe` (each host's plan to its agent; once every apply answered, the
hosts that were made are probed: a pair across hosts needs both ends), `sandbox_up` (a lab agent
builds a whole sandbox and answers per host) and `teardown`. What the callers do differently is
passed in: `say` (where a task sent again is told: the deployment's detail, or stderr), `pause`
(what happens between two looks at the tasks: the site worker sleeps, `lab up` reads and prints the
deployment's events) and `probing` (the site records the deployment as probing).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from celery.result import AsyncResult

from contract.agents import APPLY, PROBE, SANDBOX_DOWN, SANDBOX_UP, TEARDOWN
from contract.agents import queue as agent_queue
from contract.trust import accepted_key
from designer import agent_credentials, agents
from designer.redis_client import sync_client
from mvlab.celery import app as celery_app

POLL_SECONDS = 0.5
MAX_AGENT_RESENDS = 2  # times one agent task is sent again after its agent restarted while running it

log = logging.getLogger("mvlab.deploy")

Say = Callable[[str], None]
Pause = Callable[[], object]


def _sleep() -> None:
    time.sleep(POLL_SECONDS)


def _nothing() -> None:
    return None


@dataclass
class Outcome:
    ok: bool
    detail: str = ""


def send(task: str, args: list, agent: str) -> AsyncResult:
    """`task(*args)` on the queue of `agent`, signed for it; raises NoCredential when the agent has none."""
    signed = agent_credentials.signed(agent, task, args)
    return celery_app.send_task(task, args=args, queue=agent_queue(agent), **signed)


@dataclass
class Pending:
    """A task sent to an agent (`dispatch`), what it answers for, and how often it was sent again."""

    agent: str
    task: str
    args: list
    result: AsyncResult
    hosts: list[str] = field(default_factory=list)
    resent: int = 0

    def lost(self, start: str) -> bool:
        """Whether a start of the agent other than its current `start` accepted the task and left
        it without a result (it died with that start)."""
        accepted_by = sync_client().get(accepted_key(self.result.id))
        return bool(start and accepted_by and accepted_by != start) and not self.result.ready()

    def send_again(self) -> None:
        self.result, self.resent = send(self.task, self.args, self.agent), self.resent + 1


def dispatch(task: str, args: list, agent: str, hosts: list[str]) -> Pending:
    return Pending(agent, task, args, send(task, args, agent), hosts)


def wait(
    pending: dict[str, Pending], timeout: float, say: Say = log.warning, pause: Pause = _sleep
) -> dict[str, Outcome]:
    """Waits for every task; a host whose agent stops its heartbeat or does not answer in time fails.
    A task lost with its agent's restart is sent again (MAX_AGENT_RESENDS), `say`ing so. `pause` runs
    between two looks at the tasks that left some unanswered."""
    deadline = time.monotonic() + timeout
    outcomes: dict[str, Outcome] = {}
    while len(outcomes) < len(pending):
        for key, task in pending.items():
            if key in outcomes:
                continue
            if task.result.ready():
                ok = task.result.successful()
                outcomes[key] = Outcome(ok, "" if ok else f"agent {task.agent!r}: {task.result.result}")
            elif (start := agents.start_of(task.agent)) is None:
                outcomes[key] = Outcome(False, f"agent {task.agent!r} stopped sending heartbeats")
            elif task.lost(start):
                if task.resent >= MAX_AGENT_RESENDS:
                    times = task.resent + 1
                    why = f"restarted while running {task.task}, {times} times; nothing of it runs now"
                    outcomes[key] = Outcome(False, f"agent {task.agent!r} {why}")
                else:
                    task.send_again()
                    say(f"agent {task.agent} restarted while running {task.task}: sent again")
            elif time.monotonic() > deadline:
                outcomes[key] = Outcome(False, f"no answer from agent {task.agent!r} within {timeout:.0f} s")
        if len(outcomes) < len(pending):
            pause()
    return outcomes


def per_host(outcomes: dict[str, Outcome], pending: dict[str, Pending]) -> dict[str, Outcome]:
    """Each host's outcome: its task's, refined by the per-host answer of a task for several hosts."""
    found = {}
    for key, task in pending.items():
        answer = task.result.result if outcomes[key].ok and isinstance(task.result.result, dict) else {}
        for host in task.hosts:
            one = (answer.get("hosts") or {}).get(host)
            found[host] = (
                Outcome(bool(one["ok"]), one.get("detail", "")) if isinstance(one, dict) else outcomes[key]
            )
    return found


def apply_and_probe(
    plans: dict[str, dict],
    agent_of: dict[str, str],
    timeout: float,
    say: Say = log.warning,
    *,
    probing: Callable[[], None] = _nothing,
    pause: Pause = _sleep,
) -> dict[str, Outcome]:
    """Each host's plan (as JSON) applied by its agent (`agent_of`), then the hosts whose apply
    worked probed, once every apply answered: a pair across hosts needs both ends made. `timeout`
    bounds each of the two waits; `probing()` runs between them. Each host's outcome: its apply's
    when that failed, else its probe's."""
    applies = {host: dispatch(APPLY, [plans[host]], agent, [host]) for host, agent in agent_of.items()}
    outcomes = per_host(wait(applies, timeout, say, pause), applies)
    probing()
    probes = {
        host: dispatch(PROBE, [plans[host]], agent, [host])
        for host, agent in agent_of.items()
        if outcomes[host].ok
    }
    outcomes.update(per_host(wait(probes, timeout, say, pause), probes))
    return outcomes


def sandbox_up(
    lab: str, fabric: dict, plans: dict[str, dict], timeout: float, say: Say = log.warning
) -> dict[str, Outcome]:
    """A lab sandbox of `fabric` built on lab agent `lab`, with every host's plan applied and probed
    there; each host's outcome as the lab agent answers it."""
    pending = {lab: dispatch(SANDBOX_UP, [fabric, plans], lab, sorted(plans))}
    return per_host(wait(pending, timeout, say), pending)


def teardown(
    deployment: str,
    agent_of: dict[str, str],
    timeout: float,
    *,
    sandbox: bool = False,
    say: Say = log.warning,
) -> dict[str, Outcome]:
    """What each agent made of `deployment` removed (a lab agent's: its sandbox); each agent is told
    the hosts it serves and answers for each of them."""
    hosts_of: dict[str, list[str]] = {}
    for host, agent in agent_of.items():
        hosts_of.setdefault(agent, []).append(host)
    if sandbox:
        pending = {a: dispatch(SANDBOX_DOWN, [deployment], a, hosts) for a, hosts in hosts_of.items()}
    else:
        pending = {a: dispatch(TEARDOWN, [deployment, hosts], a, hosts) for a, hosts in hosts_of.items()}
    return per_host(wait(pending, timeout, say), pending)
