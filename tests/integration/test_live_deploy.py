"""Through the running stack: deploy a design into a lab sandbox over the API, watch every event
on a real websocket (with a reconnect in the middle), and check who is refused."""

import asyncio
import json
import os
import pwd
import time
from pathlib import Path

import pytest
import requests
import websockets

from agent import netns
from contract.plan import netns_name
from designer import events
from tests.live import rootless_helper_of, run_coroutine

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
TERMINAL = {"done", "failed", "torn_down"}


def _design_yaml() -> str:
    return (ROOT / "examples" / "two-vlans-routed.yaml").read_text()


async def _read_until(stack, session, deployment: str, after: str, stop) -> list[dict]:
    """Messages of the deployment's websocket from `after` on, until `stop(messages)` is true."""
    url = f"{stack.ws_url}/ws/deployments/{deployment}/?after={after}"
    headers = {"Cookie": stack.cookie_header(session)}
    messages: list[dict] = []
    async with websockets.connect(url, additional_headers=headers, origin=stack.origin) as socket:
        while not stop(messages):
            messages.append(json.loads(await asyncio.wait_for(socket.recv(), timeout=120)))
    return messages


def _ended(messages: list[dict]) -> bool:
    return (
        bool(messages)
        and messages[-1]["event"].get("kind") == "deployment"
        and messages[-1]["event"]["state"] in TERMINAL
    )


def _wait_state(stack, session, deployment: str, states: set[str], timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = session.get(f"{stack.url}/api/deployments/{deployment}", timeout=10).json()
        if body["state"] in states:
            return body
        time.sleep(0.5)
    raise AssertionError(f"deployment {deployment} stayed {body['state']}:\n{stack.logs()}")


@pytest.fixture(scope="module")
def alice(live_stack):
    return live_stack.user("alice")


@pytest.fixture(scope="module")
def deployed(live_stack, alice):
    """The two-VLAN design deployed into a sandbox; its events read with one reconnect in the middle."""
    design = alice.post(f"{live_stack.url}/api/designs", json={"yaml": _design_yaml()}, timeout=10)
    assert design.status_code == 201, design.text
    started = alice.post(
        f"{live_stack.url}/api/designs/{design.json()['id']}/deploy", json={"sandbox": True}, timeout=10
    )
    assert started.status_code == 201, started.text
    deployment = started.json()["id"]
    first = run_coroutine(_read_until(live_stack, alice, deployment, "0", lambda m: len(m) >= 3 or _ended(m)))
    rest = run_coroutine(_read_until(live_stack, alice, deployment, first[-1]["id"], _ended))
    everything = run_coroutine(_read_until(live_stack, alice, deployment, "0", _ended))
    yield {"id": deployment, "design": design.json()["id"], "seen": first + rest, "all": everything}
    if alice.post(f"{live_stack.url}/api/deployments/{deployment}/teardown", timeout=10).status_code == 202:
        _wait_state(live_stack, alice, deployment, {"torn_down", "failed"})


def test_every_event_arrives_once_in_order_across_a_reconnect(deployed):
    seen, everything = deployed["seen"], deployed["all"]
    ids = [m["id"] for m in everything]
    assert ids == sorted(set(ids), key=events.id_order)
    assert seen == everything
    assert everything[0]["event"] == {
        "kind": "deployment",
        "deployment": deployed["id"],
        "state": "pending",
        "detail": "",
    }


def test_every_predicted_pair_was_probed_and_the_matrix_is_stored(live_stack, alice, deployed):
    body = _wait_state(live_stack, alice, deployed["id"], TERMINAL)
    assert body["state"] == "done", body
    probed = {
        (m["event"]["src"], m["event"]["dst_ip"]) for m in deployed["all"] if m["event"]["kind"] == "probe"
    }
    pairs = body["matrix"]["pairs"]
    assert probed == {(p["src"], p["dst_ip"]) for p in pairs}
    assert all(p["observed"] == p["expected"] for p in pairs), [
        p for p in pairs if p["observed"] != p["expected"]
    ]
    assert sorted(body["hosts"]) == ["host1", "host2", "host3"]
    assert all(h["state"] == "done" and h["applied"] for h in body["hosts"].values())


def test_the_lab_agent_is_rootless_its_sandbox_is_in_its_helpers_namespaces_only(live_stack, alice, deployed):
    assert _wait_state(live_stack, alice, deployed["id"], TERMINAL)["state"] == "done"
    prefix = netns_name(deployed["id"], "")
    assert netns_name(deployed["id"], "d1") in live_stack.lab_namespaces(prefix)
    assert netns.list_namespaces(prefix) == []  # the machine's /run/netns never held it
    agent = live_stack.processes["agent"].popen.pid
    helper = rootless_helper_of(agent)
    machine = {kind: os.readlink(f"/proc/self/ns/{kind}") for kind in ("user", "net")}
    assert {kind: os.readlink(f"/proc/{agent}/ns/{kind}") for kind in machine} == machine  # its broker's
    assert all(os.readlink(f"/proc/{helper}/ns/{kind}") != machine[kind] for kind in machine)
    nobody = pwd.getpwnam("nobody").pw_uid
    assert Path(f"/proc/{helper}/uid_map").read_text().split() == ["0", str(nobody), "1"]


def test_another_user_is_refused_over_http_and_websocket(live_stack, deployed):
    mallory = live_stack.user("mallory")
    assert mallory.get(f"{live_stack.url}/api/deployments/{deployed['id']}", timeout=10).status_code == 404
    assert (
        mallory.post(
            f"{live_stack.url}/api/designs/{deployed['design']}/deploy", json={"sandbox": True}, timeout=10
        ).status_code
        == 404
    )
    with pytest.raises(websockets.InvalidStatus) as refused:
        run_coroutine(_read_until(live_stack, mallory, deployed["id"], "0", _ended))
    assert refused.value.response.status_code == 403
    with pytest.raises(websockets.InvalidStatus):
        run_coroutine(_read_until(live_stack, requests.Session(), deployed["id"], "0", _ended))


def test_agents_are_listed_and_a_stopped_one_is_reported_dead(live_stack, alice, deployed):
    agents = {a["name"]: a for a in alice.get(f"{live_stack.url}/api/agents", timeout=10).json()}
    lab = agents[live_stack.lab_agent]
    assert lab["alive"] is True and lab["sandbox"] is True and lab["facts"]["macvlan"] is True

    name = f"short-lived-{live_stack.lab_agent[4:]}"
    agent = live_stack.start_agent(name)
    agents = {a["name"]: a for a in alice.get(f"{live_stack.url}/api/agents", timeout=10).json()}
    assert agents[name]["alive"] is True
    agent.stop()
    agents = {a["name"]: a for a in alice.get(f"{live_stack.url}/api/agents", timeout=10).json()}
    assert agents[name]["alive"] is False and agents[name]["facts"]["agent"] == name
    refused = alice.post(
        f"{live_stack.url}/api/designs/{deployed['design']}/deploy",
        json={"agents": {"host1": name, "host2": name, "host3": name}},
        timeout=10,
    )
    assert refused.status_code == 409
    assert f"agent '{name}' is not alive" in refused.json()["detail"]
    unknown = alice.post(
        f"{live_stack.url}/api/designs/{deployed['design']}/deploy",
        json={"agents": {"host1": "gone-away", "host2": "gone-away", "host3": "gone-away"}},
        timeout=10,
    )
    assert unknown.status_code == 403 and "'gone-away' not granted to you" in unknown.json()["detail"]
