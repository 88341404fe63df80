"""A lab agent killed with SIGKILL mid-apply and started again at once, within its heartbeat's TTL:
the site never sees the agent stop beating, yet it sees the start id in the beat change while the
agent's earlier start held the deployment's task, so it sends the task again. The deployment ends
done long before the deploy timeout, with the matrix the new sandbox's probes observed, and is
torn down at once with nothing of it left."""

import json
import time
from pathlib import Path

import pytest

from agent.worker import HEARTBEAT_TTL
from tests.integration.test_agent_dies import _first_applied_step
from tests.integration.test_live_deploy import _wait_state
from tests.integration.test_workers_die import (
    _assert_gone,
    _deploy,
    _kill,
    _latest_probes,
    _restart,
    _states,
    _stored_observations,
    _tear_down_when_allowed,
)
from tests.live import rootless_helper_of

pytestmark = pytest.mark.integration


def _start_id(client, agent: str) -> str | None:
    beat = client.get(f"mvlab:agent:{agent}")
    return json.loads(beat).get("start") if beat else None


def test_an_agent_restarted_within_its_heartbeat_ttl_gets_its_lost_task_again(live_stack):
    user, design, deployment = _deploy(live_stack, "agent-restarts")
    client, agent = live_stack.redis(), live_stack.lab_agent
    _first_applied_step(live_stack, deployment)
    old = live_stack.processes["agent"]
    helper, before = rootless_helper_of(old.popen.pid), _start_id(client, agent)
    assert before
    _kill(old)
    killed = time.monotonic()
    _restart(
        live_stack,
        "agent",
        lambda: _start_id(client, agent) not in (None, before),
        live_stack.agent_env(agent),
    )
    back = time.monotonic() - killed
    assert back < HEARTBEAT_TTL, f"the agent took {back:.1f} s to restart: its heartbeat had expired"

    timeout = int(live_stack.env["MVLAB_DEPLOY_TIMEOUT"])
    body = _wait_state(live_stack, user, deployment, {"done", "failed"}, timeout=timeout - 20)
    ended = time.monotonic() - killed
    print(
        f"\nagent killed mid-apply, beating again {back:.1f} s later: deployment {body['state']} "
        f"{ended:.1f} s after the kill (deploy timeout {timeout} s)"
    )
    states = _states(live_stack, deployment)
    resent = f"agent {agent} restarted while running mvlab.agent.sandbox_up: sent again"
    assert ("deploying", resent) in states, states
    assert body["state"] == "done", (body, live_stack.logs())
    assert not any("within" in h["detail"] for h in body["hosts"].values()), body["hosts"]
    observed = _stored_observations(body)
    assert observed == _latest_probes(live_stack, deployment) and observed
    assert all(p["observed"] == p["expected"] for p in body["matrix"]["pairs"])
    assert not Path(f"/proc/{helper}").exists(), "the killed agent's rootless helper lived on"

    _, refusals = _tear_down_when_allowed(live_stack, user, deployment, timeout=10)
    assert refusals == 0
    _assert_gone(live_stack, user, design, deployment)
