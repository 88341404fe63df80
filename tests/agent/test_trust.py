"""One stolen agent credential commands nothing but that agent's own queue, and an agent runs only
what the site signed for it.

On a redis-server of the test's own (tests/agent/machines.py: a unix socket, ACLs enforced; the
machine's Redis is never changed) agents join as the site's `manage.py lab agent add` makes them,
each with its own Redis user. With one agent's credential nobody can push to, take from, read or
delete another agent's queue, results or heartbeat, list keys, or read an event stream; `lab agent
sync` makes the Redis users again after Redis forgot them, and `lab agent remove` cuts the agent
off. A real lab agent refuses forged plans (unsigned with raw Redis access, signed with a guessed
key through its own stolen credential, or signed for another agent) and a signed task replayed
onto its queue with a failed `verify` step signed by itself, applies nothing, and goes on serving
the site.
"""

import secrets
import subprocess
import sys
import time

import pytest
import redis
import yaml
from celery import Celery

from contract.events import StepEvent, stream_key
from contract.plan import netns_name
from contract.trust import (
    SIGNATURE_HEADER,
    accepted_key,
    new_task_id,
    signed_task,
    signing_key,
    verified_event,
)
from designer.agent_credentials import CREDENTIALS_KEY
from designer.topology.compile import compile_fabric, compile_plans
from designer.topology.ipam import allocate
from designer.topology.shape import parse_design
from tests.agent.machines import ROOT, agent_env, join, running_agent, site_env
from tests.celery_results import forget_results
from tests.lab_command import lab
from tests.live import sandbox_namespaces_of

pytestmark = [pytest.mark.integration]


def as_agent(joined: dict[str, str]) -> redis.Redis:
    """A Redis client logged in with an agent's credential, as a thief of it would be."""
    return redis.Redis.from_url(joined["MVLAB_BROKER_URL"].replace("redis+socket://", "unix://", 1))


def signed_send(app: Celery, agent: str, secret: str, task: str, *args):
    """A task sent as the site sends it to `agent`: its task id, signed with its key."""
    return app.send_task(
        task,
        args=list(args),
        queue=f"agent.{agent}",
        **signed_task(signing_key(secret), agent, task, list(args), 60),
    )


@pytest.fixture
def two_agents(private_redis):
    sock, _ = private_redis
    names = (f"alpha-{secrets.token_hex(2)}", f"beta-{secrets.token_hex(2)}")
    return sock, {name: join(name, sock) for name in names}


def test_a_stolen_agent_credential_reaches_only_that_agents_own_keys(private_redis, two_agents):
    _, site = private_redis
    sock, joined = two_agents
    alpha, beta = joined
    site.lpush(f"agent.{beta}", "a plan for beta")
    site.set(f"mvlab:agent:{beta}", "{}")
    site.set(f"celery-task-meta-agent.{beta}.1", "{}")
    site.xadd("mvlab:events:d1", {"event": "{}"})
    stolen = as_agent(joined[alpha])
    attempts = {
        "push to another agent's queue": lambda: stolen.lpush(f"agent.{beta}", "forged"),
        "take from another agent's queue": lambda: stolen.brpop([f"agent.{beta}"], timeout=1),
        "read another agent's queue": lambda: stolen.lrange(f"agent.{beta}", 0, -1),
        "delete another agent's queue": lambda: stolen.delete(f"agent.{beta}"),
        "forge another agent's heartbeat": lambda: stolen.set(f"mvlab:agent:{beta}", "{}"),
        "read another agent's result": lambda: stolen.get(f"celery-task-meta-agent.{beta}.1"),
        "forge another agent's result": lambda: stolen.set(f"celery-task-meta-agent.{beta}.1", "{}"),
        "announce another agent's result": lambda: stolen.publish(f"celery-task-meta-agent.{beta}.1", "{}"),
        "read an event stream": lambda: stolen.xrange("mvlab:events:d1"),
        "list the keys": lambda: stolen.keys("*"),
        "read the site's credentials": lambda: stolen.hgetall(CREDENTIALS_KEY),
        "forge another agent's accepted task": lambda: stolen.set(accepted_key(f"agent.{beta}.1"), "x"),
        "change users": lambda: stolen.execute_command("ACL", "SETUSER", f"mvlab-agent-{beta}", "on"),
        "flush": lambda: stolen.flushdb(),
    }
    allowed = [what for what, attempt in attempts.items() if not _refused(attempt)]
    assert allowed == []
    assert site.lrange(f"agent.{beta}", 0, -1) == [b"a plan for beta"]
    stolen.lpush(f"agent.{alpha}", "own")  # its own queue, heartbeat and event writes work
    assert stolen.brpop([f"agent.{alpha}"], timeout=1) == (f"agent.{alpha}".encode(), b"own")
    assert stolen.set(f"mvlab:agent:{alpha}", "{}") and stolen.xadd("mvlab:events:d2", {"event": "{}"})
    assert stolen.set(accepted_key(f"agent.{alpha}.1"), "x", nx=True, ex=5)  # its own replay records

    site.execute_command("ACL", "DELUSER", f"mvlab-agent-{alpha}")  # as a restart of Redis forgets it
    with pytest.raises((redis.AuthenticationError, redis.ConnectionError)):
        stolen.ping()
    assert f"Redis users made again: {', '.join(sorted(joined))}" in _lab_agent(sock, "sync")
    assert stolen.ping()

    assert "secret and Redis user removed" in _lab_agent(sock, "remove", alpha)
    with pytest.raises((redis.AuthenticationError, redis.ConnectionError)):
        stolen.ping()
    assert "Redis users made again: " + beta in _lab_agent(sock, "sync")  # alpha is gone for good


def _lab_agent(sock, *args: str) -> str:
    done = lab("agent", *args, env=site_env(sock), timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _refused(attempt) -> bool:
    try:
        attempt()
    except redis.exceptions.NoPermissionError:
        return True
    return False


@pytest.fixture
def lab_agent(private_redis):
    """(name, its joined environment, pid) of a real lab agent on the test's Redis."""
    sock, client = private_redis
    name = f"lab-{secrets.token_hex(3)}"
    joined = join(name, sock)
    process = subprocess.Popen(
        [sys.executable, "-m", "agent", "--name", name, "--sandbox"],
        cwd=ROOT,
        env=agent_env(joined),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    with running_agent(name, process, client):
        yield name, joined, process.pid


@pytest.fixture
def raw_site(private_redis):
    """A Celery app on the test's own Redis with the site's full access (and no signing key); its
    result consumer stopped before that Redis goes."""
    sock, _client = private_redis
    app = Celery("raw", broker=f"redis+socket://{sock}", backend=f"redis+socket://{sock}")
    yield app
    forget_results(app)


@pytest.mark.kernel
def test_forged_plans_are_refused_with_an_event_saying_so_and_nothing_is_applied(
    private_redis, lab_agent, raw_site
):
    sock, client = private_redis
    name, joined, pid = lab_agent
    secret = joined["MVLAB_AGENT_SECRET"]
    deployment = "f" + secrets.token_hex(5)
    design = parse_design(yaml.safe_load((ROOT / "examples" / "two-hosts-same-network.yaml").read_text()))
    fabric = compile_fabric(design, deployment).model_dump(mode="json")
    compiled = compile_plans(design, allocate(design), deployment)
    plans = {h: p.model_dump(mode="json") for h, p in compiled.items()}
    task, args = "mvlab.agent.sandbox_up", [fabric, plans]
    raw = raw_site  # no key
    stolen = Celery("stolen", broker=joined["MVLAB_BROKER_URL"])  # the agent's own credential, no key

    unsigned = raw.send_task(task, args=args, queue=f"agent.{name}", task_id=new_task_id(name))
    guessed = signed_task(signing_key("a guess"), name, task, args, 60)
    guessed_id = guessed["task_id"]
    stolen.send_task(task, args=args, queue=f"agent.{name}", **guessed)
    other = f"other-{secrets.token_hex(2)}"
    signed_send(raw, other, join(other, sock)["MVLAB_AGENT_SECRET"], task, *args)  # the site's, for another
    raw.send_task(
        task,
        args=args,
        queue=f"agent.{name}",  # ... and moved to this agent's queue
        task_id=new_task_id(other),
        headers={SIGNATURE_HEADER: "0" * 64},
    )

    assert "carries no signature of the site" in _failure(raw, unsigned.id)
    assert "signature is not the site's" in _failure(raw, guessed_id)
    key = signing_key(secret)
    deadline = time.monotonic() + 30
    while len(refusals := _refusals(client, deployment, name, key)) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(refusals) == 3, refusals
    assert all(
        f"agent {name} refused task {task}" in r.detail and "nothing of it was done" in r.detail
        for r in refusals
    )
    assert "is not one the site gives" in refusals[2].detail
    assert [e for e in _events(client, deployment) if e.get("step") != "verify"] == []
    assert [ns for ns in sandbox_namespaces_of(pid) if ns.startswith(netns_name(deployment, ""))] == []

    facts = signed_send(raw, name, secret, "mvlab.agent.facts")  # still serving the site
    deadline = time.monotonic() + 30
    while facts.state == "PENDING" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert facts.state == "SUCCESS" and facts.result["agent"] == name
    assert client.llen(f"agent.{other}") == 1  # the other agent's plan waits for it, untouched


def _failure(app: Celery, task_id: str) -> str:
    """The error a task's stored result holds, once there (read with GET, as `AsyncResult.state` does)."""
    result = app.AsyncResult(task_id)
    deadline = time.monotonic() + 30
    while result.state == "PENDING" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert result.state == "FAILURE", result.state
    return str(result.result)


def _events(client: redis.Redis, deployment: str) -> list[dict]:
    import json

    return [json.loads(fields[b"event"]) for _, fields in client.xrange(stream_key(deployment))]


def _refusals(client: redis.Redis, deployment: str, agent: str, key: bytes) -> list[StepEvent]:
    """The deployment's failed `verify` steps that `agent` signed."""
    found = []
    for raw in _events(client, deployment):
        data = verified_event(raw, agent, key)
        if data is not None and data.get("step") == "verify" and data["status"] == "failed":
            found.append(StepEvent.model_validate(data))
    return found


@pytest.mark.kernel
def test_a_signed_task_replayed_onto_the_agents_queue_is_refused_and_runs_once(
    private_redis, lab_agent, raw_site
):
    _sock, client = private_redis
    name, joined, _pid = lab_agent
    secret = joined["MVLAB_AGENT_SECRET"]
    deployment = "r" + secrets.token_hex(5)
    task = "mvlab.agent.sandbox_down"
    raw = raw_site
    stolen = Celery("stolen", broker=joined["MVLAB_BROKER_URL"])  # the agent's own credential, no key
    options = signed_task(signing_key(secret), name, task, [deployment], 60)
    first = raw.send_task(task, args=[deployment], queue=f"agent.{name}", **options)
    assert first.get(timeout=30) == {"deployment": deployment, "removed": []}
    assert 0 < client.ttl(accepted_key(options["task_id"])) <= 60  # recorded until the message expires

    stolen.send_task(task, args=[deployment], queue=f"agent.{name}", **options)  # the very same message
    key = signing_key(secret)
    deadline = time.monotonic() + 30
    while not (refusals := _refusals(client, deployment, name, key)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [r.detail for r in refusals] == [
        f"agent {name} refused task {task} (id {options['task_id']}): its task id was accepted before "
        "(a replayed or redelivered message); a task runs once; nothing of it was done"
    ]
    ran = [e for e in _events(client, deployment) if e.get("step") == task.rpartition(".")[2]]
    assert [e["status"] for e in ran] == ["started", "done"]
    again = raw.AsyncResult(options["task_id"])
    assert again.state == "SUCCESS" and again.result == first.result  # the first run's answer stays

    expired = signed_task(signing_key(secret), name, task, [deployment], -1)
    late = raw.send_task(task, args=[deployment], queue=f"agent.{name}", **expired)
    assert "expired at" in (why := _failure(raw, late.id)) and "the site stopped waiting for it" in why
