"""IPAM rules a user sees in the addresses their containers get."""

from __future__ import annotations

from designer.topology.ipam import allocate
from designer.topology.model import Design
from tests.topology.factory import make_design


def design_with(network: dict, containers: dict, **host) -> Design:
    return make_design(
        hosts={"host1": {"nics": ["eth1"], **host}},
        networks={"n": {"parent": "eth1", **network}},
        containers={name: {"host": "host1", "networks": {"n": leg}} for name, leg in containers.items()},
    )


def test_automatic_addresses_skip_network_gateway_aux_host_and_shim_addresses():
    design = design_with(
        {"subnet": "10.0.0.0/24", "gateway": "10.0.0.1", "aux_addresses": {"sw": "10.0.0.2"}},
        {"a": {}, "b": {}, "c": {"ip": "10.0.0.5"}},
        addresses={"eth1": "10.0.0.3/24"},
        shim={"network": "n", "ip": "10.0.0.4"},
    )
    allocation = allocate(design)
    assert allocation[("a", "n")].ip == "10.0.0.6/24"
    assert allocation[("b", "n")].ip == "10.0.0.7/24"
    assert allocation[("c", "n")].ip == "10.0.0.5/24"


def test_ip_range_bounds_automatic_addresses_and_mac_follows_the_address():
    design = design_with({"subnet": "172.16.10.0/24", "ip_range": "172.16.10.64/26"}, {"d3": {}})
    leg = allocate(design)[("d3", "n")]
    assert leg.ip == "172.16.10.64/24"
    assert leg.mac == "02:42:ac:10:0a:40"


def test_a_given_mac_is_kept_lowercased():
    design = design_with({"subnet": "10.0.0.0/24"}, {"a": {"mac": "02:00:00:00:20:0B"}})
    assert allocate(design)[("a", "n")].mac == "02:00:00:00:20:0b"


def test_a_passthru_leg_keeps_the_parents_mac_unless_one_is_given():
    design = design_with({"subnet": "10.0.0.0/24", "mode": "passthru"}, {"a": {}})
    assert allocate(design)[("a", "n")].mac is None
    design = design_with({"subnet": "10.0.0.0/24", "mode": "passthru"}, {"a": {"mac": "02:00:00:00:00:01"}})
    assert allocate(design)[("a", "n")].mac == "02:00:00:00:00:01"


def test_addresses_are_unique_across_networks_sharing_a_subnet_on_other_vlans():
    design = make_design(
        hosts={"host1": {"nics": ["eth1"]}, "host2": {"nics": ["eth1"]}},
        networks={
            "blue": {"parent": "eth1.10", "subnet": "10.0.0.0/29"},
            "red": {"parent": "eth1.20", "subnet": "10.0.0.0/29"},
        },
        containers={
            "a": {"host": "host1", "networks": {"blue": {}}},
            "b": {"host": "host2", "networks": {"red": {}}},
        },
    )
    allocation = allocate(design)
    assert allocation[("a", "blue")].ip == "10.0.0.1/29"
    assert allocation[("b", "red")].ip == "10.0.0.2/29"


def test_an_exhausted_range_is_an_error_naming_the_leg_and_its_line():
    design = design_with({"subnet": "10.0.0.0/30", "gateway": "10.0.0.1"}, {"a": {}, "b": {}})
    allocation = allocate(design, lines={"containers.b": 12, "containers.b.networks.n": 14})
    assert allocation[("a", "n")].ip == "10.0.0.2/30"
    assert allocation[("b", "n")].ip is None
    [issue] = allocation.issues
    assert (issue.severity, issue.path, issue.line) == ("error", "containers.b.networks.n", 14)
    assert "10.0.0.0/30" in issue.message and issue.hint


def test_ipv6_addresses_come_from_the_ipv6_subnet_after_the_gateway():
    design = design_with(
        {"subnet": "10.0.0.0/24", "ipv6_subnet": "fd00:10::/64", "ipv6_gateway": "fd00:10::1"},
        {"a": {}, "b": {"ipv6": "fd00:10::2"}},
    )
    allocation = allocate(design)
    assert allocation[("a", "n")].ipv6 == "fd00:10::3/64"
    assert allocation[("b", "n")].ipv6 == "fd00:10::2/64"


def test_legs_on_unknown_networks_are_skipped_not_fatal():
    design = make_design(
        hosts={"host1": {"nics": ["eth1"]}},
        networks={"n": {"parent": "eth1", "subnet": "10.0.0.0/24"}},
        containers={"a": {"host": "nowhere", "networks": {"ghost": {}, "n": {}}}},
        routers={"r": {"host": "host1", "networks": {"ghost": {}, "n": {}}}},
    )
    allocation = allocate(design)
    assert set(allocation.legs) == {("a", "n"), ("r", "n")}
    assert allocation.issues == []
