"""The lab sandbox fabric: wires, VLAN isolation, hairpin, reconcile after damage, teardown."""

import pytest

from agent import netns
from agent.apply import apply_plan
from agent.sandbox import deploy_sandbox, fabric_ns, host_ns, sandbox_down, sandbox_up
from contract.plan import HostPlan, Link, Namespace, SandboxFabric, Segment, SegmentPort, netns_name
from tests.kernel.lab import deployment_id, links, reachable

pytestmark = pytest.mark.kernel


def vlan_lab(dep: str, hairpin: bool = False):
    """h1 and h2 on one switch carrying VLANs 100 and 200; one container per (host, VLAN), one subnet."""
    fabric = SandboxFabric(
        deployment=dep,
        hosts=("h1", "h2"),
        segments=(
            Segment(
                name="switch",
                ports=(SegmentPort(host="h1", nic="enp0s8"), SegmentPort(host="h2", nic="enp0s8")),
                vlans=(100, 200),
                hairpin=hairpin,
            ),
        ),
    )

    def plan(host: str, number: int) -> HostPlan:
        names = {vid: f"{host}v{vid}" for vid in (100, 200)}
        return HostPlan(
            deployment=dep,
            host=host,
            nics=("enp0s8",),
            namespaces=tuple(Namespace(name=n) for n in names.values()),
            links=(
                *(Link(name=f"enp0s8.{vid}", kind="vlan", parent="enp0s8", vid=vid) for vid in names),
                *(
                    Link(
                        name="eth0",
                        namespace=n,
                        kind="macvlan",
                        parent=f"enp0s8.{vid}",
                        mode="bridge",
                        addresses=(f"10.8.0.{vid // 100 * 10 + number}/24",),
                    )
                    for vid, n in names.items()
                ),
            ),
        )

    return fabric, [plan("h1", 1), plan("h2", 2)]


def test_vlans_are_isolated_and_a_second_up_changes_nothing():
    with deployment_id() as dep:
        fabric, plans = vlan_lab(dep)
        deploy_sandbox(fabric, plans)
        # 10.8.0.11 (h1, VLAN 100) reaches 10.8.0.12 (h2, VLAN 100), not 10.8.0.22 (h2, VLAN 200)
        assert reachable(netns_name(dep, "h1v100"), "10.8.0.12", "10.8.0.22") == {
            "10.8.0.12": True,
            "10.8.0.22": False,
        }
        before = {ns: links(ns) for ns in (fabric_ns(dep), host_ns(dep, "h1"), host_ns(dep, "h2"))}
        events = []
        sandbox_up(fabric, plans, emit=events.append)
        assert [(e.status, e.detail) for e in events] == [("started", ""), ("done", "")]
        assert {ns: links(ns) for ns in before} == before
    assert netns.list_namespaces(netns_name(dep, "")) == []


def test_a_second_up_repairs_a_cut_wire_a_downed_bridge_and_hairpin():
    with deployment_id() as dep:
        fabric, plans = vlan_lab(dep, hairpin=True)
        targets = sandbox_up(fabric, plans)
        for plan in plans:
            apply_plan(plan, targets[plan.host])
        h1 = host_ns(dep, "h1")
        with netns.handle(h1) as ipr:  # cut h1's VLAN 100 wire
            ipr.link("del", index=ipr.link_lookup(ifname="enp0s8.100")[0])
        with netns.handle(fabric_ns(dep)) as ipr:  # a bridge down, hairpin off everywhere
            for link in ipr.get_links():
                name = link.get_attr("IFLA_IFNAME")
                if name.startswith("s"):
                    ipr.link("set", index=link["index"], state="down")
                elif name.startswith("h"):
                    ipr.brport("set", index=link["index"], mode=0)
        assert reachable(netns_name(dep, "h2v200"), "10.8.0.21") == {"10.8.0.21": False}

        events = []
        sandbox_up(fabric, plans, emit=events.append)
        assert "created veth h1:enp0s8.100" in events[-1].detail and "bridge" in events[-1].detail
        for plan in plans:  # the macvlan on the cut wire went with it: apply makes it again
            assert apply_plan(plan, targets[plan.host]).created == (1 if plan.host == "h1" else 0) * 2
        assert reachable(netns_name(dep, "h1v100"), "10.8.0.12") == {"10.8.0.12": True}
        assert all(link["up"] for name, link in links(fabric_ns(dep)).items() if name != "lo")
        with netns.rtnl(fabric_ns(dep)) as rt:
            ports = [link for link in rt.links() if link.master]
        assert len(ports) == 6 and all(port.hairpin for port in ports)
        sandbox_down(dep)
        assert netns.list_namespaces(netns_name(dep, "")) == []


def test_passthru_takes_the_parent_nic_and_its_mac():
    with deployment_id() as dep:
        fabric = SandboxFabric(
            deployment=dep,
            hosts=("h1", "h2"),
            segments=(
                Segment(
                    name="lan", ports=(SegmentPort(host="h1", nic="eth1"), SegmentPort(host="h2", nic="eth1"))
                ),
            ),
        )

        def plan(host: str, container: str, mode: str, address: str) -> HostPlan:
            return HostPlan(
                deployment=dep,
                host=host,
                nics=("eth1",),
                namespaces=(Namespace(name=container),),
                links=(
                    Link(
                        name="eth0",
                        namespace=container,
                        kind="macvlan",
                        parent="eth1",
                        mode=mode,
                        mac="02:42:0a:09:00:01",
                        addresses=(address,),
                    ),
                ),
            )

        plans = [plan("h1", "pt", "passthru", "10.9.0.1/24"), plan("h2", "br", "bridge", "10.9.0.2/24")]
        reports = deploy_sandbox(fabric, plans)
        assert reports["h1"].created == 3
        parent_mac = links(host_ns(dep, "h1"))["eth1"]
        child = links(netns_name(dep, "pt"))["eth0"]
        assert (child["addresses"], child["mac"]) == (["10.9.0.1/24"], parent_mac["mac"])
        assert reachable(netns_name(dep, "pt"), "10.9.0.2") == {"10.9.0.2": True}
        assert all(report.unchanged for report in deploy_sandbox(fabric, plans).values())
        assert links(host_ns(dep, "h1"))["eth1"] == parent_mac  # the parent NIC was not changed
