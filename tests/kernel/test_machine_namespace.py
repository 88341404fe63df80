"""What an agent on a real host may change in its machine's own namespace (DESIGN.md "Safety").

The "machine" is a `mvltest-` namespace made here, with an unmarked `eth0` (its uplink: 10.60.0.1/24,
default route via 10.60.0.254) and a broker at 10.70.0.5 behind that gateway, used as an agent's
`Target` with `eth0` allowed: host routes go only through links the deployment made (a shim here)
or to `--allowed-routes`, never default, never over the way to the broker; forwarding is put back.
"""

import ipaddress
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from agent import netns
from agent.apply import MVLAB_ROUTE_PROTO, ApplyError, Target, apply_plan, teardown
from contract.plan import HostPlan, Link, Route, Sysctl
from tests.kernel.lab import deployment_id

pytestmark = pytest.mark.kernel

ROOT = Path(__file__).resolve().parents[2]
SHIM = Link(name="shim0", kind="macvlan", parent="eth0", mode="bridge", addresses=("10.50.0.250/24",))
FORWARD = "net.ipv4.ip_forward"


def ip(*args: str) -> str:
    return subprocess.run(["ip", *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def machine():
    """(deployment, machine namespace); `eth0` is a veth into a `-lan` namespace of its own. Both
    namespaces and the deployment's own are removed afterwards."""
    ns = f"mvltest-{secrets.token_hex(3)}"
    made = [ns, f"{ns}-lan"]
    try:
        for name in made:
            ip("netns", "add", name)
        ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "up0", "netns", made[1])
        ip("-n", ns, "addr", "add", "10.60.0.1/24", "dev", "eth0")
        ip("-n", ns, "link", "set", "eth0", "up")
        ip("-n", made[1], "link", "set", "up0", "up")
        ip("-n", ns, "route", "add", "default", "via", "10.60.0.254")
        with deployment_id() as dep:
            yield dep, ns
            teardown(dep, target(ns))
    finally:
        for name in made:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)


def target(ns: str, allowed_routes=()) -> Target:
    return Target(
        host_ns=ns,
        allowed_nics=frozenset({"eth0"}),
        protected=frozenset({"10.70.0.5"}),
        allowed_routes=tuple(ipaddress.ip_network(p) for p in allowed_routes),
    )


def host_plan(dep: str, *routes: Route, **fields) -> HostPlan:
    return HostPlan(deployment=dep, host="host1", nics=("eth0",), links=(SHIM,), routes=routes, **fields)


def mvlab_routes(ns: str) -> list[str]:
    return ip("-n", ns, "route", "show", "proto", str(MVLAB_ROUTE_PROTO)).split("\n")[:-1]


@pytest.mark.parametrize(
    "route, why",
    [
        (
            Route(dst="10.80.0.0/16", via="10.60.0.9"),
            "route to 10.80.0.0/16 via 10.60.0.9 refused: it leaves through eth0, which mvlab did not make, "
            "and 10.80.0.0/16 is in none of this agent's --allowed-routes (none given)",
        ),
        (
            Route(dst="10.80.0.0/16", dev="eth0"),
            "route to 10.80.0.0/16 refused: it leaves through eth0, which mvlab",
        ),
        (
            Route(dst="default", via="10.50.0.1"),
            "route to 0.0.0.0/0 via 10.50.0.1 refused: "
            "a default route would take all of this machine's traffic",
        ),
        (
            Route(dst="10.70.0.0/24", via="10.50.0.1"),
            "route to 10.70.0.0/24 via 10.50.0.1 refused: "
            "it covers 10.70.0.5, on this agent's own way to its broker",
        ),
        (
            Route(dst="10.60.0.254/32", via="10.50.0.1"),
            "route to 10.60.0.254/32 via 10.50.0.1 refused: it covers 10.60.0.254, on this agent's own way",
        ),
    ],
    ids=["via-eth0", "dev-eth0", "default", "broker", "broker-gateway"],
)
def test_a_route_the_machine_must_not_get_is_an_apply_error_naming_it(machine, route, why):
    dep, ns = machine
    with pytest.raises(ApplyError, match="host host1: " + why.replace("(", r"\(").replace(")", r"\)")):
        apply_plan(host_plan(dep, route), target(ns))
    assert mvlab_routes(ns) == []


def test_routes_through_an_owned_link_or_to_an_allowed_prefix_are_made_and_removed_on_teardown(machine):
    dep, ns = machine
    wanted = host_plan(
        dep, Route(dst="10.90.0.0/16", via="10.50.0.1"), Route(dst="10.80.1.0/24", via="10.60.0.9")
    )
    allowed = target(ns, allowed_routes=["10.80.0.0/16"])
    apply_plan(wanted, allowed)
    assert mvlab_routes(ns) == [
        "10.80.1.0/24 via 10.60.0.9 dev eth0 ",
        "10.90.0.0/16 via 10.50.0.1 dev shim0 ",
    ]
    assert apply_plan(wanted, allowed).unchanged

    teardown(dep, allowed)
    assert mvlab_routes(ns) == []
    assert "shim0" not in ip("-n", ns, "link")
    assert ip("-n", ns, "route").splitlines() == [
        "default via 10.60.0.254 dev eth0 ",
        "10.60.0.0/24 dev eth0 proto kernel scope link src 10.60.0.1 ",
    ]


def test_an_allowed_route_dropped_from_the_plan_is_removed_and_a_route_via_eth0_not_mvlabs_stays(machine):
    dep, ns = machine
    ip("-n", ns, "route", "add", "10.80.2.0/24", "via", "10.60.0.9")  # the machine's own
    allowed = target(ns, allowed_routes=["10.80.0.0/16"])
    apply_plan(host_plan(dep, Route(dst="10.80.1.0/24", via="10.60.0.9")), allowed)
    report = apply_plan(host_plan(dep), allowed)
    assert [a for a in report.actions if "route" in a] == [
        f"removed route 10.80.1.0/24 via 10.60.0.9 oif 2 in {ns}"
    ]
    assert "10.80.2.0/24 via 10.60.0.9 dev eth0" in ip("-n", ns, "route")


def forwarding(ns: str) -> str:
    return netns.run_in(ns, lambda: open(netns.sysctl_path(FORWARD)).read().strip())


def set_forwarding(ns: str, value: str) -> None:
    subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw", f"{FORWARD}={value}"], check=True)


@pytest.mark.parametrize("previous", ["0", "1"])
def test_forwarding_goes_back_to_its_previous_value_on_teardown(machine, previous):
    dep, ns = machine
    set_forwarding(ns, previous)
    apply_plan(host_plan(dep, sysctls=(Sysctl(key=FORWARD, value="1"),)), target(ns))
    assert forwarding(ns) == "1"
    set_forwarding(ns, "1")
    teardown(dep, target(ns))
    assert forwarding(ns) == previous


def test_forwarding_goes_back_after_an_agent_restart_between_apply_and_teardown(machine):
    """The apply runs in a process of its own that then ends, as an agent restarted would."""
    dep, ns = machine
    set_forwarding(ns, "0")
    plan = host_plan(dep, sysctls=(Sysctl(key=FORWARD, value="1"),)).model_dump_json()
    code = (
        "import sys; from agent.apply import apply_plan, Target; from contract.plan import HostPlan; "
        "apply_plan(HostPlan.model_validate_json(sys.argv[1]), Target(host_ns=sys.argv[2], "
        "allowed_nics=frozenset({'eth0'})))"
    )
    subprocess.run([sys.executable, "-c", code, plan, ns], cwd=ROOT, check=True)
    assert forwarding(ns) == "1"
    report = teardown(dep, target(ns))
    assert f"changed sysctl {FORWARD} back to 0 in {ns}" in report.actions
    assert forwarding(ns) == "0"


def test_forwarding_dropped_from_the_plan_goes_back_at_the_next_apply(machine):
    dep, ns = machine
    set_forwarding(ns, "0")
    apply_plan(host_plan(dep, sysctls=(Sysctl(key=FORWARD, value="1"),)), target(ns))
    apply_plan(host_plan(dep), target(ns))
    assert forwarding(ns) == "0"


def test_two_hosts_on_one_machine_keep_their_routes_and_forwarding_goes_back_when_the_last_lets_go(machine):
    """One agent serving host1 and host2 of a deployment (neither with a link of its own in the
    machine's namespace): each apply leaves the other's changes alone."""
    dep, ns = machine
    set_forwarding(ns, "0")
    allowed = target(ns, allowed_routes=["10.80.0.0/16"])

    def plan_of(host: str, prefix: str) -> HostPlan:
        return HostPlan(
            deployment=dep,
            host=host,
            nics=("eth0",),
            sysctls=(Sysctl(key=FORWARD, value="1"),),
            routes=(Route(dst=prefix, via="10.60.0.9"),),
        )

    apply_plan(plan_of("host1", "10.80.1.0/24"), allowed)
    assert not [a for a in apply_plan(plan_of("host2", "10.80.2.0/24"), allowed).actions if "removed" in a]
    assert len(mvlab_routes(ns)) == 2

    teardown(dep, allowed, hosts=["host1"])
    assert mvlab_routes(ns) == ["10.80.2.0/24 via 10.60.0.9 dev eth0 "] and forwarding(ns) == "1"
    teardown(dep, allowed, hosts=["host2"])
    assert mvlab_routes(ns) == [] and forwarding(ns) == "0"


def test_teardown_names_what_it_could_not_put_back(machine):
    dep, ns = machine
    apply_plan(host_plan(dep, sysctls=(Sysctl(key=FORWARD, value="1"),)), target(ns))
    state = Path(f"/run/mvlab/machine/{netns.inode(ns)}.json")
    kept = state.read_text()
    state.write_text(kept.replace('"before": "0"', '"before": "not-a-value"'))
    with pytest.raises(
        ApplyError, match=rf"could not remove .*sysctl {FORWARD} in {ns} \(.*Invalid argument"
    ):
        teardown(dep, target(ns))
    state.write_text(kept)
