"""The agent as a Celery worker: its own app (no Django), JSON only, one queue `agent.<name>`.

The site sends it the tasks of `contract.agents` by name with `send_task`; each one emits its
events to the Redis stream of its deployment (`agent.events`).

A lab agent (`--sandbox`) is rootless: at start, before it starts any thread, it forks a
`RootlessHelper` (agent.rootless) that drops to an unprivileged user (when started as root) and
enters user, mount and network namespaces of its own; every sandbox is built, probed and removed
there, and its events come back over the helper's pipe. The worker itself stays in the machine's
network namespace, where it reaches its broker (also on loopback). The sandboxes live as long as
the helper, which lives as long as the worker. Started as root, the worker then gives root up and
becomes the helper's user too, where that user can read the code it imports (agent.privileges).

Only the site commands an agent (contract.trust): every task message must carry the site's signature
for this agent (`mvlab_signature`, over the agent's name, the task, its id, expiry and arguments) and a
task id `agent.<name>.*`; anything else is refused before it runs, with a failed `verify` step in
the deployment's stream when its arguments name one, and acknowledged so it is gone. So is a
message that expired, or whose task id this agent accepted before (a replay): each accepted id is
recorded under `mvlab:accepted:<id>` (contract.trust.accepted_key) until its message expires. This
also refuses Celery's own redelivery of an id the agent took (a message restored from the unacked
keys after its worker died): the site never counts on it, it sends a lost task again under a new
id. Every event the agent adds to a stream is signed with its key. Its Redis user may touch only
its own keys, so the worker keeps its unacked messages in keys of its own and runs without remote
control (pidbox) and worker events, which would need keys shared by every worker.

A host is changed by one task at a time: the worker runs one task at a time
(solo pool) and every changing task holds the Redis lock `mvlab:lock:agent:<name>`,
so even two workers started under one name never interleave two deploys. A
heartbeat thread keeps `mvlab:agent:<name>` alive while the worker runs. The beat carries the
agent's start id, a random token made at each start, which its accepted-task records carry too: the
site sees that a task the agent accepted was lost when the agent's start id changed before its
result came (designer.dispatch.wait).
"""

from __future__ import annotations

import ipaddress
import logging
import math
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

import redis
from celery import Celery, Task, states
from celery.signals import worker_ready, worker_shutdown
from celery.worker.strategy import default as default_strategy
from pydantic import BaseModel, ValidationError

from agent.apply import Target, teardown
from agent.events import RESTART_RETRY, RedisEventSink
from agent.facts import host_facts
from agent.host_lock import hold_host
from agent.privileges import drop_to
from agent.room import measure_room
from agent.rootless import RootlessError, RootlessHelper
from agent.run import HostResult, apply_host, probe_applied, run_sandbox
from agent.sandbox import sandbox_down as remove_sandbox
from contract import agents
from contract.events import SANDBOX_HOST, FinishedEvent, StepEvent
from contract.plan import DEPLOYMENT_RE, HostFacts, HostPlan, SandboxFabric, check_name
from contract.trust import accepted_key, seconds_left, sign_event, task_id_prefix, task_refusal, unacked_keys

# The agent's one Redis, $MVLAB_BROKER_URL (as `lab agent add` prints it, with the agent's own Redis
# user): Celery's broker and results, events, heartbeat and host lock.
BROKER_ENV = "MVLAB_BROKER_URL"
REMOVED_ENV = ("MVLAB_RESULT_BACKEND", "MVLAB_REDIS_URL")  # refused: $MVLAB_BROKER_URL is all of them
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
HEARTBEAT_TTL = 15
HEARTBEAT_EVERY = 5

log = logging.getLogger("mvlab.agent")


def broker_url() -> str:
    return os.environ.get(BROKER_ENV, DEFAULT_BROKER)


def redis_url() -> str:
    """The broker's URL for redis-py (kombu's redis+socket:// is redis-py's unix://)."""
    url = broker_url()
    return "unix://" + url.removeprefix("redis+socket://") if url.startswith("redis+socket://") else url


def refuse_removed_env() -> None:
    """Variables of another Redis for results or events, which the agent no longer reads: refused
    rather than ignored, so no agent runs against another Redis than its operator meant."""
    for name in REMOVED_ENV:
        if name in os.environ:
            raise SystemExit(
                f"agent: ${name} is set, but the agent's broker, results, events, heartbeat and lock all "
                f"use ${BROKER_ENV} (unset {name})"
            )


CELERY_URL_ENV = ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")


class AgentTask(Task):
    """A task of the agent: its messages are checked (`verified_strategy`) before they run."""

    Strategy = "agent.worker:verified_strategy"


# no Django fixup, even when DJANGO_SETTINGS_MODULE is set
app = Celery("mvlab-agent", fixups=[], task_cls=AgentTask)
app.conf.update(
    broker_url=broker_url(),
    result_backend=broker_url(),
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    worker_enable_remote_control=False,  # pidbox: keys and channels shared by every worker
)


@dataclass(frozen=True)
class AgentConfig:
    name: str
    sandbox: bool
    allowed_nics: frozenset[str]
    allowed_routes: tuple = ()
    sandbox_uid: int | None = None  # the user a lab agent's rootless helper becomes (None: stays this one)
    key: bytes = field(default=b"", repr=False)  # contract.trust.signing_key of its secret
    start: str = field(default_factory=lambda: secrets.token_hex(8))  # new at every start of the agent

    @property
    def queue(self) -> str:
        return agents.queue(self.name)


_config: AgentConfig | None = None


def configure(
    name: str,
    sandbox: bool,
    allowed_nics: frozenset[str],
    allowed_routes: tuple = (),
    sandbox_uid: int | None = None,
    key: bytes = b"",
) -> AgentConfig:
    global _config
    _config = AgentConfig(name, sandbox, allowed_nics, allowed_routes, sandbox_uid, key)
    return _config


def config() -> AgentConfig:
    if _config is None:
        raise RuntimeError("the agent is not configured: start it with `python -m agent --name NAME`")
    return _config


class LabSandboxes:
    """Where a lab agent's sandboxes live: its rootless helper, and the host facts measured there
    once (they cannot change while it lives, and the helper may be busy with a sandbox for minutes)."""

    def __init__(self, cfg: AgentConfig):
        self.helper = RootlessHelper(as_uid=cfg.sandbox_uid)
        self.facts = self.helper.call(host_facts, cfg.name, cfg.allowed_nics)


_lab: LabSandboxes | None = None


def lab_sandboxes() -> LabSandboxes:
    """This lab agent's sandboxes; an error once its helper ended (and they with it), which also
    stops the heartbeat, so the site places no more sandboxes here."""
    if _lab is None:
        raise RuntimeError(f"agent {config().name} runs no lab sandboxes: start it with --sandbox")
    if not _lab.helper.alive():
        raise RootlessError(
            f"agent {config().name}: its rootless helper (pid {_lab.helper.pid}) ended, "
            "and every sandbox with it; restart the agent"
        )
    return _lab


def agent_facts() -> HostFacts:
    cfg = config()
    return lab_sandboxes().facts if cfg.sandbox else host_facts(cfg.name, cfg.allowed_nics)


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(redis_url(), retry=RESTART_RETRY)


def host_lock():
    """Hold this agent's host: one deploy or teardown at a time, across workers (agent.host_lock). A
    machine apply that loses the lock is interrupted; a lab agent's sandbox call in its rootless
    helper cannot be, so it fails at its end."""
    cfg = config()
    return hold_host(cfg.name, redis_client(), interrupt=not cfg.sandbox)


class PlanRejected(ValueError):
    """A plan or fabric that does not validate on the agent side."""


def validated(model: type[BaseModel], data: object, what: str) -> BaseModel:
    """`data` as `model`, or a failed `validate` step (when the deployment is known) and PlanRejected."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        name = config().name
        detail = f"agent {name} rejected the {what}: {exc}"
        deployment = data.get("deployment") if isinstance(data, dict) else None
        if isinstance(deployment, str) and DEPLOYMENT_RE.match(deployment):
            host = data.get("host") if isinstance(data.get("host"), str) else name
            sink = sink_for(deployment)
            sink(StepEvent(deployment=deployment, host=host, step="validate", status="failed", detail=detail))
            sink(FinishedEvent(deployment=deployment, host=host, ok=False, detail=detail))
        raise PlanRejected(detail) from None


def machine_target() -> Target:
    cfg = config()
    if cfg.sandbox:
        raise RuntimeError(f"agent {cfg.name} runs lab sandboxes; send it sandbox_up, not a host plan")
    return Target.machine(cfg.allowed_nics, cfg.allowed_routes, broker_addresses())


def broker_addresses() -> set[str]:
    """The addresses this agent reaches its broker at (none for a unix socket or loopback)."""
    host = urlparse(broker_url()).hostname
    if not host:
        return set()
    found = {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    return {address for address in found if not ipaddress.ip_address(address).is_loopback}


def sink_for(deployment: str) -> RedisEventSink:
    cfg = config()
    return RedisEventSink(
        redis_url(), deployment, redis_client(), lambda data: sign_event(cfg.key, cfg.name, data)
    )


def refusal_of(message) -> str | None:
    """Why this agent must not run a task message, or None when the site signed it for this agent."""
    cfg = config()
    try:
        args, kwargs, _embed = message.decode()
    except (TypeError, ValueError):
        return "it is not a task message the site sends"
    except Exception as exc:  # kombu refuses content that is not JSON
        return f"it cannot be read: {exc}"
    return task_refusal(cfg.key, cfg.name, dict(message.headers or {}), args, kwargs)


def replay_of(message) -> str | None:
    """Records that this start of the agent accepted this (verified) task message, until it expires;
    why it must be refused when its id was accepted before."""
    task_id = message.headers["id"]
    ttl = max(1, math.ceil(seconds_left(message.headers)))
    if redis_client().set(accepted_key(task_id), config().start, nx=True, ex=ttl):
        return None
    return "its task id was accepted before (a replayed or redelivered message); a task runs once"


def _named_deployment(message) -> tuple[str, str] | None:
    """(deployment, host) a refused message's arguments name, when they name a valid one."""
    try:
        args = message.decode()[0]
        first = args[0]
    except Exception:
        return None
    deployment = first.get("deployment") if isinstance(first, dict) else first
    if not isinstance(deployment, str) or not DEPLOYMENT_RE.match(deployment):
        return None
    host = first.get("host") if isinstance(first, dict) else None
    try:
        return deployment, check_name(host) if isinstance(host, str) else config().name
    except ValueError:
        return deployment, config().name


def refuse(message, why: str, answer: bool = True) -> None:
    """Say that this agent refused a task message, where the site and its user will see it; with
    `answer`, also as the task's result (never over the result of the run that first took its id)."""
    name = config().name
    task, task_id = str(message.headers.get("task"))[:100], str(message.headers.get("id"))[:100]
    detail = f"agent {name} refused task {task} (id {task_id}): {why}; nothing of it was done"
    log.warning("%s", detail)
    named = _named_deployment(message)
    if named is not None:
        deployment, host = named
        refused = StepEvent(deployment=deployment, host=host, step="verify", status="failed", detail=detail)
        sink_for(deployment)(refused)
    if answer and task_id == message.headers.get("id") and task_id.startswith(task_id_prefix(name)):
        app.backend.store_result(task_id, PlanRejected(detail), states.FAILURE)


def verified_strategy(task, app, consumer, **kwargs):
    """Celery's strategy for `task`, run only for messages the site signed for this agent; any
    other is refused (`refuse`) and acknowledged, so it neither runs nor comes back."""
    handle = default_strategy(task, app, consumer, **kwargs)

    def handle_verified(message, body, ack, reject, callbacks, **more):
        why, replayed = refusal_of(message), False
        if why is None:
            try:
                why = replay_of(message)
                replayed = why is not None
            except redis.RedisError as exc:  # unrecorded, a replay could not be told: run nothing
                why = f"this agent could not record that it accepted it ({exc})"
        if why is None:
            return handle(message, body, ack, reject, callbacks, **more)
        try:
            refuse(message, why, answer=not replayed)
        except Exception:  # saying so must not cost the worker; the message goes regardless
            log.exception("agent %s could not report a refused task", config().name)
        message.ack_log_error(log, consumer.connection_errors)
        return None

    return handle_verified


@app.task(name=agents.APPLY)
def apply_task(plan: dict) -> dict:
    host_plan = validated(HostPlan, plan, "host plan")
    with host_lock():
        result = apply_host(host_plan, machine_target(), sink_for(host_plan.deployment))
    if not result.ok:
        raise RuntimeError(result.detail)
    return result.to_json()


@app.task(name=agents.PROBE)
def probe_task(plan: dict) -> list[dict]:
    host_plan = validated(HostPlan, plan, "host plan")
    results = {host_plan.host: HostResult(host_plan.host, ok=True)}
    with host_lock():
        probe_applied(
            {host_plan.host: host_plan},
            {host_plan.host: machine_target()},
            results,
            sink_for(host_plan.deployment),
        )
    result = results[host_plan.host]
    if not result.ok:
        raise RuntimeError(result.detail)
    return [event.model_dump(mode="json") for event in result.probes]


@app.task(name=agents.TEARDOWN)
def teardown_task(deployment: str, hosts: list[str]) -> dict:
    """Remove what this agent's applies of `deployment` made for the design `hosts` it serves; fails
    naming whatever it could not remove."""
    check_deployment(deployment)
    try:
        hosts = [check_name(host) for host in hosts]
    except (TypeError, ValueError) as exc:
        raise PlanRejected(f"agent {config().name}: hosts must be a list of host names: {exc}") from None
    with host_lock():
        report = teardown(deployment, machine_target(), sink_for(deployment), hosts)
    done = "; ".join(report.actions) or "nothing to remove"
    return {
        "deployment": deployment,
        "removed": report.actions,
        "hosts": {host: {"ok": True, "detail": done} for host in hosts},
    }


@app.task(name=agents.FACTS)
def facts_task() -> dict:
    return agent_facts().model_dump(mode="json")


@app.task(name=agents.SANDBOX_UP)
def sandbox_up_task(fabric: dict, plans: dict) -> dict:
    sandbox_fabric = validated(SandboxFabric, fabric, "sandbox fabric")
    if not isinstance(plans, dict):
        raise PlanRejected(
            f"agent {config().name}: plans must map host names to plans, not {type(plans).__name__}"
        )
    host_plans = {host: validated(HostPlan, plan, f"host plan of {host}") for host, plan in plans.items()}
    with host_lock():
        results = lab_sandboxes().helper.call(
            run_sandbox, sandbox_fabric, host_plans, emit=sink_for(sandbox_fabric.deployment)
        )
    return {
        "deployment": sandbox_fabric.deployment,
        "hosts": {host: result.to_json() for host, result in results.items()},
    }


@app.task(name=agents.SANDBOX_DOWN)
def sandbox_down_task(deployment: str) -> dict:
    check_deployment(deployment)
    sink = sink_for(deployment)
    sink(StepEvent(deployment=deployment, host=SANDBOX_HOST, step="sandbox_down", status="started"))
    with host_lock():
        removed = lab_sandboxes().helper.call(remove_sandbox, deployment)
    sink(
        StepEvent(
            deployment=deployment,
            host=SANDBOX_HOST,
            step="sandbox_down",
            status="done",
            detail=", ".join(removed),
        )
    )
    return {"deployment": deployment, "removed": removed}


def check_deployment(deployment: object) -> str:
    if not isinstance(deployment, str) or not DEPLOYMENT_RE.match(deployment):
        raise PlanRejected(f"agent {config().name}: {deployment!r} is not a deployment id (1-12 of a-z, 0-9)")
    return deployment


def room_or_none() -> dict | None:
    """The machine's room for sandboxes; None when it cannot be read (the site then ranks this agent
    last). Whatever goes wrong measuring it must not cost the beat, which keeps the agent alive."""
    try:
        return measure_room(lab_sandboxes().helper.run_netns).model_dump(mode="json")
    except Exception:
        log.exception("agent %s cannot measure its room", config().name)
        return None


class Heartbeat(threading.Thread):
    """Writes `mvlab:agent:<name>` with a short TTL every few seconds while the agent runs; a lab
    agent's beat also carries its machine's room (`agent.room`)."""

    def __init__(self, cfg: AgentConfig):
        super().__init__(name="mvlab-heartbeat", daemon=True)
        self.cfg = cfg
        self.stopped = threading.Event()
        self.client = redis_client()

    def beat(self) -> None:
        facts = agent_facts().model_dump(mode="json")
        beat = agents.Heartbeat(
            name=self.cfg.name,
            start=self.cfg.start,
            time=time.time(),
            facts=facts,
            sandbox=self.cfg.sandbox,
            room=room_or_none() if self.cfg.sandbox else None,
        )
        self.client.set(
            agents.heartbeat_key(self.cfg.name), beat.model_dump_json(exclude_none=True), ex=HEARTBEAT_TTL
        )

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.beat()
            except Exception:  # a missed beat must not kill the thread; the next one retries
                log.exception("heartbeat of agent %s failed", self.cfg.name)
            self.stopped.wait(HEARTBEAT_EVERY)

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=HEARTBEAT_EVERY)
        self.client.delete(agents.heartbeat_key(self.cfg.name))


def run_worker(cfg: AgentConfig) -> None:
    """Run the worker in this process until it is stopped (SIGTERM / SIGINT)."""
    global _lab
    refuse_removed_env()
    if cfg.sandbox:
        _lab = LabSandboxes(cfg)  # before any thread starts: the fork copies no lock another thread holds
        if os.geteuid() == 0 and cfg.sandbox_uid not in (None, 0):
            kept = drop_to(cfg.sandbox_uid)  # root forked the helper; the worker needs it no more
            if kept is not None:
                log.warning("lab agent %s %s", cfg.name, kept)
    app.conf.broker_transport_options = unacked_keys(cfg.name)
    for name in CELERY_URL_ENV:  # Celery takes these over the app's own URLs: the site's login, not ours
        if os.environ.pop(name, None) is not None:
            log.warning("agent %s: ignoring $%s (the agent logs in with its own broker URL)", cfg.name, name)
    heartbeat = Heartbeat(cfg)

    @worker_ready.connect(weak=False)
    def _start_heartbeat(**_):
        heartbeat.start()

    @worker_shutdown.connect(weak=False)
    def _stop_heartbeat(**_):
        if heartbeat.is_alive():
            heartbeat.stop()

    app.worker_main(
        [
            "worker",
            "--queues",
            cfg.queue,
            "--pool",
            "solo",
            "--concurrency",
            "1",
            "--hostname",
            f"{cfg.name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        ]
    )
