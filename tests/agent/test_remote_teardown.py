"""Through the running site, a design deployed to three real-host agents named unlike its hosts comes
down without a trace.

Three emulated machines (tests/agent/machines.py), each with an `eth1` into one bridge of a wire
namespace, run real agents `--allowed-nics eth1` named after stars; host3 and host4 of the design
both go to the third. The site is the real one (tests/live.py: daphne and the site worker) on the
machines' Redis. Over HTTP a user granted the agents saves the design, deploys it with
`{"agents": {...}}`, reads the deployment's websocket to its end, finds the stored matrix equal to
the prediction, tears down and reads `torn_down`; then no machine holds an mvl- namespace, a link
marked `mvlab:<deployment>` or a route of mvlab's.
"""

import secrets
import subprocess

import pytest

from agent.apply import MVLAB_ROUTE_PROTO
from contract.plan import netns_name
from tests.agent.machines import agents_in, namespaces_of, wired_machines
from tests.integration.test_live_deploy import _ended, _read_until, _wait_state
from tests.live import run_coroutine, start_stack, stop_stack

pytestmark = [pytest.mark.integration, pytest.mark.kernel]

DESIGN = """\
apiVersion: mvlab/v1
kind: Design
name: {name}
hosts:
  host1:
    nics: [eth1]
    shim: {{network: flat, ip: 10.63.0.250}}
    routes: [{{to: 10.64.0.0/16, via: 10.63.0.10}}]
  host2: {{nics: [eth1]}}
  host3: {{nics: [eth1]}}
  host4: {{nics: [eth1]}}
segments:
  wire: {{ports: [host1.eth1, host2.eth1, host3.eth1, host4.eth1]}}
networks:
  flat: {{parent: eth1, mode: bridge, subnet: 10.63.0.0/24, ip_range: 10.63.0.0/25}}
containers:
  a1: {{host: host1, networks: {{flat: {{ip: 10.63.0.10}}}}}}
  b1: {{host: host2, networks: {{flat: {{ip: 10.63.0.20}}}}}}
  c1: {{host: host3, networks: {{flat: {{ip: 10.63.0.30}}}}}}
  d1: {{host: host4, networks: {{flat: {{ip: 10.63.0.40}}}}}}
"""


@pytest.fixture
def star_machines():
    """{agent name: machine namespace} of three machines whose eth1 meet on one bridge."""
    tag = secrets.token_hex(2)
    with wired_machines(f"altair-{tag}", f"vega-{tag}", f"deneb-{tag}") as made:
        yield made


@pytest.fixture
def site_and_agents(private_redis, star_machines):
    sock, client = private_redis
    stack = start_stack(redis_socket=sock)
    try:
        with agents_in(star_machines, sock, client, "--allowed-nics", "eth1", site=stack.env) as pids:
            yield stack, pids
    finally:
        stop_stack(stack)


def marked_or_routed(pid: int, mark: str) -> str:
    """The links marked `mark` and the mvlab routes in an agent's machine, as `ip` prints them."""

    def show(*args: str) -> str:
        return subprocess.run(
            ["nsenter", "-t", str(pid), "-n", "ip", *args], check=True, capture_output=True, text=True
        ).stdout

    links = [line for line in show("-o", "link", "show").splitlines() if f"alias {mark}" in line]
    return "".join(links) + show("route", "show", "proto", str(MVLAB_ROUTE_PROTO))


def test_deploy_and_teardown_through_the_site_leave_nothing_on_agents_named_unlike_their_hosts(
    site_and_agents,
):
    stack, pids = site_and_agents
    altair, vega, deneb = pids
    mapping = {"host1": altair, "host2": vega, "host3": deneb, "host4": deneb}
    alice = stack.user("alice")
    for agent in pids:
        stack.manage("lab", "grant", agent, "--user", "alice")
    name = f"stars-{secrets.token_hex(3)}"
    yaml = DESIGN.format(name=name)

    design = alice.post(f"{stack.url}/api/designs", json={"yaml": yaml}, timeout=10)
    assert design.status_code == 201, design.text
    started = alice.post(
        f"{stack.url}/api/designs/{design.json()['id']}/deploy", json={"agents": mapping}, timeout=10
    )
    assert started.status_code == 201, started.text
    deployment = started.json()["id"]
    seen = run_coroutine(_read_until(stack, alice, deployment, 0, _ended))
    assert seen[-1]["event"]["state"] == "done", [
        m["event"]["detail"] for m in seen if m["event"].get("ok") is False
    ]
    body = _wait_state(stack, alice, deployment, {"done"})
    predicted = alice.post(f"{stack.url}/api/predict", json={"yaml": yaml}, timeout=30).json()
    expected = {(p["src"], p["dst_ip"]): p["expected"] for p in predicted["pairs"]}
    assert {(p["src"], p["dst_ip"]): p["observed"] for p in body["matrix"]["pairs"]} == expected
    assert namespaces_of(pids[deneb]) == [netns_name(deployment, "c1"), netns_name(deployment, "d1")]
    assert f"alias mvlab:{deployment}" in marked_or_routed(pids[altair], f"mvlab:{deployment}")  # the shim

    down = alice.post(f"{stack.url}/api/deployments/{deployment}/teardown", timeout=10)
    assert down.status_code == 202, down.text
    assert _wait_state(stack, alice, deployment, {"torn_down", "failed"})["state"] == "torn_down"
    for agent, pid in pids.items():
        assert namespaces_of(pid) == [], agent
        assert marked_or_routed(pid, f"mvlab:{deployment}") == "", agent
