"""Processes killed with SIGKILL in the middle of a deploy, on the running stack: the site worker
(its task comes back and resumes from the start) and the lab agent (the site fails its hosts once
its heartbeat stops). Either way the deployment ends in a true state, its stored matrix is what
the probes observed, it can be torn down and its design deleted at once, and no namespace of it
is left."""

import json
import os
import secrets
import signal
import time
from pathlib import Path

import pytest

from agent import netns
from contract.plan import netns_name
from designer.deploy import LEASE_TTL, RECOVER_EVERY
from tests.integration.test_agent_dies import _first_applied_step
from tests.integration.test_live_deploy import _wait_state
from tests.live import Process, _start, _wait_for, rootless_helper_of

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _deploy(stack, name: str):
    """A new user's sandbox deploy of the two-VLAN example: (session, design id, deployment id)."""
    user = stack.user(f"{name}-{secrets.token_hex(3)}")
    yaml_text = (
        (ROOT / "examples" / "two-vlans-routed.yaml")
        .read_text()
        .replace("name: two-vlans-routed", f"name: {name}")
    )
    design = user.post(f"{stack.url}/api/designs", json={"yaml": yaml_text}, timeout=10)
    assert design.status_code == 201, design.text
    url = f"{stack.url}/api/designs/{design.json()['id']}/deploy"
    started = user.post(url, json={"sandbox": True}, timeout=10)
    assert started.status_code == 201, started.text
    return user, design.json()["id"], started.json()["id"]


def _kill(process: Process) -> None:
    os.killpg(process.popen.pid, signal.SIGKILL)
    process.popen.wait(timeout=10)


def _restart(stack, name: str, ready, env: dict[str, str] | None = None) -> Process:
    """The killed process `name` started again as it was (in `env`), once `ready()`."""
    process = _start(stack, name, stack.processes[name].popen.args, env)
    _wait_for(f"{name} started again", ready, stack)
    return process


def _tear_down_when_allowed(stack, user, deployment: str, timeout: float) -> tuple[float, int]:
    """Asks for the teardown every half second until it is taken: (seconds it took, refusals)."""
    began, refusals = time.monotonic(), 0
    while True:
        answer = user.post(f"{stack.url}/api/deployments/{deployment}/teardown", timeout=10)
        if answer.status_code == 202:
            return time.monotonic() - began, refusals
        assert answer.status_code == 409, answer.text
        refusals += 1
        assert time.monotonic() - began < timeout, f"teardown refused {refusals} times:\n{stack.logs()}"
        time.sleep(0.5)


def _latest_probes(stack, deployment: str) -> dict[tuple, bool]:
    """What the probes observed, per pair, as the agents reported it (the latest report wins)."""
    found = {}
    for _id, fields in stack.redis().xrange(f"mvlab:events:{deployment}"):
        event = json.loads(fields["event"])
        if event.get("kind") == "probe":
            found[(event["src"], event["dst"], event["dst_ip"])] = event["observed"]
    return found


def _stored_observations(body: dict) -> dict[tuple, bool]:
    return {
        (p["src"], p["dst"], p["dst_ip"]): p["observed"]
        for p in body["matrix"]["pairs"]
        if p["observed"] is not None
    }


def _assert_gone(stack, user, design: int, deployment: str) -> None:
    assert _wait_state(stack, user, deployment, {"torn_down", "failed"})["state"] == "torn_down"
    assert stack.lab_namespaces(netns_name(deployment, "")) == []
    assert netns.list_namespaces(netns_name(deployment, "")) == []
    deleted = user.delete(f"{stack.url}/api/designs/{design}", timeout=10)
    assert deleted.status_code == 204, deleted.text


def test_a_site_worker_killed_mid_deploy_is_resumed_and_torn_down_at_once(live_stack):
    user, design, deployment = _deploy(live_stack, "site-worker-dies")
    _first_applied_step(live_stack, deployment)
    _kill(live_stack.processes["worker"])
    killed = time.monotonic()
    _restart(live_stack, "worker", lambda: "ready." in live_stack.processes["worker"].log.read_text())

    # Its lease ends LEASE_TTL s after the kill; a check every RECOVER_EVERY s sends the task again.
    bound = LEASE_TTL + 2 * RECOVER_EVERY + 180
    _, refusals = _tear_down_when_allowed(live_stack, user, deployment, timeout=bound)
    print(
        f"\nsite worker killed mid-deploy: teardown taken {time.monotonic() - killed:.1f} s after the kill "
        f"({refusals} refusals while it resumed)"
    )

    body = user.get(f"{live_stack.url}/api/deployments/{deployment}", timeout=10).json()
    states = _states(live_stack, deployment)
    assert ("deploying", "resumed: the site worker running it died") in states, states
    ended = [state for state, _detail in states if state in ("done", "failed")]
    assert ended == ["done"], states  # its agent lived: the resumed deploy finished and probed
    observed = _stored_observations(body)
    assert observed == _latest_probes(live_stack, deployment) and observed
    assert all(p["observed"] == p["expected"] for p in body["matrix"]["pairs"])
    _assert_gone(live_stack, user, design, deployment)


def test_an_agent_killed_mid_apply_fails_its_hosts_and_is_torn_down_at_once(live_stack):
    user, design, deployment = _deploy(live_stack, "agent-dies")
    _first_applied_step(live_stack, deployment)
    old = live_stack.processes["agent"]
    helper = rootless_helper_of(old.popen.pid)
    _kill(old)
    killed = time.monotonic()

    body = _wait_state(live_stack, user, deployment, {"done", "failed"}, timeout=60)
    print(f"\nagent killed mid-apply: deployment failed {time.monotonic() - killed:.1f} s after the kill")
    assert body["state"] == "failed", body
    assert all("stopped sending heartbeats" in h["detail"] for h in body["hosts"].values()), body["hosts"]
    assert _stored_observations(body) == _latest_probes(live_stack, deployment)
    assert not Path(f"/proc/{helper}").exists(), "the killed agent's rootless helper and sandboxes lived on"

    client = live_stack.redis()
    _restart(
        live_stack,
        "agent",
        lambda: client.exists(f"mvlab:agent:{live_stack.lab_agent}"),
        live_stack.agent_env(live_stack.lab_agent),
    )
    refused = user.delete(f"{live_stack.url}/api/designs/{design}", timeout=10)
    assert refused.status_code == 409 and deployment in refused.json()["detail"], refused.text
    _, refusals = _tear_down_when_allowed(live_stack, user, deployment, timeout=10)
    assert refusals == 0
    _assert_gone(live_stack, user, design, deployment)


def _states(stack, deployment: str) -> list[tuple[str, str]]:
    """The deployment's (state, detail) in the order the site published them."""
    found = []
    for _id, fields in stack.redis().xrange(f"mvlab:events:{deployment}"):
        event = json.loads(fields["event"])
        if event.get("kind") == "deployment":
            found.append((event["state"], event["detail"]))
    return found
