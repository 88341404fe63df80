"""Deploying a stored design version to a lab sandbox or to per-host agents, and tearing it down.

`start` checks and records a deployment and hands it to the site worker; `run` (in the
site worker, task `designer.run_deployment`) compiles the plans, has `designer.dispatch` send
them to the agents' queues and watch every host until it answers, its agent stops sending
heartbeats, or the time runs out, and then stores the results (`finish`).
A sandbox is placed on the live lab agent with the most room (`designer.placement`) and
recorded with it, so its run and its teardown go to that agent.

Only agents granted to the design's owner (or lab agents) may be deployed to (`designer.grants`);
a teardown needs no grant.

Two deployments of the same design, or two to the same agent, never run at once: the
check and the insert happen under one Redis lock, and a conflicting request is refused
with 409 and the deployment that holds it.

Nothing is lost with a site worker. The tasks are acknowledged only once they ran (a worker
killed mid-task gets its task back from the broker), and every run and teardown holds a lease
on its deployment (`mvlab:lease:deployment:<id>`, renewed while it works, gone LEASE_TTL
seconds after its worker died). Whoever hands a deployment to the site worker marks it queued
(`mvlab:queued:<id>`) until a worker takes the lease. Every site worker checks every
RECOVER_EVERY seconds (`recover_orphans`) for an active deployment with neither: its task is
gone (its worker died, or the site failed to send it), so it is sent again and resumes from the
start (the agents reconcile what is already there), up to MAX_RESUMES times; after that it
fails, saying so. A task that finds its deployment taken or ended does nothing.

Nothing is lost with an agent either: the tasks go to the agents, and are waited for, by the
dispatcher `designer.dispatch` (which `lab up` and `lab down` use too); a task lost with its agent's
restart is sent again there.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from agent.host_lock import Busy, HeldLock, LockLost, hold
from designer import agents, designs, dispatch, grants, placement, results
from designer.dispatch import Outcome
from designer.errors import Refused
from designer.events import publish_state
from designer.models import Deployment, DesignVersion
from designer.redis_client import sync_client
from designer.topology.issues import errors_in
from designer.topology.model import Design as DesignModel
from mvlab.celery import app as celery_app

State = Deployment.State
LOCK_NAME = "mvlab:lock:deploy"
LEASE_PREFIX = "mvlab:lease:deployment:"
QUEUED_PREFIX = "mvlab:queued:"
RESUMES_PREFIX = "mvlab:resumes:"
LEASE_TTL = 15  # seconds after its site worker died that a deployment is seen as orphaned
RECOVER_EVERY = 5  # seconds between two checks for orphans in each site worker
MAX_RESUMES = 3
SITE_TASKS = {
    State.PENDING: "designer.run_deployment",
    State.DEPLOYING: "designer.run_deployment",
    State.PROBING: "designer.run_deployment",
    State.TEARING_DOWN: "designer.run_teardown",
}

log = logging.getLogger("mvlab.deploy")


def _lock():
    return sync_client().lock(LOCK_NAME, timeout=30, blocking_timeout=30)


def _abandon_after() -> int:
    """Seconds after which an active deployment nobody touched is failed (`_expire_abandoned`)."""
    return 2 * settings.MVLAB_DEPLOY_TIMEOUT + 60


def _hand_over(task: str, deployment_id: str) -> None:
    """Queue the site task of a deployment, marked queued until a site worker takes its lease."""
    client = sync_client()
    client.set(f"{QUEUED_PREFIX}{deployment_id}", task, ex=_abandon_after())
    try:
        celery_app.send_task(task, args=[deployment_id], queue=settings.MVLAB_SITE_QUEUE)
    except Exception:
        client.delete(f"{QUEUED_PREFIX}{deployment_id}")  # not queued: `recover_orphans` sends it later
        raise


def _set_state(deployment: Deployment, state: str, detail: str = "", **fields) -> None:
    deployment.state, deployment.detail = state, detail
    for name, value in fields.items():
        setattr(deployment, name, value)
    deployment.save(update_fields=["state", "detail", "changed", *fields])
    publish_state(deployment.id, state, detail)


def targets(deployment: Deployment) -> dict[str, str]:
    """host -> the agent that made it (the lab agent for every host of a sandbox), as recorded."""
    return {host: info["agent"] for host, info in deployment.hosts.items()}


def _require_alive(names: set[str]) -> None:
    seen = {status.name: status for status in agents.refresh()}
    for name in sorted(names):
        if name not in seen or not seen[name].alive:
            why = (
                "is not alive (no recent heartbeat)"
                if name in seen
                else "is unknown (it never sent a heartbeat)"
            )
            raise Refused(409, f"agent {name!r} {why}; start it or choose another agent")


def _expire_abandoned() -> None:
    """Fails deployments no site worker has touched for longer than any step may take.

    The site worker that watches a deployment ends it within two task timeouts (apply,
    then probe); one still active much later lost its worker, and must not hold its
    design or agents forever.
    """
    limit = timezone.now() - dt.timedelta(seconds=2 * settings.MVLAB_DEPLOY_TIMEOUT + 60)
    for stale in Deployment.objects.filter(state__in=Deployment.ACTIVE_STATES, changed__lt=limit):
        _set_state(
            stale, State.FAILED, "abandoned: no site worker finished it in time", finished=timezone.now()
        )


def _refuse_conflicts(version: DesignVersion, sandbox: bool, agent_names: set[str]) -> None:
    _expire_abandoned()
    for other in Deployment.objects.filter(state__in=Deployment.ACTIVE_STATES):
        if other.design_id == version.design_id:
            raise Refused(409, f"deployment {other.id} of this design is still {other.state}; wait for it")
        shared = set(other.agents.values()) & agent_names
        if not sandbox and not other.sandbox and shared:
            raise Refused(
                409,
                f"deployment {other.id} is still {other.state} on agent {sorted(shared)[0]!r}; wait for it",
            )


def _host_mapping(hosts: set[str], sandbox: bool, mapping: dict[str, str] | None) -> dict[str, str]:
    if sandbox:
        if mapping:
            raise Refused(400, "give either sandbox: true or agents, not both")
        return {}
    mapping = mapping or {}
    if not mapping:
        raise Refused(400, "give sandbox: true, or agents: one agent name for every host of the design")
    unknown, missing = sorted(set(mapping) - hosts), sorted(hosts - set(mapping))
    if unknown:
        raise Refused(400, f"agents names hosts the design does not have: {', '.join(unknown)}")
    if missing:
        raise Refused(400, f"agents gives no agent for host(s): {', '.join(missing)}")
    return mapping


def _lab_candidates() -> list[placement.Candidate]:
    """The live lab agents, each with the sandboxes this site has recorded on it."""
    placed: Counter[str] = Counter()
    building: Counter[str] = Counter()
    holding = Deployment.objects.filter(sandbox=True, state__in=Deployment.HOLDING_STATES)
    for hosts, state in holding.values_list("hosts", "state"):
        for agent in {info["agent"] for info in hosts.values()}:
            placed[agent] += 1
            building[agent] += state in (State.PENDING, State.DEPLOYING)
    return [
        placement.Candidate(s.name, s.room, placed[s.name], building[s.name])
        for s in agents.refresh()
        if s.alive and s.sandbox
    ]


def _sandbox_agent(design: DesignModel) -> str:
    """The live lab agent with the most room for a sandbox of `design` (designer.placement)."""
    namespaces = len(design.hosts) + len(design.containers) + len(design.routers) + 1  # + the fabric
    need = placement.sandbox_memory(namespaces)
    return placement.choose(_lab_candidates(), need, settings.MVLAB_LAB_AGENT)


def _insert(
    version: DesignVersion, sandbox: bool, mapping: dict[str, str], where: dict[str, str]
) -> Deployment:
    """Creates the row with a fresh short id (retrying in the rare case the id is taken);
    `where` names each host's agent (the chosen lab agent for every host of a sandbox)."""
    for _ in range(10):
        try:
            with transaction.atomic():
                return Deployment.objects.create(
                    design=version.design,
                    version=version,
                    sandbox=sandbox,
                    agents=mapping,
                    hosts={host: results.empty_host(agent) for host, agent in where.items()},
                )
        except IntegrityError:
            continue
    raise RuntimeError("could not find a free deployment id")


def start(version: DesignVersion, *, sandbox: bool, mapping: dict[str, str] | None) -> Deployment:
    """Checks a deploy request, records it as pending and hands it to the site worker.

    A sandbox goes to the live lab agent with the most room, chosen under the deploy lock so
    that requests arriving together see each other's choice."""
    parsed = designs.parse_version(version)
    errors = errors_in(parsed.issues)
    if errors:
        raise Refused(400, "the design has errors; fix them before deploying", errors)
    hosts = sorted(parsed.design.hosts)
    mapping = _host_mapping(set(hosts), sandbox, mapping)
    needed = set(mapping.values())
    if not sandbox:
        grants.refuse_ungranted(version.design.owner, needed)
        _require_alive(needed)
    with _lock():
        _refuse_conflicts(version, sandbox, needed)
        where = dict.fromkeys(hosts, _sandbox_agent(parsed.design)) if sandbox else mapping
        deployment = _insert(version, sandbox, mapping, where)
    try:
        publish_state(deployment.id, deployment.state)
    except redis.RedisError as exc:  # the run publishes every later state; the task matters more
        log.warning("deployment %s: could not publish its pending state: %s", deployment.id, exc)
    _hand_over("designer.run_deployment", deployment.id)
    return deployment


@contextmanager
def _failing_on_error(deployment: Deployment, doing: str, lease: HeldLock) -> Iterator[None]:
    """An unexpected error in the site worker ends the deployment as failed, saying so (unless the
    lease was lost: the deployment is then another site worker's)."""
    try:
        yield
    except Exception as err:
        if lease.lost is None and not isinstance(err, LockLost):
            _set_state(
                deployment, State.FAILED, f"the site could not finish {doing}: {err}", finished=timezone.now()
            )
        raise


def _leased(deployment_id: str, states: tuple[str, ...], doing: str, work) -> None:
    """`work(deployment, lease)` under this worker's lease on the deployment, if it is in one of
    `states`; nothing when another site worker holds the lease or the deployment moved on (a task
    delivered twice, or sent again by `recover_orphans` while its first copy still waited)."""
    client = sync_client()
    owner = f"the site worker of deployment {deployment_id}"
    try:
        with hold(
            f"{LEASE_PREFIX}{deployment_id}",
            client,
            owner=owner,
            ttl=LEASE_TTL,
            wait=0,
            interrupt=False,
            busy="",
        ) as lease:
            client.delete(f"{QUEUED_PREFIX}{deployment_id}")
            deployment = Deployment.objects.select_related("version").filter(pk=deployment_id).first()
            if deployment is None:  # deleted since, or a task of another site's database on this broker
                log.warning("deployment %s does not exist: nothing to do for %s", deployment_id, doing)
                return
            if deployment.state not in states:
                log.info("deployment %s is %s: nothing to do for %s", deployment_id, deployment.state, doing)
                return
            with _failing_on_error(deployment, doing, lease):
                work(deployment, lease)
    except Busy:
        log.info("deployment %s: another site worker holds it; %s left to that one", deployment_id, doing)


def run(deployment_id: str) -> None:
    """Compiles and dispatches a pending deployment (or one whose site worker died: it starts over),
    waits for every host, stores the results."""
    _leased(deployment_id, (State.PENDING, State.DEPLOYING, State.PROBING), "the deployment", _run)


def _run(deployment: Deployment, lease: HeldLock) -> None:
    compiled = designs.parse_version(deployment.version)  # the probes carry the editor's prediction
    plans = compiled.plans(deployment.id)
    plan_json = {host: plan.model_dump(mode="json") for host, plan in plans.items()}
    timeout = settings.MVLAB_DEPLOY_TIMEOUT
    resumed = "resumed: the site worker running it died" if deployment.state != State.PENDING else ""
    _set_state(deployment, State.DEPLOYING, resumed, started=timezone.now())

    def say(detail: str) -> None:  # in the deployment's state, as it is now
        _set_state(deployment, deployment.state, detail)

    if deployment.sandbox:
        lab = targets(deployment)[next(iter(plans))]
        fabric = compiled.fabric(deployment.id).model_dump(mode="json")
        outcomes = dispatch.sandbox_up(lab, fabric, plan_json, timeout, say)
    else:
        outcomes = dispatch.apply_and_probe(
            plan_json, deployment.agents, timeout, say, probing=lambda: _set_state(deployment, State.PROBING)
        )
    lease.check()
    finish(deployment, outcomes)


def finish(deployment: Deployment, outcomes: dict[str, Outcome] | None = None) -> None:
    """Stores the per-host summary, the probe results and the matrix; ends the deployment."""
    summary = results.collect(deployment, {h: (o.ok, o.detail) for h, o in (outcomes or {}).items()})
    failed = sorted(h for h, s in summary.items() if s["state"] != "done")
    detail = f"failed on {', '.join(failed)}" if failed else ""
    _set_state(deployment, State.FAILED if failed else State.DONE, detail, finished=timezone.now())


def start_teardown(deployment: Deployment) -> Deployment:
    """Checks a teardown request and hands it to the site worker."""
    with _lock():
        deployment.refresh_from_db()
        if deployment.active:
            raise Refused(409, f"deployment {deployment.id} is still {deployment.state}; wait until it ends")
        if deployment.state == State.TORN_DOWN:
            raise Refused(409, f"deployment {deployment.id} is already torn down")
        _require_alive(set(targets(deployment).values()))
        _set_state(deployment, State.TEARING_DOWN)
    _hand_over("designer.run_teardown", deployment.id)
    return deployment


def run_teardown(deployment_id: str) -> None:
    """Asks every agent of the deployment to remove what it made; waits for each answer."""
    _leased(deployment_id, (State.TEARING_DOWN,), "the teardown", _run_teardown)


def _run_teardown(deployment: Deployment, lease: HeldLock) -> None:
    outcomes = dispatch.teardown(
        deployment.id, targets(deployment), settings.MVLAB_DEPLOY_TIMEOUT, sandbox=deployment.sandbox
    )
    failed = {h: o.detail for h, o in outcomes.items() if not o.ok}
    lease.check()
    if failed:
        detail = "; ".join(f"teardown of {h}: {why}" for h, why in sorted(failed.items()))
        _set_state(deployment, State.FAILED, detail, finished=timezone.now())
    else:
        _set_state(deployment, State.TORN_DOWN, finished=timezone.now())


def recover_orphans() -> list[str]:
    """Fails the abandoned deployments, and sends again the task of every active one that no site
    worker holds a lease on or has queued (its worker died, or the site never sent it); the ids
    sent again. Each site worker calls this every RECOVER_EVERY seconds."""
    _expire_abandoned()
    client = sync_client()
    settled = timezone.now() - dt.timedelta(seconds=RECOVER_EVERY)  # not one being handed over right now
    active = list(
        Deployment.objects.filter(state__in=Deployment.ACTIVE_STATES, changed__lt=settled).values_list(
            "id", "state"
        )
    )
    with client.pipeline(transaction=False) as pipe:
        for deployment_id, _state in active:
            pipe.exists(f"{LEASE_PREFIX}{deployment_id}", f"{QUEUED_PREFIX}{deployment_id}")
        held = pipe.execute() if active else []
    resent = []
    for (deployment_id, state), taken in zip(active, held, strict=True):
        task = SITE_TASKS[state]
        if taken or not client.set(f"{QUEUED_PREFIX}{deployment_id}", task, nx=True, ex=_abandon_after()):
            continue
        resumes = client.incr(f"{RESUMES_PREFIX}{deployment_id}")
        client.expire(f"{RESUMES_PREFIX}{deployment_id}", _abandon_after())
        if resumes > MAX_RESUMES:
            client.delete(f"{QUEUED_PREFIX}{deployment_id}")
            _fail_orphan(Deployment.objects.get(pk=deployment_id), state)
            continue
        log.warning(
            "deployment %s is %s and no site worker runs it: sending %s again", deployment_id, state, task
        )
        celery_app.send_task(task, args=[deployment_id], queue=settings.MVLAB_SITE_QUEUE)
        resent.append(deployment_id)
    return resent


def _fail_orphan(deployment: Deployment, state: str) -> None:
    """Ends a deployment whose site task kept being lost, with what its agents reported so far."""
    if state != State.TEARING_DOWN:
        results.collect(deployment, {})
    _set_state(
        deployment,
        State.FAILED,
        f"its site task was lost {MAX_RESUMES + 1} times (its worker died, or it was never sent) while it "
        f"was {state}; "
        "what its agents made stays until it is torn down",
        finished=timezone.now(),
    )
