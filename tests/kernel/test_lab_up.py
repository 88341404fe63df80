"""`manage.py lab up --sandbox` and `lab down`, run as a user runs them, on a real sandbox: rootless
(the default, as root and as nobody) and `--privileged`."""

import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from agent import netns
from agent.sandbox import sandbox_down
from contract.plan import netns_name
from designer.cli.deployments import deployment_id
from tests.agent.machines import readable_interpreter
from tests.lab_command import lab

pytestmark = pytest.mark.kernel

ROOT = Path(__file__).resolve().parents[2]


def lab_as_nobody(*args: str, stdin: str) -> subprocess.CompletedProcess:
    """`manage.py lab ARGS` run by nobody, with this interpreter (made readable to nobody by
    `readable_interpreter` where it sits under a directory nobody may not enter)."""
    command = [
        "setpriv",
        "--reuid=nobody",
        "--regid=nogroup",
        "--clear-groups",
        "env",
        "HOME=/nonexistent",
        sys.executable,
        "manage.py",
        "lab",
        *args,
    ]
    with readable_interpreter(command) as command:
        return subprocess.run(command, cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=240)


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


def as_predicted(matrix: dict) -> bool:
    return bool(matrix["pairs"]) and all(p["observed"] == p["expected"] for p in matrix["pairs"])


@pytest.mark.parametrize("user", ["root", "nobody"])
def test_up_is_rootless_observes_the_prediction_and_leaves_nothing_behind(design_file, user):
    path, name, _ = design_file
    if user == "root":
        done = lab("up", str(path), "--sandbox", "--json")
    else:
        done = lab_as_nobody("up", "-", "--sandbox", "--json", stdin=path.read_text())
    assert done.returncode == 0, done.stderr
    assert as_predicted(json.loads(done.stdout))
    deployment = deployment_of(done.stderr)
    assert netns.list_namespaces(netns_name(deployment, "")) == []  # it lived in the run's namespaces only
    down = lab("down", name)
    assert down.returncode == 0 and "nothing to remove" in down.stdout


def test_privileged_up_observes_the_prediction_reconciles_on_a_second_up_and_down_removes_all(design_file):
    path, name, cleanup = design_file
    first = lab("up", str(path), "--sandbox", "--privileged", "--json")
    assert first.returncode == 0, first.stderr
    deployment = deployment_of(first.stderr)
    cleanup.append(deployment)
    assert deployment == deployment_id(name)
    matrix = json.loads(first.stdout)
    assert as_predicted(matrix)
    d1_d4 = next(p for p in matrix["pairs"] if p["src"] == "d1" and p["dst"] == "d4")
    assert (d1_d4["observed"], d1_d4["ttl"]) == (True, 63) and d1_d4["rtt_ms"] > 0
    namespaces = netns.list_namespaces(netns_name(deployment, ""))
    assert netns_name(deployment, "d1") in namespaces
    inodes = {ns: netns.inode(ns) for ns in namespaces}

    second = lab("up", str(path), "--sandbox", "--privileged")
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
    path, name, _ = design_file
    path.write_text(path.read_text().replace("gateway: 172.16.20.1}", "gateway: 172.16.99.1}"))
    result = lab("up", str(path), "--sandbox", "--json")
    assert result.returncode == 1
    assert "networks.mac20.gateway" in result.stderr and result.stdout == ""
    assert netns.list_namespaces(netns_name(deployment_id(name), "")) == []


def test_privileged_without_a_sandbox_is_misuse(design_file):
    path, _, _ = design_file
    done = lab("up", str(path), "--privileged")
    assert done.returncode == 2 and "--privileged needs --sandbox and root" in done.stderr
