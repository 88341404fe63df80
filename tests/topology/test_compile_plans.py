"""Host plans and the sandbox fabric compiled from designs, checked against the agent contract."""

from __future__ import annotations

from contract.plan import HOST_NS, HostAddress, HostPlan, Link, Masquerade, Route, SandboxFabric, Sysctl
from designer.topology.compile import compile_fabric, compile_plans
from designer.topology.ipam import allocate
from designer.topology.predict import predict
from tests.topology.factory import TWO_VLANS, make_design
from tests.topology.test_validate_rules import design, router_holding_a_gateway_shared_with_another_network


def plans_of(parts: dict, deployment: str = "dep1") -> dict[str, HostPlan]:
    design = make_design(**parts)
    return compile_plans(design, allocate(design), deployment)


def test_every_host_gets_a_plan_and_only_the_vlan_links_it_uses():
    plans = plans_of(TWO_VLANS)
    assert set(plans) == {"host1", "host2", "host3"}
    vlans = {
        host: {(link.name, link.parent, link.vid) for link in plan.links if link.kind == "vlan"}
        for host, plan in plans.items()
    }
    both = {("enp0s8.100", "enp0s8", 100), ("enp0s8.200", "enp0s8", 200)}
    assert vlans == {"host1": both, "host2": both, "host3": both}
    assert plans["host2"].nics == ("enp0s8",)  # enp0s9 carries nothing of the design


def test_container_legs_are_macvlans_in_their_namespace_with_address_mac_and_default_route():
    plan = plans_of(TWO_VLANS)["host2"]
    assert [ns.name for ns in plan.namespaces] == ["d3", "d4"]
    d4 = next(link for link in plan.links if link.namespace == "d4")
    assert d4 == Link(
        name="eth0",
        namespace="d4",
        kind="macvlan",
        parent="enp0s8.200",
        mode="bridge",
        mac="02:00:00:00:20:0b",
        addresses=("172.16.20.11/24",),
    )
    d3 = next(link for link in plan.links if link.namespace == "d3")
    assert d3.addresses == ("172.16.10.2/24",) and d3.mac == "02:42:ac:10:0a:02"
    assert Route(namespace="d3", dst="default", via="172.16.10.1") in plan.routes


def test_the_shim_is_a_bridge_macvlan_of_the_host_with_a_32_and_a_route_to_the_range():
    plan = plans_of(TWO_VLANS)["host1"]
    shim = next(link for link in plan.links if link.namespace == HOST_NS and link.kind == "macvlan")
    assert (shim.name, shim.parent, shim.mode, shim.addresses) == (
        "mvs-mac10",
        "enp0s8.100",
        "bridge",
        ("172.16.10.250/32",),
    )
    assert Route(namespace=HOST_NS, dst="172.16.10.0/25", dev="mvs-mac10") in plan.routes


def test_a_shim_route_that_would_clash_with_a_host_address_is_split_in_two():
    parts = dict(
        hosts={
            "host1": {
                "nics": ["eth1"],
                "addresses": {"eth1": "10.1.0.1/24"},
                "shim": {"network": "n", "ip": "10.1.0.250"},
            }
        },
        networks={"n": {"parent": "eth1", "subnet": "10.1.0.0/24"}},
    )
    routes = plans_of(parts)["host1"].routes
    assert routes == (
        Route(namespace=HOST_NS, dst="10.1.0.0/25", dev="mvs-n"),
        Route(namespace=HOST_NS, dst="10.1.0.128/25", dev="mvs-n"),
    )


def test_a_forwarding_host_holds_its_addresses_and_the_forwarding_sysctl():
    plan = plans_of(TWO_VLANS)["host3"]
    assert plan.host_addresses == (
        HostAddress(link="enp0s8.100", address="172.16.10.1/24"),
        HostAddress(link="enp0s8.200", address="172.16.20.1/24"),
    )
    assert plan.sysctls == (Sysctl(namespace=HOST_NS, key="net.ipv4.ip_forward", value="1"),)
    assert plan.namespaces == ()


def test_probes_run_on_the_host_of_their_source_with_the_predicted_outcome():
    design = make_design(**TWO_VLANS)
    allocation = allocate(design)
    matrix = predict(design, allocation)
    plans = compile_plans(design, allocation, "dep1")
    probes = {(p.src, p.dst_ip): (host, p) for host, plan in plans.items() for p in plan.probes}
    assert len(probes) == len(matrix.pairs)
    for pair in matrix.pairs:
        host, probe = probes[(pair.src, pair.dst_ip)]
        assert (probe.dst, probe.expected, probe.expected_ttl) == (pair.dst, pair.expected, pair.expected_ttl)
    host, d1_to_d4 = probes[("d1", "172.16.20.11")]
    assert (host, d1_to_d4.namespace, d1_to_d4.expected_ttl) == ("host1", "d1", 63)
    host, from_host1 = probes[("host1", "172.16.10.10")]
    assert (host, from_host1.namespace, from_host1.expected) == ("host1", HOST_NS, True)


def test_router_legs_are_numbered_in_network_order_and_masquerade_the_other_subnets():
    parts = dict(
        hosts={"host1": {"nics": ["eth1", "eth2"]}},
        networks={
            "inside": {"parent": "eth1", "subnet": "10.1.0.0/24", "gateway": "10.1.0.1"},
            "dmz": {"parent": "eth1", "subnet": "10.3.0.0/24", "mode": "vepa"},
            "uplink": {"parent": "eth2", "subnet": "10.2.0.0/24", "gateway": "10.2.0.254"},
        },
        routers={
            "r1": {
                "host": "host1",
                "networks": {"inside": {"ip": "10.1.0.1"}, "uplink": {"ip": "10.2.0.1"}, "dmz": {}},
                "masquerade": "uplink",
                "routes": [{"to": "192.168.0.0/16", "via": "10.3.0.9"}],
            }
        },
    )
    plan = plans_of(parts)["host1"]
    legs = [(link.name, link.parent, link.mode) for link in plan.links if link.namespace == "r1"]
    assert legs == [("eth0", "eth1", "bridge"), ("eth1", "eth2", "bridge"), ("eth2", "eth1", "vepa")]
    assert plan.namespaces[0].forwarding
    assert Sysctl(namespace="r1", key="net.ipv4.ip_forward", value="1") in plan.sysctls
    assert set(plan.masquerade) == {
        Masquerade(namespace="r1", out_link="eth1", source="10.1.0.0/24"),
        Masquerade(namespace="r1", out_link="eth1", source="10.3.0.0/24"),
    }
    # its own address is inside's gateway, so the default goes via uplink's gateway
    assert [r for r in plan.routes if r.namespace == "r1"] == [
        Route(namespace="r1", dst="default", via="10.2.0.254"),
        Route(namespace="r1", dst="192.168.0.0/16", via="10.3.0.9"),
    ]


def test_a_given_default_route_replaces_the_gateway_default():
    parts = dict(
        hosts={"host1": {"nics": ["eth1"]}},
        networks={"n": {"parent": "eth1", "subnet": "10.1.0.0/24", "gateway": "10.1.0.1"}},
        containers={
            "c": {"host": "host1", "networks": {"n": {}}, "routes": [{"to": "default", "via": "10.1.0.9"}]}
        },
    )
    routes = plans_of(parts)["host1"].routes
    assert routes == (Route(namespace="c", dst="default", via="10.1.0.9"),)


def test_a_router_holding_the_gateways_gets_no_default_route_through_another_leg_on_their_subnets():
    """Its other leg's network shares the gateways; the kernel refuses an own IPv6 address as a gateway."""
    built = design(router_holding_a_gateway_shared_with_another_network)
    plan = compile_plans(built, allocate(built), "dep1")["gw"]
    assert [r for r in plan.routes if r.namespace == "r"] == []


def test_long_network_names_give_a_shim_name_of_at_most_15_bytes():
    parts = dict(
        hosts={"host1": {"nics": ["eth1"], "shim": {"network": "a-very-long-network", "ip": "10.1.0.250"}}},
        networks={"a-very-long-network": {"parent": "eth1", "subnet": "10.1.0.0/24"}},
    )
    shim = plans_of(parts)["host1"].links[0]
    assert shim.name == "mvs-a-very-long"


def test_plans_are_deterministic_and_survive_the_json_round_trip():
    first = plans_of(TWO_VLANS)
    again = plans_of(TWO_VLANS)
    assert first == again
    for plan in first.values():
        assert HostPlan.model_validate_json(plan.model_dump_json()) == plan


def test_the_fabric_lists_every_host_and_the_segments_with_ports_vlans_and_hairpin():
    parts = dict(
        TWO_VLANS,
        segments={"lan": {"ports": ["host1.enp0s8", "host3.enp0s8"], "vlans": [100], "hairpin": True}},
    )
    fabric = compile_fabric(make_design(**parts), "dep1")
    assert fabric.hosts == ("host1", "host2", "host3")
    [segment] = fabric.segments
    assert [(p.host, p.nic) for p in segment.ports] == [("host1", "enp0s8"), ("host3", "enp0s8")]
    assert (segment.vlans, segment.hairpin) == ((100,), True)
    assert SandboxFabric.model_validate_json(fabric.model_dump_json()) == fabric
