"""Sandboxes spread over two lab agents by the room they advertise, and come down where they are.

Two real lab agents (`python -m agent --name ... --sandbox`), named unlike anything in the
design, each run in an emulated machine (tests/agent/machines.py): a sandbox one builds is in
the /run/netns of its rootless helper only, and its heartbeat counts only those. The test
process is the site: its API takes the deploys and chooses the agent, and it runs the site
worker's tasks itself (`designer.tasks`), so each sandbox travels through Celery to the queue
of the agent chosen for it, and its teardown to the agent recorded with it.
"""

import secrets
import time

import pytest

from contract.plan import netns_name
from designer import tasks
from mvlab.celery import app as celery_app
from tests.agent.machines import ROOT, agents_in, machines
from tests.live import sandbox_namespaces_of
from tests.site.conftest import _point_celery_at, _signed_in

pytestmark = [pytest.mark.integration, pytest.mark.kernel, pytest.mark.django_db]

DESIGN = (ROOT / "examples" / "two-hosts-same-network.yaml").read_text()
HEARTBEAT_WAIT = 15


@pytest.fixture
def site(private_redis, settings):
    """This process as the site, on the test's Redis."""
    sock, _ = private_redis
    settings.REDIS_URL = f"unix://{sock}"
    before = celery_app.conf.broker_url
    _point_celery_at(f"redis+socket://{sock}")
    yield
    _point_celery_at(before)


@pytest.fixture
def lab_agents(private_redis, site, settings):
    """{name: pid} of two lab agents in machines of their own; the first is MVLAB_LAB_AGENT."""
    sock, client = private_redis
    names = (f"atlas-{secrets.token_hex(2)}", f"borealis-{secrets.token_hex(2)}")
    settings.MVLAB_LAB_AGENT = names[0]
    with machines(*names) as made, agents_in(made, sock, client, "--sandbox") as pids:
        yield pids


def deploy(owner, name: str) -> dict:
    """Saves the two-host design as `name`, deploys it into a sandbox and runs the deployment."""
    design = owner.post("/designs", {"yaml": DESIGN.replace("name: two-hosts-same-network", f"name: {name}")})
    started = owner.post(f"/designs/{design.json()['id']}/deploy", {"sandbox": True})
    assert started.status_code == 201, started.content
    tasks.run_deployment(started.json()["id"])
    return owner.get(f"/deployments/{started.json()['id']}").json()


def tear_down(owner, deployment: dict) -> dict:
    assert owner.post(f"/deployments/{deployment['id']}/teardown").status_code == 202
    tasks.run_teardown(deployment["id"])
    return owner.get(f"/deployments/{deployment['id']}").json()


def agent_of(deployment: dict) -> str:
    [agent] = {host["agent"] for host in deployment["hosts"].values()}
    return agent


def sandbox_namespaces(deployment: dict) -> list[str]:
    names = [".fabric", "a1", "a2", "b1", "b2", "host1.host", "host2.host"]
    return sorted(netns_name(deployment["id"], name) for name in names)


def advertised_sandboxes(owner, agent: str, expected: int) -> int:
    """The sandboxes `agent` advertises, once its heartbeat says `expected` (or the wait is over)."""
    deadline = time.monotonic() + HEARTBEAT_WAIT
    while True:
        room = {a["name"]: a["room"] for a in owner.get("/agents").json()}[agent]
        if room["sandboxes"] == expected or time.monotonic() > deadline:
            return room["sandboxes"]
        time.sleep(0.5)


def test_the_second_sandbox_goes_to_the_emptier_agent_and_each_comes_down_where_it_is(
    lab_agents, django_user_model
):
    owner = _signed_in(django_user_model, "owner")
    first = deploy(owner, f"first-{secrets.token_hex(2)}")
    assert first["state"] == "done", first["detail"]
    fuller = agent_of(first)
    emptier = next(name for name in lab_agents if name != fuller)
    assert sandbox_namespaces_of(lab_agents[fuller]) == sandbox_namespaces(first)
    assert sandbox_namespaces_of(lab_agents[emptier]) == []
    assert advertised_sandboxes(owner, fuller, 1) == 1
    assert advertised_sandboxes(owner, emptier, 0) == 0

    second = deploy(owner, f"second-{secrets.token_hex(2)}")
    assert second["state"] == "done", second["detail"]
    assert agent_of(second) == emptier
    assert sandbox_namespaces_of(lab_agents[emptier]) == sandbox_namespaces(second)
    for deployment in (first, second):
        pairs = deployment["matrix"]["pairs"]
        assert pairs and all(p["observed"] == p["expected"] for p in pairs)

    for deployment in (second, first):
        assert tear_down(owner, deployment)["state"] == "torn_down"
    assert sandbox_namespaces_of(lab_agents[fuller]) == sandbox_namespaces_of(lab_agents[emptier]) == []
    assert advertised_sandboxes(owner, fuller, 0) == 0
