"""An agent that goes silent in the middle of a deploy: the site's watchdog ends the deployment
as failed, each host saying what it had applied, and the deployment can still be torn down."""

import json
import time
from pathlib import Path

import pytest

from tests.integration.test_live_deploy import _wait_state

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
HOSTS = {"host1", "host2", "host3"}


def _first_applied_step(stack, deployment: str, timeout: float = 60) -> None:
    """Returns as soon as the agent reports a finished step on one of the design's hosts."""
    client = stack.redis()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for _id, fields in client.xrange(f"mvlab:events:{deployment}"):
            event = json.loads(fields["event"])
            if event["kind"] == "step" and event["status"] == "done" and event["host"] in HOSTS:
                return
        time.sleep(0.02)
    raise AssertionError(f"no step of deployment {deployment} finished:\n{stack.logs()}")


def test_a_silent_agent_fails_its_hosts_with_what_they_applied(live_stack):
    bob = live_stack.user("bob")
    yaml_text = (
        (ROOT / "examples" / "two-vlans-routed.yaml")
        .read_text()
        .replace("name: two-vlans-routed", "name: silent-agent")
    )
    design = bob.post(f"{live_stack.url}/api/designs", json={"yaml": yaml_text}, timeout=10).json()
    started = bob.post(
        f"{live_stack.url}/api/designs/{design['id']}/deploy", json={"sandbox": True}, timeout=10
    )
    assert started.status_code == 201, started.text
    deployment = started.json()["id"]
    agent = live_stack.processes["agent"]
    _first_applied_step(live_stack, deployment)
    agent.pause()
    try:
        body = _wait_state(live_stack, bob, deployment, {"failed", "done"}, timeout=60)
    finally:
        agent.resume()
    assert body["state"] == "failed", body
    hosts = body["hosts"]
    assert set(hosts) == HOSTS
    assert all(h["state"] == "failed" for h in hosts.values())
    assert all("stopped sending heartbeats" in h["detail"] for h in hosts.values())
    assert any(h["applied"] for h in hosts.values())
    assert any("the rest of the plan was not applied" in h["detail"] for h in hosts.values())

    client = live_stack.redis()
    deadline = time.monotonic() + 30
    while not client.exists(f"mvlab:agent:{live_stack.lab_agent}") and time.monotonic() < deadline:
        time.sleep(0.2)
    teardown = bob.post(f"{live_stack.url}/api/deployments/{deployment}/teardown", timeout=10)
    assert teardown.status_code == 202, teardown.text
    assert _wait_state(live_stack, bob, deployment, {"torn_down", "failed"})["state"] == "torn_down"
