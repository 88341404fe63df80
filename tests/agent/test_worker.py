"""The agent as a real Celery worker process, on its own queue, against the real local Redis."""

import json
import os
import pwd
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
import yaml
from celery import Celery

from agent import netns
from agent.neighbour_budget import gc_thresh3
from contract.events import FinishedEvent, ProbeEvent, StepEvent, parse_event, stream_key
from contract.plan import HostFacts, Room, netns_name
from contract.trust import signed_task, signing_key
from designer.topology.compile import compile_fabric, compile_plans
from designer.topology.ipam import allocate
from designer.topology.shape import parse_design
from tests.agent.machines import readable_interpreter, running_agent
from tests.live import rootless_helper_of, sandbox_namespaces_of

pytestmark = [pytest.mark.integration, pytest.mark.kernel]

ROOT = Path(__file__).resolve().parents[2]
NOBODY = pwd.getpwnam("nobody").pw_uid
BROKER = "redis://127.0.0.1:6379/7"  # a database of its own: the site's agents list never sees these
SECRET = secrets.token_hex(32)  # the agent's, as the site would give it


@pytest.fixture(scope="module")
def agent_process():
    name = f"test-{secrets.token_hex(4)}"
    env = {**os.environ, "MVLAB_BROKER_URL": BROKER, "PYTHONPATH": str(ROOT), "MVLAB_AGENT_SECRET": SECRET}
    with readable_interpreter([sys.executable, "-m", "agent", "--name", name, "--sandbox"]) as command:
        yield from _running(
            name,
            subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            ),
        )


def _running(name, process):
    client = redis.Redis.from_url(BROKER)
    with running_agent(name, process, client):
        yield process
    assert not client.exists(f"mvlab:agent:{name}"), "a stopped agent must not look alive"


@pytest.fixture(scope="module")
def agent_name(agent_process):
    return agent_process.args[agent_process.args.index("--name") + 1]


@pytest.fixture(scope="module")
def site():
    app = Celery("test-site", broker=BROKER, backend=BROKER)
    app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])
    return app


@pytest.fixture
def deployment():
    dep = "t" + secrets.token_hex(5)
    yield dep
    redis.Redis.from_url(BROKER).delete(stream_key(dep))
    for name in netns.list_namespaces(netns_name(dep, "")):
        netns.remove(name)


def send(site, agent_name, task, *args, timeout=90):
    """Sends a task as the site does: with a task id of the agent's and signed with its key."""
    options = signed_task(signing_key(SECRET), agent_name, task, list(args), timeout)
    return site.send_task(task, args=list(args), queue=f"agent.{agent_name}", **options).get(timeout=timeout)


def stream(dep):
    return [
        parse_event(fields[b"event"]) for _, fields in redis.Redis.from_url(BROKER).xrange(stream_key(dep))
    ]


def held_by(agent_process, dep) -> list[str]:
    """The deployment's namespaces in the agent's rootless helper."""
    return [name for name in sandbox_namespaces_of(agent_process.pid) if name.startswith(netns_name(dep, ""))]


def small_design(dep):
    design = parse_design(yaml.safe_load((ROOT / "examples" / "two-hosts-same-network.yaml").read_text()))
    plans = compile_plans(design, allocate(design), dep)
    return compile_fabric(design, dep).model_dump(mode="json"), {
        h: p.model_dump(mode="json") for h, p in plans.items()
    }


def test_heartbeat_announces_the_agent_with_its_facts(agent_name):
    client = redis.Redis.from_url(BROKER)
    beat = json.loads(client.get(f"mvlab:agent:{agent_name}"))
    assert beat["name"] == agent_name and beat["sandbox"] is True
    assert len(beat["start"]) == 16  # this start's random id (designer.dispatch.wait reads it)
    assert abs(beat["time"] - time.time()) < 30
    facts = HostFacts.model_validate(beat["facts"])
    assert facts.agent == agent_name and facts.macvlan
    assert 0 < client.ttl(f"mvlab:agent:{agent_name}") <= 15


def test_a_lab_agents_heartbeat_carries_the_room_its_machine_has(agent_name):
    room = Room.model_validate(
        json.loads(redis.Redis.from_url(BROKER).get(f"mvlab:agent:{agent_name}"))["room"]
    )
    assert 0 < room.memory_available <= room.memory_total
    assert {family: table.cap for family, table in room.neighbours.items()} == {
        "ipv4": gc_thresh3(socket.AF_INET),
        "ipv6": gc_thresh3(socket.AF_INET6),
    }
    assert all(0 <= table.in_use <= table.cap and table.probe_needs > 0 for table in room.neighbours.values())
    assert room.sandboxes >= 0


def test_facts_task_answers_host_facts(site, agent_name):
    facts = HostFacts.model_validate(send(site, agent_name, "mvlab.agent.facts"))
    assert facts.agent == agent_name and facts.veth


def test_sandbox_up_streams_steps_probes_and_one_finish_per_host_then_down_removes_all(
    site, agent_process, agent_name, deployment
):
    fabric, plans = small_design(deployment)
    answer = send(site, agent_name, "mvlab.agent.sandbox_up", fabric, plans)
    assert {h: r["ok"] for h, r in answer["hosts"].items()} == {"host1": True, "host2": True}

    events = stream(deployment)
    steps = [e for e in events if isinstance(e, StepEvent)]
    probes = [e for e in events if isinstance(e, ProbeEvent)]
    finished = [e for e in events if isinstance(e, FinishedEvent)]
    assert {(e.step, e.status) for e in steps} >= {("sandbox", "done"), ("links", "done"), ("probe", "done")}
    assert not [e for e in steps if e.status == "failed"]
    assert len(probes) == sum(len(p["probes"]) for p in plans.values())
    assert all(p.observed == p.expected for p in probes)
    assert sorted((e.host, e.ok) for e in finished) == [("host1", True), ("host2", True)]
    assert isinstance(events[-1], FinishedEvent)
    held = held_by(agent_process, deployment)
    assert netns_name(deployment, "a1") in held
    assert netns.list_namespaces(netns_name(deployment, "")) == []  # rootless: never in the machine's

    removed = send(site, agent_name, "mvlab.agent.sandbox_down", deployment)
    assert sorted(removed["removed"]) == held
    assert held_by(agent_process, deployment) == []


def test_the_sandboxes_live_in_a_helper_owned_by_nobody_in_a_user_namespace_of_its_own(agent_process):
    helper = rootless_helper_of(agent_process.pid)
    assert os.readlink(f"/proc/{helper}/ns/user") != os.readlink("/proc/self/ns/user")
    assert os.readlink(f"/proc/{helper}/ns/net") != os.readlink("/proc/self/ns/net")
    assert os.readlink(f"/proc/{agent_process.pid}/ns/net") == os.readlink("/proc/self/ns/net")  # broker's
    [uids] = [
        line.split()[1:]
        for line in Path(f"/proc/{helper}/status").read_text().splitlines()
        if line.startswith("Uid:")
    ]
    assert uids == [str(NOBODY)] * 4
    assert Path(f"/proc/{helper}/uid_map").read_text().split() == ["0", str(NOBODY), "1"]  # root there only


def test_the_worker_started_as_root_gives_root_up_once_its_helper_runs(agent_process):
    status = Path(f"/proc/{agent_process.pid}/status").read_text().splitlines()
    [uids] = [line.split()[1:] for line in status if line.startswith("Uid:")]
    [groups] = [line.split()[1:] for line in status if line.startswith("Groups:")] or [[]]
    assert uids == [str(NOBODY)] * 4 and groups == []
    [caps] = [line.split()[1] for line in status if line.startswith("CapEff:")]
    assert int(caps, 16) == 0


def test_a_plan_that_does_not_validate_is_refused_with_a_failed_step(site, agent_name, deployment):
    fabric, plans = small_design(deployment)
    plans["host1"]["links"][0]["mode"] = "sideways"
    with pytest.raises(Exception, match="sideways"):
        send(site, agent_name, "mvlab.agent.sandbox_up", fabric, plans)
    [failed] = [e for e in stream(deployment) if isinstance(e, StepEvent)]
    assert (failed.host, failed.step, failed.status) == ("host1", "validate", "failed")
    assert "host plan of host1" in failed.detail and "sideways" in failed.detail
    assert netns.list_namespaces(netns_name(deployment, "")) == []
