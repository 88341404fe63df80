"""`lab up` / `lab down` without --sandbox: two real agent processes, each in a namespace of its own.

Each agent runs inside a `mvltest-` network namespace that is its "machine", with an
`eth1` veth wired to the other one's, and with a /run/netns of its own (a private
tmpfs in a mount namespace of its own), as two machines would have: what one agent
makes the other cannot see, and it all goes when the agent process ends. They reach a
Redis of this test's own through a unix socket, which works across network
namespaces; the command line talks to the same Redis from the test's namespace.
"""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from agent import netns
from agent.plan import netns_name
from designer.cli.deployments import deployment_id

pytestmark = [pytest.mark.integration, pytest.mark.kernel]

ROOT = Path(__file__).resolve().parents[2]
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


def ip(*args):
    subprocess.run(["ip", *args], check=True, capture_output=True)


@pytest.fixture
def private_redis(tmp_path):
    sock = tmp_path / "redis.sock"
    server = subprocess.Popen(
        ["redis-server", "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(unix_socket_path=str(sock))
        for _ in range(100):
            try:
                client.ping()
                break
            except (redis.ConnectionError, FileNotFoundError):
                time.sleep(0.05)
        yield sock, client
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def two_machines():
    prefix = f"mvltest-{secrets.token_hex(3)}"
    machines = {"host1": f"{prefix}-h1", "host2": f"{prefix}-h2"}
    try:
        for ns in machines.values():
            ip("netns", "add", ns)
        ip("-n", machines["host1"], "link", "add", "eth1", "type", "veth", "peer", "name", "eth1",
           "netns", machines["host2"])
        for ns in machines.values():
            ip("-n", ns, "link", "set", "eth1", "up")
        yield machines
    finally:
        for ns in machines.values():
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


@pytest.fixture
def agents(private_redis, two_machines):
    sock, client = private_redis
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MVLAB_BROKER_URL": f"redis+socket://{sock}",
        "MVLAB_RESULT_BACKEND": f"redis+socket://{sock}",
        "MVLAB_REDIS_URL": f"unix://{sock}",
    }
    processes = [
        subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{ns}", "unshare", "--mount", "--propagation", "private",
             "sh", "-c", 'mount -t tmpfs mvltest /run/netns && exec "$@"', "sh",
             sys.executable, "-m", "agent", "--name", host, "--allowed-nics", "eth1"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        for host, ns in two_machines.items()
    ]
    try:
        deadline = time.monotonic() + 30
        while not all(client.exists(f"mvlab:agent:{host}") for host in two_machines):
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                pytest.fail("agents did not start: " + " | ".join(
                    p.stdout.read().decode() if p.poll() is not None else "running" for p in processes))
            time.sleep(0.2)
        yield site_env(sock), {host: p.pid for host, p in zip(two_machines, processes)}
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def site_env(sock):
    return {
        **os.environ,
        "REDIS_URL": f"unix://{sock}",
        "CELERY_BROKER_URL": f"redis+socket://{sock}",
        "CELERY_RESULT_BACKEND": f"redis+socket://{sock}",
    }


def lab(env, *args):
    return subprocess.run([sys.executable, "manage.py", "lab", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=240)


def namespaces_of(agent_pid: int) -> list[str]:
    """The /run/netns of an agent's own "machine"."""
    listing = subprocess.run(["nsenter", "-t", str(agent_pid), "-m", "ls", "/run/netns"],
                             check=True, capture_output=True, text=True)
    return listing.stdout.split()


def test_up_through_two_agents_and_down_through_them(agents, tmp_path):
    env, pids = agents
    name = f"agents-{secrets.token_hex(3)}"
    deployment = deployment_id(name)
    path = tmp_path / "design.yaml"
    path.write_text(DESIGN.format(name=name))

    up = lab(env, "up", str(path), "--json", "--timeout", "60")
    assert up.returncode == 0, up.stderr
    pairs = json.loads(up.stdout)["pairs"]
    assert {(p["src"], p["dst"]) for p in pairs} >= {("a1", "b1"), ("b1", "a2")}
    assert all(p["observed"] == p["expected"] is True and p["ttl"] == 64 for p in pairs)
    assert "host1: links done" in up.stderr and "host2: finished, ok" in up.stderr
    assert namespaces_of(pids["host1"]) == [netns_name(deployment, "a1"), netns_name(deployment, "a2")]
    assert namespaces_of(pids["host2"]) == [netns_name(deployment, "b1")]
    assert netns.list_namespaces(netns_name(deployment, "")) == []  # nothing on the test's own machine

    down = lab(env, "down", name)
    assert down.returncode == 0, down.stderr
    assert f"agent host1: removed namespace {netns_name(deployment, 'a1')}" in down.stdout
    assert f"agent host2: removed namespace {netns_name(deployment, 'b1')}" in down.stdout
    assert namespaces_of(pids["host1"]) == namespaces_of(pids["host2"]) == []


def test_up_without_live_agents_fails_at_once_and_says_how_to_start_them(private_redis, tmp_path):
    sock, _ = private_redis
    path = tmp_path / "design.yaml"
    path.write_text(DESIGN.format(name=f"agents-{secrets.token_hex(3)}"))
    up = lab(site_env(sock), "up", str(path), "--timeout", "600")  # lab() gives up long before 600 s
    assert up.returncode == 1
    assert "host host1 failed: agent 'host1' is not alive" in up.stderr
    assert "python -m agent --name host2" in up.stderr
