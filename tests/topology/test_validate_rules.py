"""One test (or a few) per validation rule: the rule fires with the right path, and stays quiet on the fix."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from designer.topology.model import Design
from designer.topology.validate import validate
from designer.topology.yamlio import load_design
from tests.topology.factory import make_design
from tests.topology.scenarios import near_miss_routes

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.yaml"))

BASE = {
    "apiVersion": "mvlab/v1",
    "kind": "Design",
    "name": "base",
    "hosts": {
        "host1": {"nics": ["eth1"]},
        "host2": {"nics": ["eth1"]},
        "gw": {"nics": ["eth1"], "forwarding": True, "addresses": {"eth1.10": "10.10.0.1/24"}},
    },
    "segments": {"lan": {"ports": ["host1.eth1", "host2.eth1", "gw.eth1"], "vlans": [10, 20]}},
    "networks": {
        "n10": {"parent": "eth1.10", "subnet": "10.10.0.0/24", "gateway": "10.10.0.1"},
        "n20": {"parent": "eth1.20", "subnet": "10.20.0.0/24"},
    },
    "containers": {
        "c1": {"host": "host1", "networks": {"n10": {"ip": "10.10.0.11"}}},
        "c2": {"host": "host2", "networks": {"n10": {}, "n20": {"ip": "10.20.0.12"}}},
    },
}


def design(change=None) -> Design:
    data = copy.deepcopy(BASE)
    if change:
        change(data)
    return Design.model_validate(data)


def found(change=None) -> set[tuple[str, str, str]]:
    """(severity, code, path) of every issue of the base design after `change`."""
    return {(i.severity, i.code, i.path) for i in validate(design(change))}


def test_the_base_design_is_clean():
    assert found() == set()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_validates_without_issues(path):
    loaded = load_design(path.read_text())
    assert validate(loaded.design, loaded.lines) == []


# references


def test_container_on_unknown_host():
    def change(d):
        d["containers"]["c1"]["host"] = "hots1"

    issues = validate(design(change))
    assert [(i.code, i.path) for i in issues] == [("unknown-host", "containers.c1.host")]
    assert "did you mean 'host1'?" in issues[0].hint


def test_leg_on_unknown_network():
    def change(d):
        d["containers"]["c1"]["networks"] = {"n11": {}}

    assert ("error", "unknown-network", "containers.c1.networks.n11") in found(change)


def test_segment_port_must_name_a_host_and_one_of_its_nics():
    def change(d):
        d["segments"]["lan"]["ports"] += ["host9.eth1", "host1.eth7", "host1"]

    assert {p for _, c, p in found(change) if c in ("unknown-host", "unknown-nic", "port-format")} == {
        "segments.lan.ports.3",
        "segments.lan.ports.4",
        "segments.lan.ports.5",
    }


def test_a_nic_on_two_segments():
    def change(d):
        d["segments"]["other"] = {"ports": ["host1.eth1"]}

    assert ("error", "port-twice", "segments.other.ports.0") in found(change)


def test_shim_on_unknown_network_and_router_masquerade_off_its_legs():
    def change(d):
        d["hosts"]["host1"]["shim"] = {"network": "n99", "ip": "10.10.0.250"}
        d["routers"] = {"r": {"host": "gw", "networks": {"n10": {}, "n20": {}}, "masquerade": "n30"}}

    issues = found(change)
    assert ("error", "unknown-network", "hosts.host1.shim.network") in issues
    assert ("error", "unknown-network", "routers.r.masquerade") in issues


def test_host_address_on_a_nic_the_host_lacks():
    def change(d):
        d["hosts"]["gw"]["addresses"] = {"eth2": "10.30.0.1/24"}

    assert ("error", "unknown-nic", "hosts.gw.addresses.eth2") in found(change)


# names


def test_a_container_and_a_router_with_one_name():
    def change(d):
        d["routers"] = {"c1": {"host": "gw", "networks": {"n10": {}, "n20": {}}}}

    assert ("error", "name-clash", "routers.c1") in found(change)


def test_aux_address_names_must_be_plain():
    def change(d):
        d["networks"]["n20"]["aux_addresses"] = {"a;rm -rf": "10.20.0.5"}

    assert ("error", "unsafe-name", "networks.n20.aux_addresses.a;rm -rf") in found(change)


# wiring: NICs, VLANs, domains, passthru


def test_nic_names_have_no_dot_and_appear_once():
    def change(d):
        d["hosts"]["host1"]["nics"] = ["eth1", "eth1", "eth2.5"]

    issues = found(change)
    assert ("error", "nic-twice", "hosts.host1.nics.1") in issues
    assert ("error", "nic-name", "hosts.host1.nics.2") in issues


def test_dotted_parent_must_be_nic_dot_vid_in_range():
    def change(d):
        d["networks"]["n10"]["parent"] = "eth1.x"
        d["networks"]["n20"]["parent"] = "eth1.4095"

    issues = found(change)
    assert ("error", "vlan-format", "networks.n10.parent") in issues
    assert ("error", "vlan-range", "networks.n20.parent") in issues


def test_vlan_not_carried_by_the_segment():
    def change(d):
        d["segments"]["lan"]["vlans"] = [10]

    issues = validate(design(change))
    assert [(i.code, i.path) for i in issues] == [("vlan-not-carried", "networks.n20.parent")]
    assert issues[0].hint == "add 20 to segments.lan.vlans"


def test_vlan_on_a_nic_that_is_on_no_segment():
    def change(d):
        del d["segments"]

    assert ("error", "vlan-not-carried", "networks.n10.parent") in found(change)


def test_host_address_on_a_vlan_the_wire_does_not_carry():
    def change(d):
        d["hosts"]["gw"]["addresses"]["eth1.30"] = "10.30.0.1/24"

    assert ("error", "vlan-not-carried", "hosts.gw.addresses.eth1.30") in found(change)


def test_the_parent_nic_must_exist_on_every_host_using_the_network():
    def change(d):
        d["hosts"]["host2"]["nics"] = ["eth2"]
        d["segments"]["lan"]["ports"].remove("host2.eth1")

    assert ("error", "missing-nic", "containers.c2.networks.n10") in found(change)


def test_a_network_spanning_hosts_on_different_wires():
    def change(d):
        d["segments"]["lan"]["ports"].remove("host2.eth1")
        d["segments"]["other"] = {"ports": ["host2.eth1"], "vlans": [10, 20]}

    assert ("error", "split-network", "networks.n10") in found(change)


def test_unused_network_is_a_warning():
    def change(d):
        d["networks"]["n30"] = {"parent": "eth1", "subnet": "10.30.0.0/24"}

    assert found(change) == {("warning", "unused-network", "networks.n30")}


def test_passthru_one_child_per_parent_and_host():
    def change(d):
        d["networks"]["n20"]["mode"] = "passthru"
        d["containers"]["c3"] = {"host": "host2", "networks": {"n20": {}}}

    assert ("error", "passthru-shared", "containers.c3.networks.n20") in found(change)


def test_passthru_alone_on_its_parent_per_host():
    def change(d):
        d["networks"]["n30"] = {"parent": "eth1.20", "subnet": "10.30.0.0/24"}
        d["networks"]["n20"]["mode"] = "passthru"
        d["containers"]["c3"] = {"host": "host2", "networks": {"n30": {}}}

    assert ("error", "passthru-shared", "networks.n30.parent") in found(change)


def test_passthru_on_different_hosts_is_fine():
    def change(d):
        d["networks"]["n20"]["mode"] = "passthru"
        d["containers"]["c3"] = {"host": "host1", "networks": {"n20": {}}}

    assert found(change) == set()


def test_a_host_address_on_the_parent_of_its_own_passthru_child_is_a_warning():
    def change(d, host="host2", mode="passthru"):
        d["networks"]["n20"]["mode"] = mode
        d["hosts"][host]["addresses"] = {"eth1.20": "10.20.0.2/24"}

    assert found(change) == {("warning", "passthru-parent-address", "hosts.host2.addresses.eth1.20")}
    assert found(lambda d: change(d, host="host1")) == set()  # no passthru child on host1's eth1.20
    assert found(lambda d: change(d, mode="bridge")) == set()


def test_several_bridge_networks_may_share_a_parent():
    def change(d):
        d["networks"]["n30"] = {"parent": "eth1.20", "subnet": "10.30.0.0/24"}
        d["containers"]["c3"] = {"host": "host2", "networks": {"n30": {}}}

    assert found(change) == set()


# addresses


def test_gateway_outside_subnet():
    def change(d):
        d["networks"]["n10"]["gateway"] = "10.11.0.1"

    issues = validate(design(change))
    gateway = next(i for i in issues if i.path == "networks.n10.gateway")
    assert gateway.code == "address-outside-subnet"
    assert gateway.message == "10.11.0.1 is outside subnet 10.10.0.0/24"


@pytest.mark.parametrize("address", ["10.20.0.0", "10.20.0.255"])
def test_network_and_broadcast_addresses_are_never_used(address):
    def change(d):
        d["containers"]["c2"]["networks"]["n20"]["ip"] = address

    assert ("error", "address-outside-subnet", "containers.c2.networks.n20.ip") in found(change)


def test_ip_range_and_aux_addresses_inside_the_subnet():
    def change(d):
        d["networks"]["n20"]["ip_range"] = "10.21.0.0/25"
        d["networks"]["n20"]["aux_addresses"] = {"r": "10.21.0.1"}

    issues = found(change)
    assert ("error", "range-outside-subnet", "networks.n20.ip_range") in issues
    assert ("error", "address-outside-subnet", "networks.n20.aux_addresses.r") in issues


def test_subnet_must_be_ipv4_and_ipv6_needs_an_ipv6_subnet():
    def change(d):
        d["networks"]["n20"]["subnet"] = "fd00:20::/64"
        d["containers"]["c1"]["networks"]["n10"]["ipv6"] = "fd00:10::5"

    issues = found(change)
    assert ("error", "address-family", "networks.n20.subnet") in issues
    assert ("error", "address-outside-subnet", "containers.c1.networks.n10.ipv6") in issues


def test_same_address_on_two_containers_on_different_hosts():
    def change(d):
        d["containers"]["c2"]["networks"]["n10"]["ip"] = "10.10.0.11"

    issues = validate(design(change))
    assert [(i.code, i.path) for i in issues] == [("duplicate-address", "containers.c2.networks.n10.ip")]
    assert "container c1" in issues[0].message


def test_container_address_equal_to_a_host_address():
    def change(d):
        d["containers"]["c1"]["networks"]["n10"]["ip"] = "10.10.0.1"

    issues = found(change)
    assert ("error", "duplicate-address", "containers.c1.networks.n10.ip") in issues
    assert ("error", "reserved-address", "containers.c1.networks.n10.ip") in issues


def test_gateway_held_by_a_router_leg_is_not_a_duplicate():
    def change(d):
        del d["hosts"]["gw"]["addresses"]
        d["routers"] = {"r": {"host": "gw", "networks": {"n10": {"ip": "10.10.0.1"}, "n20": {}}}}

    assert found(change) == set()


def test_gateway_nobody_holds_is_a_warning():
    def change(d):
        del d["hosts"]["gw"]["addresses"]

    assert found(change) == {("warning", "gateway-unheld", "networks.n10.gateway")}


def test_container_may_not_take_an_aux_address():
    def change(d):
        d["networks"]["n20"]["aux_addresses"] = {"printer": "10.20.0.12"}

    assert ("error", "reserved-address", "containers.c2.networks.n20.ip") in found(change)


def test_overlapping_subnets_on_different_vlans():
    def change(d):
        d["networks"]["n20"]["subnet"] = "10.10.0.0/23"
        d["containers"]["c2"]["networks"]["n20"]["ip"] = "10.10.1.12"

    assert ("error", "overlapping-subnets", "networks.n20.subnet") in found(change)


def test_networks_on_one_domain_may_share_a_subnet():
    def change(d):
        d["networks"]["n11"] = {"parent": "eth1.10", "subnet": "10.10.0.0/24", "mode": "private"}
        d["containers"]["c3"] = {"host": "host2", "networks": {"n11": {"ip": "10.10.0.13"}}}

    assert found(change) == set()


def test_host_address_overlapping_a_network_of_another_vlan():
    def change(d):
        d["hosts"]["gw"]["addresses"]["eth1.20"] = "10.10.0.200/24"

    assert ("error", "overlapping-subnets", "hosts.gw.addresses.eth1.20") in found(change)


def test_route_via_an_address_off_every_attached_network():
    def change(d):
        d["containers"]["c1"]["routes"] = [{"to": "default", "via": "10.20.0.1"}]
        d["containers"]["c2"]["routes"] = [{"to": "10.99.0.0/16", "via": "10.20.0.1"}]

    assert {p for _, c, p in found(change) if c == "unreachable-next-hop"} == {"containers.c1.routes.0.via"}


# routes the namespace already has


def routes(element: str, *pairs: tuple[str, str], before=lambda d: None):
    """A change that gives `element` (`containers.c1`, `hosts.gw`) routes (to, via), after `before`."""
    kind, name = element.split(".")

    def change(d):
        before(d)
        d[kind][name]["routes"] = [{"to": to, "via": via} for to, via in pairs]

    return change


def shim(range_=None):
    def change(d):
        d["hosts"]["host1"]["shim"] = {"network": "n10", "ip": "10.10.0.250"}
        if range_:
            d["networks"]["n10"]["ip_range"] = range_

    return change


def ipv6(d):
    d["networks"]["n20"]["ipv6_subnet"] = "fd00:20::/64"
    d["containers"]["c2"]["networks"]["n20"]["ipv6"] = "fd00:20::12"


# each refused by the kernel too (test_routes_kernel.py): (change, path of the route-exists error)
REFUSED = [
    pytest.param(
        routes("containers.c1", ("10.10.0.0/24", "10.10.0.1")), "containers.c1.routes.0.to", id="connected"
    ),
    pytest.param(
        routes("containers.c2", ("10.99.0.0/16", "10.20.0.1"), ("10.20.0.0/24", "10.10.0.1")),
        "containers.c2.routes.1.to",
        id="connected-other-leg",
    ),
    pytest.param(
        routes("hosts.gw", ("10.10.0.0/24", "10.10.0.5")), "hosts.gw.routes.0.to", id="host-address"
    ),
    pytest.param(
        routes("hosts.host1", ("10.10.0.0/24", "10.10.0.1"), before=shim()),
        "hosts.host1.routes.0.to",
        id="shim",
    ),
    pytest.param(
        routes("hosts.host1", ("10.10.0.0/25", "10.10.0.1"), before=shim("10.10.0.0/25")),
        "hosts.host1.routes.0.to",
        id="shim-range",
    ),
    pytest.param(
        routes("containers.c2", ("10.99.0.0/16", "10.20.0.1"), ("10.99.0.0/16", "10.20.0.5")),
        "containers.c2.routes.1.to",
        id="twice",
    ),
    pytest.param(
        routes("containers.c2", ("default", "10.20.0.1"), ("0.0.0.0/0", "10.20.0.5")),
        "containers.c2.routes.1.to",
        id="default-twice",
    ),
    pytest.param(
        routes("containers.c2", ("default", "fd00:20::1"), ("::/0", "fd00:20::5"), before=ipv6),
        "containers.c2.routes.1.to",
        id="ipv6-twice",
    ),
]
# each installed by the kernel (test_routes_kernel.py)
BESIDE = [
    pytest.param(
        routes("containers.c1", ("10.10.0.0/25", "10.10.0.1"), ("10.10.0.0/23", "10.10.0.1")),
        id="other-lengths",
    ),
    pytest.param(routes("containers.c1", ("10.10.0.11/32", "10.10.0.1")), id="own-address"),
    pytest.param(
        routes("hosts.host1", ("10.10.0.0/24", "10.10.0.1"), before=shim("10.10.0.0/25")),
        id="beside-shim-range",
    ),
    pytest.param(routes("hosts.host1", ("10.10.0.0/23", "10.10.0.1"), before=shim()), id="shorter-than-shim"),
    pytest.param(routes("containers.c2", ("fd00:20::/64", "fd00:20::1"), before=ipv6), id="ipv6-connected"),
    pytest.param(
        routes("containers.c2", ("default", "fd00:20::1"), ("default", "10.20.0.1"), before=ipv6),
        id="default-each-family",
    ),
]


@pytest.mark.parametrize(("change", "path"), REFUSED)
def test_a_route_to_a_prefix_the_namespace_already_routes(change, path):
    """The kernel refuses it (File exists): IPv4 connected and static routes both have metric 0."""
    assert found(change) == {("error", "route-exists", path)}


@pytest.mark.parametrize("change", BESIDE)
def test_a_route_beside_the_namespaces_own_is_fine(change):
    """Another prefix length is another route; IPv6 connected routes have metric 256, static ones 1024."""
    assert found(change) == set()


def test_routes_beside_the_kernels_own_in_the_kernel_scenario_are_accepted():
    assert validate(make_design(**near_miss_routes())) == []


# next hops


def two_ipv6_legs(d):
    ipv6(d)
    d["networks"]["n10"]["ipv6_subnet"] = "fd00:10::/64"
    d["containers"]["c2"]["networks"]["n10"] = {"ip": "10.10.0.12", "ipv6": "fd00:10::12"}


def slash_31(d):
    d["networks"]["n20"]["subnet"] = "10.20.0.12/31"  # no broadcast address: c2 (.12) and .13


def automatic_ipv6(d):
    d["networks"]["n20"]["ipv6_subnet"] = "fd00:20::/64"


def router_holding_a_gateway_shared_with_another_network(d):
    """n11 shares n10's subnets and gateways on VLAN 10; r holds the gateways on its n10 leg."""
    gateways = {"gateway": "10.10.0.1", "ipv6_subnet": "fd00:10::/64", "ipv6_gateway": "fd00:10::1"}
    d["networks"]["n10"] |= gateways
    d["networks"]["n11"] = {"parent": "eth1.10", "subnet": "10.10.0.0/24", "mode": "private", **gateways}
    d["hosts"]["gw"]["addresses"] = {}
    legs = {"n10": ("10.10.0.1", "fd00:10::1"), "n11": ("10.10.0.2", "fd00:10::2")}
    networks = {name: {"ip": ip, "ipv6": ipv6} for name, (ip, ipv6) in legs.items()}
    d["routers"] = {"r": {"host": "gw", "networks": networks}}


def next_hop(case: str, element: str, *pairs, before=lambda d: None, refused=None):
    """A case of NEXT_HOPS: routes of `element`; `refused` is (code, what the kernel says) of its last one."""
    error = refused and (refused[0], f"{element}.routes.{len(pairs) - 1}.via", refused[1])
    return pytest.param(routes(element, *pairs, before=before), error, id=case)


C2, H1, NARROW_SHIM = "containers.c2", "hosts.host1", shim("10.10.0.0/25")
# what the validator says, and what the kernel says
FAMILY6 = ("route-family", "Numerical result out of range")
FAMILY4 = ("route-family", "Network is unreachable")
OWN = ("next-hop-own", "Invalid argument")
BROADCAST = ("next-hop-broadcast", "Invalid argument")
OFF_LINK = ("unreachable-next-hop", "Network is unreachable")
SHADOWED = ("next-hop-shadowed", "No route to host")
# an IPv6 route to a longer prefix than c2's connected one, and a route via a next hop inside it
COVERING, COVERED = ("fd00:20::/65", "fd00:20::1"), ("fd00:99::/64", "fd00:20::5")
# (change, (code, path, what the kernel says) when it is refused, else None); test_routes_kernel.py
# deploys each: the refused ones fail with that message, the others deploy
NEXT_HOPS = [
    next_hop("ipv6-via-ipv4", C2, ("fd00:99::/64", "10.20.0.1"), before=ipv6, refused=FAMILY6),
    next_hop("ipv4-via-ipv6", C2, ("10.99.0.0/16", "fd00:20::1"), before=ipv6, refused=FAMILY4),
    next_hop("default-via-ipv6", C2, ("default", "fd00:20::1"), before=ipv6),
    next_hop("own-ipv6", C2, ("fd00:99::/64", "fd00:20::12"), before=ipv6, refused=OWN),
    next_hop("own-ipv6-other-leg", C2, ("fd00:99::/64", "fd00:10::12"), before=two_ipv6_legs, refused=OWN),
    next_hop("own-ipv4", C2, ("10.99.0.0/16", "10.20.0.12")),
    next_hop("own-ipv4-other-leg", C2, ("10.99.0.0/16", "10.10.0.12"), before=two_ipv6_legs),
    next_hop("own-shim", H1, ("10.99.0.0/16", "10.10.0.250"), before=shim()),
    next_hop("ipam-skips-next-hops", C2, ("fd00:99::/64", "fd00:20::1"), before=automatic_ipv6),
    pytest.param(router_holding_a_gateway_shared_with_another_network, None, id="router-holds-gateways"),
    next_hop("broadcast", C2, ("10.99.0.0/16", "10.20.0.255"), refused=BROADCAST),
    next_hop("network-address", C2, ("10.99.0.0/16", "10.20.0.0")),
    next_hop("slash-31-peer", C2, ("10.99.0.0/16", "10.20.0.13"), before=slash_31),
    next_hop("beyond-shim-range", H1, ("10.99.0.0/16", "10.10.0.200"), before=NARROW_SHIM, refused=OFF_LINK),
    next_hop("inside-shim-range", H1, ("10.99.0.0/16", "10.10.0.100"), before=NARROW_SHIM),
    next_hop("ipv6-under-earlier-route", C2, COVERING, COVERED, before=ipv6, refused=SHADOWED),
    next_hop("ipv6-under-later-route", C2, COVERED, COVERING, before=ipv6),
    next_hop("ipv4-under-earlier-route", C2, ("10.20.0.0/25", "10.20.0.1"), ("10.99.0.0/16", "10.20.0.5")),
]


@pytest.mark.parametrize(("change", "refused"), NEXT_HOPS)
def test_a_next_hop_is_refused_exactly_when_the_kernel_refuses_it(change, refused):
    assert found(change) == ({("error", *refused[:2])} if refused else set())


# MACs


@pytest.mark.parametrize(
    ("mac", "expected"),
    [
        ("00:00:00:00:00:00", ("error", "mac-zero")),
        ("01:00:5e:00:00:01", ("error", "mac-multicast")),
        ("ff:ff:ff:ff:ff:ff", ("error", "mac-multicast")),
        ("00:16:3e:00:00:01", ("warning", "mac-not-local")),
    ],
)
def test_given_macs(mac, expected):
    def change(d):
        d["containers"]["c1"]["networks"]["n10"]["mac"] = mac

    assert found(change) == {(*expected, "containers.c1.networks.n10.mac")}


def test_locally_administered_unicast_mac_is_fine():
    def change(d):
        d["containers"]["c1"]["networks"]["n10"]["mac"] = "02:00:00:00:00:01"

    assert found(change) == set()


def test_same_mac_twice_or_equal_to_a_derived_one():
    def change(d):
        d["containers"]["c1"]["networks"]["n10"]["mac"] = "02:42:0a:14:00:0c"  # c2's 10.20.0.12
        d["containers"]["c2"]["networks"]["n10"]["mac"] = "02:42:0a:14:00:0c"

    issues = found(change)
    assert ("error", "duplicate-mac", "containers.c1.networks.n10.mac") in issues
    assert ("error", "duplicate-mac", "containers.c2.networks.n10.mac") in issues


# IPAM


def test_address_range_exhausted():
    def change(d):
        d["networks"]["n20"]["subnet"] = "10.20.0.0/30"  # two usable addresses
        d["containers"]["c2"]["networks"]["n20"] = {}
        d["containers"]["c3"] = {"host": "host1", "networks": {"n20": {}}}
        d["containers"]["c4"] = {"host": "host1", "networks": {"n20": {}}}

    issues = found(change)
    assert ("error", "ipam-exhausted", "containers.c4.networks.n20") in issues
    assert {c for _, c, _ in issues} == {"ipam-exhausted"}


def test_all_issues_are_collected_in_one_run():
    def change(d):
        d["containers"]["c1"]["host"] = "nowhere"
        d["networks"]["n10"]["gateway"] = "10.99.0.1"
        d["containers"]["c2"]["networks"]["n20"]["mac"] = "01:00:00:00:00:01"

    assert {c for _, c, _ in found(change)} >= {"unknown-host", "address-outside-subnet", "mac-multicast"}


def test_an_ipv6_address_where_ipv4_belongs_is_an_error_not_a_crash():
    def change(d):
        d["containers"]["c1"]["networks"]["n10"]["ip"] = "fd00::1"
        d["containers"]["c2"]["networks"]["n10"] = {}  # IPAM would run into the bad address

    assert found(change) == {("error", "address-outside-subnet", "containers.c1.networks.n10.ip")}


# the IPv6 subnet-router anycast address (docs/validation.md, next-hop-anycast)


def test_a_route_via_the_subnet_router_anycast_address_is_refused_naming_it_and_why():
    issues = [
        i
        for i in validate(design(routes(C2, ("fd00:99::/64", "fd00:20::"), before=ipv6)))
        if i.severity == "error"
    ]
    assert [(i.code, i.path) for i in issues] == [("next-hop-anycast", "containers.c2.routes.0.via")]
    assert "fd00:20:: is the subnet-router anycast address" in issues[0].message
    assert "of fd00:20::/64" in issues[0].message and "race" in issues[0].message


def test_an_ipv6_gateway_or_leg_on_the_subnet_router_anycast_address_is_refused():
    def change(d):
        ipv6(d)
        d["networks"]["n20"]["ipv6_gateway"] = "fd00:20::"
        d["containers"]["c2"]["networks"]["n20"]["ipv6"] = "fd00:20::"

    issues = {i.path: i for i in validate(design(change)) if i.code == "address-outside-subnet"}
    assert sorted(issues) == ["containers.c2.networks.n20.ipv6", "networks.n20.ipv6_gateway"]
    assert "subnet-router anycast address" in issues["networks.n20.ipv6_gateway"].message


def test_on_a_slash_127_the_first_address_is_an_ordinary_next_hop():
    def change(d):
        d["networks"]["n20"]["ipv6_subnet"] = "fd00:20::/127"
        d["containers"]["c2"]["networks"]["n20"]["ipv6"] = "fd00:20::1"
        d["containers"]["c2"]["routes"] = [{"to": "fd00:99::/64", "via": "fd00:20::"}]

    assert found(change) == set()
