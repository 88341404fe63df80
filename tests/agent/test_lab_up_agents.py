"""`lab up` / `lab down` without --sandbox: two real agent processes, each in an emulated machine
(tests/agent/machines.py), their `eth1`s on one switch; the command line talks
to the same Redis from the test's namespace.
"""

import json
import secrets

import pytest

from agent import netns
from contract.plan import netns_name
from designer.cli.deployments import deployment_id
from tests.agent.machines import agents_in, namespaces_of, site_env, wired_machines
from tests.lab_command import lab

pytestmark = [pytest.mark.integration, pytest.mark.kernel]

DESIGN = """\
apiVersion: mvlab/v1
kind: Design
name: {name}
hosts:
  host1: {{nics: [eth1]}}
  host2: {{nics: [eth1]}}
segments:
  wire: {{ports: [host1.eth1, host2.eth1]}}
networks:
  flat: {{parent: eth1, mode: bridge, subnet: 10.61.0.0/24}}
containers:
  a1: {{host: host1, networks: {{flat: {{ip: 10.61.0.10}}}}}}
  a2: {{host: host1, networks: {{flat: {{ip: 10.61.0.11}}}}}}
  b1: {{host: host2, networks: {{flat: {{ip: 10.61.0.20}}}}}}
"""


@pytest.fixture
def two_machines():
    """host1's and host2's machines, their `eth1`s on one switch."""
    with wired_machines("host1", "host2") as made:
        yield made


@pytest.fixture
def agents(private_redis, two_machines):
    sock, client = private_redis
    with agents_in(two_machines, sock, client, "--allowed-nics", "eth1") as pids:
        yield site_env(sock), pids


def test_up_through_two_agents_and_down_through_them(agents, tmp_path):
    env, pids = agents
    name = f"agents-{secrets.token_hex(3)}"
    deployment = deployment_id(name)
    path = tmp_path / "design.yaml"
    path.write_text(DESIGN.format(name=name))

    up = lab("up", str(path), "--json", "--timeout", "60", env=env)
    assert up.returncode == 0, up.stderr
    pairs = json.loads(up.stdout)["pairs"]
    assert {(p["src"], p["dst"]) for p in pairs} >= {("a1", "b1"), ("b1", "a2")}
    assert all(p["observed"] == p["expected"] is True and p["ttl"] == 64 for p in pairs)
    assert "host1: links done" in up.stderr and "host2: finished, ok" in up.stderr
    assert namespaces_of(pids["host1"]) == [netns_name(deployment, "a1"), netns_name(deployment, "a2")]
    assert namespaces_of(pids["host2"]) == [netns_name(deployment, "b1")]
    assert netns.list_namespaces(netns_name(deployment, "")) == []  # nothing on the test's own machine

    down = lab("down", name, env=env)
    assert down.returncode == 0, down.stderr
    assert f"agent host1: removed namespace {netns_name(deployment, 'a1')}" in down.stdout
    assert f"agent host2: removed namespace {netns_name(deployment, 'b1')}" in down.stdout
    assert namespaces_of(pids["host1"]) == namespaces_of(pids["host2"]) == []


def test_up_without_live_agents_fails_at_once_and_says_how_to_start_them(private_redis, tmp_path):
    sock, _ = private_redis
    path = tmp_path / "design.yaml"
    path.write_text(DESIGN.format(name=f"agents-{secrets.token_hex(3)}"))
    up = lab("up", str(path), "--timeout", "600", env=site_env(sock))  # lab() gives up long before 600 s
    assert up.returncode == 1
    assert "host host1 failed: agent 'host1' is not alive" in up.stderr
    assert "python -m agent --name host2" in up.stderr
