"""Docker's 802.1Q trunk lab on three real kernels, deployed and torn down through the running site.

Three VMs (tests/vm/lab.py) run agents named after stars; the design (examples/docker-8021q-trunk.yaml on
`eth1`) puts host1, host2 and the routing host gw on them. Over HTTP a user saves the design and deploys it,
reads the deployment's websocket to its end, and finds on every VM real 802.1Q sub-interfaces `eth1.100` and
`eth1.200` made by its agent, containers in namespaces of that VM's own, forwarding on the router's kernel
only, and the observed matrix equal to the prediction (TTL 63 across the router). Teardown removes every
link mvlab made, and leaves a VLAN sub-interface that was there before untouched.
"""

import json
import re
import secrets
import shlex
import subprocess
import time

import pytest
import websockets

from contract.plan import netns_name, owner_mark
from tests.integration.test_live_deploy import _ended, _read_until, _wait_state
from tests.live import run_coroutine
from tests.vm.lab import ROOT

pytestmark = [pytest.mark.vm, pytest.mark.integration, pytest.mark.timeout(1200)]

HOSTS = ("host1", "host2", "gw")


def links(vm) -> dict[str, dict]:
    """{name: link} of the VM's own namespace, with details (`ip -d -j link`)."""
    return {link["ifname"]: link for link in vm.ip_json("-d", "link", "show")}


def vlan_of(link: dict) -> int | None:
    info = link.get("linkinfo", {})
    return info.get("info_data", {}).get("id") if info.get("info_kind") == "vlan" else None


def follow(vm_site, session, deployment: str) -> list[dict]:
    """The deployment's websocket messages to its end; a socket the site closes early fails the test with
    the site's and the agents' logs."""
    try:
        return run_coroutine(_read_until(vm_site.stack, session, deployment, "0", _ended))
    except websockets.ConnectionClosed as exc:
        raise AssertionError(
            f"the site closed deployment {deployment}'s websocket: {exc}\n{vm_site.logs()}"
        ) from exc


def test_guests_reach_the_test_redis_and_nothing_else(vm_site):
    """Each guest's only way out is the forward to the test's Redis; the lab's wire holds only the VMs."""
    lab = vm_site.lab
    assert lab.taps() == [f"tap{vm.number}" for vm in lab.vms]
    port = 7000 + secrets.randbelow(2000)
    listener = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            lab.wire,
            "socat",
            f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork",
            "SYSTEM:echo reached",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.5)
        here = subprocess.run(
            ["ip", "netns", "exec", lab.wire, "socat", "-T", "5", "-", f"TCP:127.0.0.1:{port}"],
            input="",
            capture_output=True,
            text=True,
            timeout=20,
        )
        assert here.stdout.strip() == "reached"  # the listener answers whoever can reach it
        for vm in lab.vms:
            assert vm.ip_json("route", "show", "default") == [], vm.name
            redis = vm.run(probe_tcp("10.0.2.100", 6379, b"PING\r\n"), timeout=30)
            assert redis["out"].strip() == "+PONG", (vm.name, redis)
            host = vm.run(probe_tcp("10.0.2.2", port, b""), timeout=30)
            assert host["rc"] != 0 and "reached" not in host["out"], (vm.name, host)
    finally:
        listener.terminate()
        listener.wait(timeout=10)


def probe_tcp(address: str, port: int, send: bytes) -> str:
    """A guest command that connects, sends `send` and prints what comes back within 5 s."""
    code = (
        f"import socket; s = socket.create_connection(({address!r}, {port}), 5); s.settimeout(5); "
        f"s.sendall({send!r}); print(s.recv(100).decode().strip())"
    )
    return shlex.join(["timeout", "20", "python3", "-c", code])


@pytest.fixture(scope="module")
def alice(vm_site):
    """A user granted every VM's agent."""
    username = f"alice-{secrets.token_hex(2)}"
    session = vm_site.stack.user(username)
    for vm in vm_site.lab.vms:
        vm_site.stack.manage("lab", "grant", vm.name, "--user", username)
    return session


def example(path: str, name: str) -> str:
    """An example design, on the VMs' NIC eth1 and named `name`-<random>."""
    text = (ROOT / "examples" / path).read_text().replace("enp0s8", "eth1")
    return re.sub(r"(?m)^name: .*$", f"name: {name}-{secrets.token_hex(3)}", text, count=1)


def deploy(vm_site, session, yaml: str, mapping: dict[str, str]) -> tuple[str, list[dict]]:
    """Saves `yaml` and deploys it onto {host: agent} through the site, following its websocket to the
    end; (deployment, websocket messages). Prints how long it took."""
    stack = vm_site.stack
    design = session.post(f"{stack.url}/api/designs", json={"yaml": yaml}, timeout=10)
    assert design.status_code == 201, design.text
    began = time.monotonic()
    started = session.post(
        f"{stack.url}/api/designs/{design.json()['id']}/deploy", json={"agents": mapping}, timeout=10
    )
    assert started.status_code == 201, started.text
    deployment = started.json()["id"]
    seen = follow(vm_site, session, deployment)
    took = time.monotonic() - began
    vm_site.say(
        f"VM lab: {design.json()['name']} (deployment {deployment}) deployed through the site in "
        f"{took:.1f} s ({len(seen)} websocket messages, state {seen[-1]['event']['state']})"
    )
    return deployment, seen


def observed_as_predicted(vm_site, session, deployment: str, seen: list[dict], yaml: str) -> list[dict]:
    """Asserts the deployment is done and its stored matrix is the prediction, TTLs included; its pairs."""
    stack = vm_site.stack
    failures = [m["event"].get("detail") for m in seen if m["event"].get("ok") is False]
    assert seen[-1]["event"]["state"] == "done", f"{failures}\n{vm_site.logs()}"
    observed = _wait_state(stack, session, deployment, {"done"})["matrix"]["pairs"]
    predicted = session.post(f"{stack.url}/api/predict", json={"yaml": yaml}, timeout=30).json()["pairs"]
    assert {(p["src"], p["dst_ip"]): p["observed"] for p in observed} == {
        (p["src"], p["dst_ip"]): p["expected"] for p in predicted
    }
    assert {(p["src"], p["dst_ip"]): p["ttl"] for p in observed if p["observed"]} == {
        (p["src"], p["dst_ip"]): p["expected_ttl"] for p in predicted if p["expected"]
    }
    return observed


def tear_down(vm_site, session, deployment: str) -> None:
    """Tears the deployment down through the site; then no VM keeps a link marked for it or a namespace."""
    stack = vm_site.stack
    down = session.post(f"{stack.url}/api/deployments/{deployment}/teardown", timeout=10)
    assert down.status_code == 202, down.text
    ended = _wait_state(stack, session, deployment, {"torn_down", "failed"}, timeout=300)
    assert ended["state"] == "torn_down", ended
    for vm in vm_site.lab.vms:
        marked = [n for n, link in links(vm).items() if link.get("ifalias") == owner_mark(deployment)]
        assert marked == [], vm.name
        assert vm.sh("ls /run/netns 2>/dev/null || true").split() == [], vm.name


def neighbours(vm) -> set[str]:
    """The addresses in the neighbour table of the VM's own namespace."""
    return {entry["dst"] for entry in vm.ip_json("neigh", "show")}


def test_the_8021q_lab_deploys_on_real_kernels_and_tears_down_leaving_foreign_vlans(vm_site, alice):
    """Before the deploy, host2's machine has an `eth1.100` of its own (which the design uses, as Docker
    uses a parent it finds) and the router's an `eth1.300` with an address (which it does not)."""
    lab = vm_site.lab
    _, host2, gw = lab.vms
    host2.sh("ip link add link eth1 name eth1.100 type vlan id 100 && ip link set eth1.100 up")
    gw.sh(
        "ip link add link eth1 name eth1.300 type vlan id 300 && ip addr add 10.30.0.1/24 dev eth1.300 "
        "&& ip link set eth1.300 up"
    )
    foreign = {host2.name: links(host2)["eth1.100"], gw.name: links(gw)["eth1.300"]}
    try:
        check_trunk_lab(vm_site, alice, foreign)
    finally:
        host2.sh("ip link del eth1.100 2>/dev/null || true")
        gw.sh("ip link del eth1.300 2>/dev/null || true")


def check_trunk_lab(vm_site, alice, foreign: dict[str, dict]) -> None:
    lab = vm_site.lab
    host1, host2, gw = lab.vms
    yaml = example("docker-8021q-trunk.yaml", "trunk")
    deployment, seen = deploy(
        vm_site, alice, yaml, dict(zip(HOSTS, (vm.name for vm in lab.vms), strict=True))
    )
    observed = observed_as_predicted(vm_site, alice, deployment, seen, yaml)
    # from VLAN 100 to VLAN 200
    crossing = [p for p in observed if p["src"] in ("c1", "c3") and p["dst"] in ("c2", "c4")]
    assert crossing and all(p["observed"] and p["ttl"] == 63 for p in crossing), crossing

    mark = owner_mark(deployment)
    for vm in lab.vms:
        made = links(vm)
        vlans = {name: (vlan_of(link), link.get("ifalias")) for name, link in made.items() if vlan_of(link)}
        expected = {"eth1.100": (100, mark), "eth1.200": (200, mark)}
        if vm.name in foreign:
            expected[foreign[vm.name]["ifname"]] = (vlan_of(foreign[vm.name]), None)
        assert vlans == expected, vm.name
        assert all(made[name]["link"] == "eth1" for name in vlans), vm.name
    # per machine: namespaces, forwarding, and the neighbours the router's kernel learnt while routing
    assert sorted(host1.sh("ls /run/netns").split()) == [netns_name(deployment, c) for c in ("c1", "c2")]
    assert sorted(host2.sh("ls /run/netns").split()) == [netns_name(deployment, c) for c in ("c3", "c4")]
    assert gw.sh("ls /run/netns 2>/dev/null || true").split() == []
    assert [vm.sh("cat /proc/sys/net/ipv4/ip_forward").strip() for vm in lab.vms] == ["0", "0", "1"]
    containers = {p["dst_ip"] for p in observed if p["dst"] in ("c1", "c2", "c3", "c4")}
    assert containers <= neighbours(gw)
    assert neighbours(host1) & containers == set() and neighbours(host2) & containers == set()
    here = subprocess.run(["ip", "-j", "neigh", "show"], capture_output=True, text=True, check=True).stdout
    assert {entry["dst"] for entry in json.loads(here or "[]")} & containers == set()

    tear_down(vm_site, alice, deployment)
    for vm in lab.vms:
        left = links(vm)
        kept = [foreign[vm.name]["ifname"]] if vm.name in foreign else []
        assert [name for name in left if vlan_of(left[name])] == kept, vm.name
        for name in kept:
            before, after = foreign[vm.name], left[name]
            assert [after[k] for k in ("ifindex", "operstate", "flags")] == [
                before[k] for k in ("ifindex", "operstate", "flags")
            ], vm.name
            assert (vlan_of(after), after.get("ifalias")) == (vlan_of(before), None), vm.name
    assert [
        a["local"]
        for a in gw.ip_json("addr", "show", "dev", "eth1.300")
        for a in a["addr_info"]
        if a["family"] == "inet"
    ] == ["10.30.0.1"]
    assert [vm.sh("cat /proc/sys/net/ipv4/ip_forward").strip() for vm in lab.vms] == ["0", "0", "0"]


def test_a_foreign_link_by_the_name_of_a_planned_vlan_but_another_vlan_is_refused_and_kept(vm_site, alice):
    lab = vm_site.lab
    host1 = lab.vms[0]
    host1.sh("ip link add link eth1 name eth1.100 type vlan id 101 && ip link set eth1.100 up")
    try:
        before = links(host1)["eth1.100"]
        yaml = example("docker-8021q-trunk.yaml", "clash")
        deployment, seen = deploy(
            vm_site, alice, yaml, dict(zip(HOSTS, (vm.name for vm in lab.vms), strict=True))
        )
        assert seen[-1]["event"]["state"] == "failed"
        failures = " ".join(m["event"].get("detail", "") for m in seen if m["event"].get("ok") is False)
        assert (
            "vlan link eth1.100" in failures
            and "exists and is not mvlab's (ifalias None), and is not VLAN 100 of eth1, up" in failures
        ), failures
        tear_down(vm_site, alice, deployment)
        after = links(host1)["eth1.100"]
        assert (after["ifindex"], vlan_of(after), after.get("ifalias")) == (before["ifindex"], 101, None)
    finally:
        host1.sh("ip link del eth1.100 2>/dev/null || true")


def test_a_host_reaches_its_own_macvlan_children_only_through_a_shim(vm_site, alice):
    """host1 has a shim and reaches its containers; host2 has only an address on eth1 and reaches host1's
    containers over the wire, never its own (the macvlan parent does not deliver to its children). eth1 is
    the machine's NIC, not mvlab's: its address is the machine's own, given before and kept after."""
    sirius, rigel, _procyon = vm_site.lab.vms
    rigel.sh("ip addr add 192.168.60.2/24 dev eth1")
    try:
        yaml = example("host-isolation-shim.yaml", "shim")
        deployment, seen = deploy(vm_site, alice, yaml, {"host1": sirius.name, "host2": rigel.name})
        pairs = observed_as_predicted(vm_site, alice, deployment, seen, yaml)
        observed = {(p["src"], p["dst"]): p["observed"] for p in pairs}
        assert observed[("host1", "a1")] and observed[("host1", "a2")]
        assert observed[("host2", "a1")] and not observed[("host2", "b1")]
        tear_down(vm_site, alice, deployment)
        held = rigel.ip_json("-4", "addr", "show", "dev", "eth1")
        assert [a["local"] for entry in held for a in entry["addr_info"]] == ["192.168.60.2"]
    finally:
        rigel.sh("ip addr flush dev eth1 scope global")


def test_an_agent_killed_mid_apply_is_cleaned_up_and_the_design_deploys_again(vm_site, alice):
    """host1's agent is killed (SIGKILL) as soon as its first link exists: the site fails the deployment
    once its heartbeat stops; restarted, the agent tears down what the killed apply left, and the same
    design then deploys as predicted."""
    lab = vm_site.lab
    host1 = lab.vms[0]
    mapping = dict(zip(HOSTS, (vm.name for vm in lab.vms), strict=True))
    yaml = example("docker-8021q-trunk.yaml", "killed")
    host1.sh(
        f"(until ip -o link show | grep -q 'alias mvlab:'; do sleep 0.02; done; "
        f"kill -9 -{host1.agent_pid}) >/dev/null 2>&1 </dev/null &"
    )
    deployment, seen = deploy(vm_site, alice, yaml, mapping)
    body = _wait_state(vm_site.stack, alice, deployment, {"failed", "done"})
    assert body["state"] == "failed", body
    assert "stopped sending heartbeats" in body["hosts"]["host1"]["detail"], body["hosts"]["host1"]
    assert host1.run(f"kill -0 {host1.agent_pid}")["rc"] != 0
    half_made = [n for n, link in links(host1).items() if link.get("ifalias") == owner_mark(deployment)]
    assert half_made, "the agent was killed before it made anything"

    host1.start_agent()
    vm_site.say(
        f"VM lab: host1's agent restarted in {host1.wait_for_agent(vm_site.stack.redis()):.1f} s "
        f"(the killed apply had made {', '.join(sorted(half_made))})"
    )
    tear_down(vm_site, alice, deployment)
    assert [n for n, link in links(host1).items() if vlan_of(link)] == []

    again, seen = deploy(vm_site, alice, yaml, mapping)
    observed_as_predicted(vm_site, alice, again, seen, yaml)
    tear_down(vm_site, alice, again)
