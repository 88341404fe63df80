"""`manage.py lab up --sandbox` and `lab down`, run as a user runs them, on a real sandbox."""

import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from agent import netns
from agent.plan import netns_name
from agent.sandbox import sandbox_down
from designer.cli.deployments import deployment_id

pytestmark = pytest.mark.kernel

ROOT = Path(__file__).resolve().parents[2]


def lab(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "lab", *args], cwd=ROOT, capture_output=True, text=True, timeout=240
    )


@pytest.fixture
def design_file(tmp_path):
    """examples/two-vlans-routed.yaml under a name of its own, so parallel runs get their own deployment."""
    name = f"two-vlans-routed-{secrets.token_hex(3)}"
    text = (ROOT / "examples" / "two-vlans-routed.yaml").read_text()
    path = tmp_path / f"{name}.yaml"
    path.write_text(text.replace("name: two-vlans-routed\n", f"name: {name}\n"))
    deployments = []
    yield path, name, deployments
    for deployment in deployments:
        sandbox_down(deployment)


def deployment_of(output: str) -> str:
    """The id `lab up` says it deployed to (its first line, on stdout or with --json on stderr)."""
    return output.split("deployment ", 1)[1].split()[0]


def test_up_observes_the_prediction_reconciles_on_a_second_up_and_down_removes_everything(design_file):
    path, name, cleanup = design_file
    first = lab("up", str(path), "--sandbox", "--json")
    assert first.returncode == 0, first.stderr
    deployment = deployment_of(first.stderr)
    cleanup.append(deployment)
    assert deployment == deployment_id(name)
    matrix = json.loads(first.stdout)
    assert matrix["pairs"] and all(p["observed"] == p["expected"] for p in matrix["pairs"])
    d1_d4 = next(p for p in matrix["pairs"] if p["src"] == "d1" and p["dst"] == "d4")
    assert (d1_d4["observed"], d1_d4["ttl"]) == (True, 63) and d1_d4["rtt_ms"] > 0
    namespaces = netns.list_namespaces(netns_name(deployment, ""))
    assert netns_name(deployment, "d1") in namespaces
    inodes = {ns: netns.inode(ns) for ns in namespaces}

    second = lab("up", str(path), "--sandbox")
    assert second.returncode == 0, second.stderr
    assert deployment_of(second.stdout) == deployment
    assert f"{len(matrix['pairs'])} of {len(matrix['pairs'])} pairs observed as predicted" in second.stdout
    assert {ns: netns.inode(ns) for ns in netns.list_namespaces(netns_name(deployment, ""))} == inodes

    down = lab("down", name)
    assert down.returncode == 0, down.stderr
    assert f"removed namespace {netns_name(deployment, 'd1')}" in down.stdout
    assert netns.list_namespaces(netns_name(deployment, "")) == []
    again = lab("down", deployment)
    assert again.returncode == 0 and "nothing to remove" in again.stdout


def test_up_of_a_design_with_an_error_exits_1_and_makes_nothing(design_file):
    path, name, cleanup = design_file
    path.write_text(path.read_text().replace("gateway: 172.16.20.1}", "gateway: 172.16.99.1}"))
    result = lab("up", str(path), "--sandbox", "--json")
    assert result.returncode == 1
    assert "networks.mac20.gateway" in result.stderr and result.stdout == ""
    assert netns.list_namespaces(netns_name(deployment_id(name), "")) == []
