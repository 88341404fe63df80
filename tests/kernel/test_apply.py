"""apply_plan / teardown against a one-host sandbox, with hand-written plans.

Every test uses a fresh deployment id and removes all its namespaces afterwards.
"""

import json
import secrets
import subprocess
import sys
import time

import pytest

from agent import netns
from agent.apply import ApplyError, Target, apply_plan, teardown
from agent.sandbox import fabric_ns, sandbox_up
from contract.plan import (
    HostAddress,
    HostPlan,
    Link,
    Masquerade,
    Namespace,
    Route,
    SandboxFabric,
    Segment,
    SegmentPort,
    netns_name,
    owner_mark,
)
from tests.kernel.lab import deployment_id, links, reachable

pytestmark = pytest.mark.kernel


def fabric(dep: str, hairpin: bool = False) -> SandboxFabric:
    return SandboxFabric(
        deployment=dep,
        hosts=("h1",),
        segments=(
            Segment(name="lan", ports=(SegmentPort(host="h1", nic="enp0s8"),), hairpin=hairpin),
            Segment(name="wan", ports=(SegmentPort(host="h1", nic="enp0s9"),)),
        ),
    )


def container(name: str, address: str, mode: str = "bridge", parent: str = "enp0s8", **extra) -> Link:
    return Link(
        name="eth0", namespace=name, kind="macvlan", parent=parent, mode=mode, addresses=(address,), **extra
    )


def plan(dep: str, *links_: Link, **fields) -> HostPlan:
    names = sorted({link.namespace for link in links_ if link.namespace})
    fields.setdefault("namespaces", tuple(Namespace(name=n) for n in names))
    return HostPlan(deployment=dep, host="h1", nics=("enp0s8", "enp0s9"), links=links_, **fields)


@pytest.fixture
def host():
    """(deployment, Target of sandbox host h1) with two unconnected NICs enp0s8 and enp0s9."""
    with deployment_id() as dep:
        targets = sandbox_up(fabric(dep), [HostPlan(deployment=dep, host="h1")])
        yield dep, targets["h1"]


def ns(dep: str, name: str) -> str:
    return netns_name(dep, name)


def test_bridge_siblings_reach_each_other_but_not_their_host(host):
    dep, target = host
    apply_plan(
        plan(
            dep,
            container("c1", "10.1.0.1/24"),
            container("c2", "10.1.0.2/24"),
            host_addresses=(HostAddress(link="enp0s8", address="10.1.0.254/24"),),
        ),
        target,
    )
    assert reachable(ns(dep, "c1"), "10.1.0.2", "10.1.0.254") == {"10.1.0.2": True, "10.1.0.254": False}
    assert reachable(target.host_ns, "10.1.0.1") == {"10.1.0.1": False}


@pytest.mark.parametrize(
    "mode, hairpin, talk",
    [("private", False, False), ("private", True, False), ("vepa", False, False), ("vepa", True, True)],
)
def test_private_and_vepa_siblings(mode, hairpin, talk):
    with deployment_id() as dep:
        target = sandbox_up(fabric(dep, hairpin=hairpin), [HostPlan(deployment=dep, host="h1")])["h1"]
        apply_plan(
            plan(dep, container("c1", "10.1.0.1/24", mode), container("c2", "10.1.0.2/24", mode)), target
        )
        assert reachable(ns(dep, "c1"), "10.1.0.2") == {"10.1.0.2": talk}


def test_apply_twice_changes_nothing_and_damage_is_repaired(host):
    dep, target = host
    wanted = plan(
        dep,
        container("c1", "10.1.0.1/24", mac="02:00:0a:01:00:01"),
        container("c2", "10.1.0.2/24"),
        routes=(Route(namespace="c1", dst="default", via="10.1.0.2"),),
    )
    first = apply_plan(wanted, target)
    assert (first.created, first.removed) == (7, 0)  # 2 namespaces, 2 links, 2 addresses, 1 route
    assert apply_plan(wanted, target).actions == []

    c1, c2 = ns(dep, "c1"), ns(dep, "c2")
    with netns.handle(c2) as ipr:  # damage: an address changed, a link down, a stray address
        index = ipr.link_lookup(ifname="eth0")[0]
        ipr.addr("del", index=index, address="10.1.0.2", prefixlen=24)
        ipr.addr("add", index=index, address="10.1.0.99", prefixlen=24)
        ipr.link("set", index=index, state="down")
    with netns.handle(c1) as ipr:  # damage: the link deleted
        ipr.link("del", index=ipr.link_lookup(ifname="eth0")[0])

    repair = apply_plan(wanted, target)
    assert repair.created >= 3 and repair.removed == 1 and repair.changed >= 1, repair.actions
    assert links(c2)["eth0"]["addresses"] == ["10.1.0.2/24"] and links(c2)["eth0"]["up"]
    assert reachable(c1, "10.1.0.2") == {"10.1.0.2": True}
    assert apply_plan(wanted, target).actions == []


def test_a_changed_mode_recreates_the_link_and_dropped_objects_are_removed(host):
    dep, target = host
    apply_plan(plan(dep, container("c1", "10.1.0.1/24"), container("c2", "10.1.0.2/24")), target)
    report = apply_plan(plan(dep, container("c1", "10.1.0.1/24", "private")), target)
    assert "changed macvlan link eth0 in " + ns(dep, "c1") + " (recreated)" in report.actions
    assert "removed namespace " + ns(dep, "c2") in report.actions
    assert not netns.exists(ns(dep, "c2"))
    assert apply_plan(plan(dep, container("c1", "10.1.0.1/24", "private")), target).unchanged


def test_links_without_the_mark_are_never_changed_or_removed(host):
    dep, target = host
    with netns.handle(target.host_ns) as ipr:
        ipr.link("add", ifname="keep0", kind="veth", peer="keep1")
        ipr.addr("add", index=ipr.link_lookup(ifname="keep0")[0], address="10.7.0.1", prefixlen=24)
    before = links(target.host_ns)["keep0"]

    shim = Link(name="keep0", kind="macvlan", parent="enp0s8", mode="bridge", addresses=("10.1.0.9/24",))
    with pytest.raises(ApplyError, match=r"host h1: macvlan link keep0 .* not mvlab's"):
        apply_plan(plan(dep, shim), target)
    with pytest.raises(ApplyError, match=r"keep1 .* not mvlab's"):
        apply_plan(plan(dep, host_addresses=(HostAddress(link="keep1", address="10.7.0.2/24"),)), target)
    apply_plan(plan(dep, container("c1", "10.1.0.1/24")), target)
    teardown(dep, target)
    assert links(target.host_ns)["keep0"] == before and "keep1" in links(target.host_ns)


def test_real_host_rules_allowed_nics_and_the_kernel_error_is_named(host):
    dep, target = host
    machine_like = Target(host_ns=target.host_ns, allowed_nics=frozenset({"enp0s8"}))
    with pytest.raises(ApplyError, match=r"enp0s9 is not in this agent's allowed_nics"):
        apply_plan(plan(dep, container("c1", "10.1.0.1/24", parent="enp0s9")), machine_like)
    vlan = Link(name="enp0s8.100", kind="vlan", parent="enp0s8", vid=100)
    only_enp0s8 = HostPlan(deployment=dep, host="h1", nics=("enp0s8",), links=(vlan,))
    with pytest.raises(ApplyError, match=r"host h1: create vlan link enp0s8.100 in .*: kernel said"):
        apply_plan(only_enp0s8, machine_like)  # this kernel has no 802.1Q


def test_teardown_removes_what_the_deployment_owns_and_nothing_else(host):
    dep, target = host
    shim = Link(name="shim0", kind="macvlan", parent="enp0s8", mode="bridge", addresses=("10.1.0.250/24",))
    apply_plan(
        plan(dep, container("c1", "10.1.0.1/24"), shim, routes=(Route(dst="10.9.0.0/16", via="10.1.0.1"),)),
        target,
    )
    assert links(target.host_ns)["shim0"]["alias"] == owner_mark(dep)
    with deployment_id() as other:  # another deployment on the same machine is left alone
        other_target = sandbox_up(fabric(other), [HostPlan(deployment=other, host="h1")])["h1"]
        apply_plan(plan(other, container("c1", "10.1.0.1/24")), other_target)
        report = teardown(dep, target)
        assert sorted(report.actions) == [
            f"removed link shim0 in {target.host_ns}",
            f"removed namespace {ns(dep, 'c1')}",
        ]
        assert netns.exists(ns(other, "c1"))
    assert "shim0" not in links(target.host_ns)
    assert set(links(target.host_ns)) == {"lo", "enp0s8", "enp0s9"}
    assert not netns.exists(ns(dep, "c1"))
    assert teardown(dep, target).unchanged
    netns.remove(target.host_ns)
    assert teardown(dep, target).unchanged  # after the sandbox host itself is gone


def killed_apply(wanted: HostPlan, target: Target, phase: str) -> None:
    """Run apply_plan in a child process and SIGKILL it in the middle of `phase`."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from agent.apply import Target, apply_plan; from contract.plan import HostPlan;"
            "apply_plan(HostPlan.model_validate_json(sys.stdin.readline()),"
            " Target.sandbox_host(sys.argv[1]))",
            target.host_ns,
        ],
        stdin=subprocess.PIPE,
        text=True,
    )
    child.stdin.write(wanted.model_dump_json() + "\n")
    child.stdin.flush()
    containers = len(wanted.namespaces)
    enough = containers // 4 if phase == "namespaces" else containers  # links start once all namespaces exist
    deadline = time.monotonic() + 20
    while len(netns.list_namespaces(ns(wanted.deployment, "c"))) < enough and time.monotonic() < deadline:
        time.sleep(0.001)
    while (
        phase == "links" and "eth0" not in links(ns(wanted.deployment, "c0")) and time.monotonic() < deadline
    ):
        pass  # the first container's link is made first: kill as soon as it is there
    child.kill()
    child.wait()
    assert child.returncode == -9
    eths = sum(
        "eth0" in links(n) for n in netns.list_namespaces(ns(wanted.deployment, "c")) if netns.exists(n)
    )
    made = len(netns.list_namespaces(ns(wanted.deployment, "c")))
    assert eths < containers and (made < containers or phase == "links"), "the child was killed halfway"


@pytest.mark.parametrize("phase", ["namespaces", "links"])
def test_kill_in_the_middle_of_an_apply_then_apply_converges(host, phase):
    dep, target = host
    wanted = plan(dep, *(container(f"c{i}", f"10.1.0.{i + 1}/24") for i in range(40)))
    killed_apply(wanted, target, phase)

    report = apply_plan(wanted, target)
    assert report.created > 0
    assert all(links(ns(dep, f"c{i}"))["eth0"]["addresses"] == [f"10.1.0.{i + 1}/24"] for i in range(40))
    assert reachable(ns(dep, "c0"), "10.1.0.40") == {"10.1.0.40": True}
    assert apply_plan(wanted, target).unchanged
    teardown(dep, target)
    assert set(netns.list_namespaces(ns(dep, ""))) == {fabric_ns(dep), target.host_ns}  # the sandbox's own


def test_teardown_of_one_host_leaves_the_namespaces_of_another_host_on_the_same_machine(host):
    dep, target = host
    apply_plan(plan(dep, container("c1", "10.1.0.1/24")), target)
    other = plan(dep, container("c2", "10.1.0.2/24")).model_copy(update={"host": "h2"})
    apply_plan(other, target)  # a second agent of the same deployment on this machine
    report = teardown(dep, target, hosts=["h1"])
    assert report.actions == [f"removed namespace {ns(dep, 'c1')}"]
    assert netns.exists(ns(dep, "c2"))
    assert teardown(dep, target, hosts=["h2"]).actions == [f"removed namespace {ns(dep, 'c2')}"]


def test_teardown_right_after_a_killed_apply_leaves_nothing(host):
    dep, target = host
    shim = Link(name="shim0", kind="macvlan", parent="enp0s8", mode="bridge", addresses=("10.1.0.250/24",))
    wanted = plan(dep, shim, *(container(f"c{i}", f"10.1.0.{i + 1}/24") for i in range(40)))
    killed_apply(wanted, target, "namespaces")
    teardown(dep, target)
    assert set(netns.list_namespaces(ns(dep, ""))) == {fabric_ns(dep), target.host_ns}  # the sandbox's own
    assert set(links(target.host_ns)) == {"lo", "enp0s8", "enp0s9"}


def test_on_the_machine_an_empty_plan_and_a_teardown_touch_nothing():
    """Read-only on the machine's own namespace (the suite guard checks it stayed the same)."""
    dep = "t" + secrets.token_hex(5)
    machine = Target.machine(["eth0"])
    assert apply_plan(HostPlan(deployment=dep, host="m"), machine).unchanged
    assert teardown(dep, machine).unchanged
    with pytest.raises(ApplyError, match="NIC eth0 is not in this agent's allowed_nics"):
        apply_plan(
            plan(dep, container("c1", "10.1.0.1/24", parent="eth0")).model_copy(update={"nics": ("eth0",)}),
            Target.machine([]),
        )
    assert netns.list_namespaces(ns(dep, "")) == []


def test_router_forwards_and_masquerades_and_steps_are_reported(host):
    dep, target = host
    events = []
    wanted = plan(
        dep,
        container("c1", "10.1.0.1/24"),
        container("r", "10.1.0.254/24"),
        Link(
            name="eth1",
            namespace="r",
            kind="macvlan",
            parent="enp0s9",
            mode="bridge",
            addresses=("10.2.0.254/24",),
        ),
        container("c3", "10.2.0.1/24", parent="enp0s9"),
        namespaces=(Namespace(name="c1"), Namespace(name="c3"), Namespace(name="r", forwarding=True)),
        routes=(Route(namespace="c1", dst="default", via="10.1.0.254"),),  # c3 has no route back to c1
        masquerade=(Masquerade(namespace="r", out_link="eth1", source="10.1.0.0/24"),),
    )
    apply_plan(wanted, target, emit=events.append)
    assert reachable(ns(dep, "c1"), "10.2.0.1") == {"10.2.0.1": True}  # only thanks to source NAT
    assert netns.run_in(ns(dep, "r"), lambda: open("/proc/sys/net/ipv4/ip_forward").read().strip()) == "1"
    steps = [(e.step, e.status) for e in events]
    assert steps == [
        (s, status)
        for s in ("host", "namespaces", "links", "addresses", "routes", "sysctls", "masquerade")
        for status in ("started", "done")
    ]
    assert "created masquerade table in " + ns(dep, "r") in events[-1].detail
    assert apply_plan(wanted, target).unchanged

    no_nat = wanted.model_copy(update={"masquerade": ()})
    assert apply_plan(no_nat, target).actions == ["removed masquerade table in " + ns(dep, "r")]
    assert reachable(ns(dep, "c1"), "10.2.0.1") == {"10.2.0.1": False}

    no_router = no_nat.model_copy(update={"namespaces": tuple(Namespace(name=n) for n in ("c1", "c3", "r"))})
    assert sorted(apply_plan(no_router, target).actions) == [
        f"changed sysctl {key}=0 in {ns(dep, 'r')}"
        for key in ("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding")
    ]
    assert netns.run_in(ns(dep, "r"), lambda: open("/proc/sys/net/ipv4/ip_forward").read().strip()) == "0"
    apply_plan(wanted.model_copy(update={"namespaces": no_router.namespaces}), target)  # NAT, not routing
    assert apply_plan(no_router, target).actions == ["removed masquerade table in " + ns(dep, "r")]

    events.clear()
    broken = no_router.model_copy(update={"routes": (Route(namespace="c1", dst="10.5.0.0/16", dev="eth9"),)})
    with pytest.raises(ApplyError, match="no link eth9"):
        apply_plan(broken, target, emit=events.append)
    assert events[-1].status == "failed" and events[-1].step == "routes" and "eth9" in events[-1].detail


def test_plans_are_validated_again_on_the_agent_side(host):
    dep, target = host
    forged = HostPlan.model_construct(**{**plan(dep).model_dump(), "deployment": "Bad;rm -rf"})
    with pytest.raises(ValueError, match="deployment"):
        apply_plan(forged, target)
    assert json.loads(plan(dep).model_dump_json())["deployment"] == dep


def test_host_links_are_born_marked_so_a_crash_leaves_nothing_unmarked_on_the_host(host):
    dep, target = host
    staging = netns_name(dep, "h1.staging")
    netns.create(staging)  # as an apply killed between creating a shim and moving it would leave it
    with netns.handle(staging) as ipr:
        ipr.link("add", ifname="shim0", kind="veth", peer="half1")
    shim = Link(name="shim0", kind="macvlan", parent="enp0s8", mode="bridge", addresses=("10.1.0.250/24",))
    report = apply_plan(plan(dep, shim), target)
    assert f"created macvlan link shim0 in {target.host_ns}" in report.actions
    made = links(target.host_ns)["shim0"]
    assert (made["kind"], made["alias"], made["up"], made["addresses"]) == (
        "macvlan",
        owner_mark(dep),
        True,
        ["10.1.0.250/24"],
    )
    assert not netns.exists(staging)
    assert apply_plan(plan(dep, shim), target).unchanged


@pytest.mark.parametrize("mode", ["bridge", "private", "vepa", "passthru", "source"])
def test_every_macvlan_mode_is_made_as_asked_and_kept(host, mode):
    dep, target = host
    wanted = plan(dep, container("c1", "10.1.0.1/24", mode))
    assert apply_plan(wanted, target).created == 3
    with netns.rtnl(ns(dep, "c1")) as rt:
        eth0 = next(link for link in rt.links() if link.name == "eth0")
    assert (eth0.kind, eth0.macvlan_mode, eth0.up, eth0.alias) == ("macvlan", mode, True, owner_mark(dep))
    assert apply_plan(wanted, target).unchanged


def test_ipv6_addresses_and_routes_including_default_are_kept_and_pruned(host):
    dep, target = host
    c1 = Link(
        name="eth0",
        namespace="c1",
        kind="macvlan",
        parent="enp0s8",
        mode="bridge",
        addresses=("10.1.0.1/24", "fd00:1::1/64"),
    )
    routes = (
        Route(namespace="c1", dst="default", via="fd00:1::fe"),
        Route(namespace="c1", dst="fd00:9::/48", dev="eth0"),
        Route(namespace="c1", dst="default", via="10.1.0.254"),
    )
    wanted = plan(dep, c1, routes=routes)
    assert apply_plan(wanted, target).created == 7  # namespace, link, 2 addresses, 3 routes
    with netns.rtnl(ns(dep, "c1")) as rt:
        mine = {(r.dst, r.gateway) for r in rt.routes() if r.proto == 251}
    assert mine == {("::/0", "fd00:1::fe"), ("fd00:9::/48", None), ("0.0.0.0/0", "10.1.0.254")}
    assert apply_plan(wanted, target).unchanged
    fewer = wanted.model_copy(update={"routes": routes[:1]})
    report = apply_plan(fewer, target)
    assert (report.created, report.changed, report.removed) == (0, 0, 2)
    with netns.rtnl(ns(dep, "c1")) as rt:
        assert {(r.dst, r.gateway) for r in rt.routes() if r.proto == 251} == {("::/0", "fd00:1::fe")}
