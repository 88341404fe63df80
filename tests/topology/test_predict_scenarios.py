"""Each test is one scenario of the classic macvlan tutorials, predicted as the kernel behaves."""

from __future__ import annotations

import ipaddress

from designer.topology.ipam import allocate
from designer.topology.namespaces import namespaces
from tests.topology.factory import make_design, matrix_of, reach
from tests.topology.scenarios import (
    NET10,
    one_host,
    passthru_parent_address,
    route_via_own_address,
    router_design,
    two_hosts,
    vlans_and_router_host,
    with_ipv6,
)


def test_bridge_siblings_talk_inside_the_host():
    m = matrix_of(make_design(**one_host("bridge")))
    assert reach(m, "a", "10.0.0.11") == 64
    assert reach(m, "b", "10.0.0.10") == 64


def test_host_cannot_reach_its_own_children_through_the_parent():
    m = matrix_of(make_design(**one_host("bridge", addresses={"eth1": "10.0.0.1/24"})))
    assert reach(m, "host1", "10.0.0.10") is None
    assert reach(m, "a", "10.0.0.1") is None


def test_a_shim_lets_the_host_reach_its_children_both_ways():
    m = matrix_of(make_design(**one_host("bridge", shim={"network": "n", "ip": "10.0.0.250"})))
    assert reach(m, "host1", "10.0.0.10") == 64
    assert reach(m, "a", "10.0.0.250") == 64


def test_with_a_shim_the_parent_address_answers_through_the_shim():
    """Weak host model: the shim receives the ARP for the parent's address and the host answers."""
    parts = one_host("bridge", addresses={"eth1": "10.0.0.1/24"}, shim={"network": "n", "ip": "10.0.0.250"})
    parts["networks"]["n"]["ip_range"] = "10.0.0.0/25"  # the shim's route must beat the parent's /24
    m = matrix_of(make_design(**parts))
    assert reach(m, "a", "10.0.0.1") == 64
    assert reach(m, "host1", "10.0.0.10") == 64


def test_a_shim_beside_a_parent_address_on_the_same_subnet_routes_through_halves():
    """The kernel refuses a second route to the parent's own /24, so the shim's route is split in two /25."""
    m = matrix_of(
        make_design(
            **one_host("bridge", addresses={"eth1": "10.0.0.1/24"}, shim={"network": "n", "ip": "10.0.0.250"})
        )
    )
    assert reach(m, "host1", "10.0.0.10") == 64
    assert reach(m, "a", "10.0.0.1") == 64


def test_a_hairpin_switch_brings_parent_and_child_together():
    m = matrix_of(make_design(**one_host("bridge", hairpin=True, addresses={"eth1": "10.0.0.1/24"})))
    assert reach(m, "host1", "10.0.0.10") == 64
    assert reach(m, "a", "10.0.0.1") == 64


def test_private_siblings_never_talk_even_through_a_hairpin_switch():
    for hairpin in (False, True):
        m = matrix_of(make_design(**one_host("private", hairpin=hairpin)))
        assert reach(m, "a", "10.0.0.11") is None
        assert reach(m, "b", "10.0.0.10") is None


def test_a_hairpin_switch_joins_the_parent_even_with_private_children():
    m = matrix_of(make_design(**one_host("private", hairpin=True, addresses={"eth1": "10.0.0.1/24"})))
    assert reach(m, "host1", "10.0.0.10") == 64
    assert reach(m, "a", "10.0.0.1") == 64
    assert reach(m, "a", "10.0.0.11") is None


def test_vepa_siblings_talk_only_through_a_hairpin_switch():
    assert reach(matrix_of(make_design(**one_host("vepa", hairpin=False))), "a", "10.0.0.11") is None
    assert reach(matrix_of(make_design(**one_host("vepa", hairpin=True))), "a", "10.0.0.11") == 64


def test_source_mode_legs_with_no_source_list_receive_nothing():
    """The kernel hands a source-mode child only frames from the MACs it lists; a design lists none."""
    assert reach(matrix_of(make_design(**one_host("source", hairpin=True))), "a", "10.0.0.11") is None
    assert reach(matrix_of(make_design(**two_hosts("source"))), "a", "10.0.0.11") is None


def test_bridge_and_vepa_siblings_on_one_parent_need_the_hairpin():
    def design(hairpin: bool):
        parts = one_host("bridge", hairpin=hairpin)
        parts["networks"]["v"] = {**NET10, "mode": "vepa"}
        parts["containers"]["b"]["networks"] = {"v": {"ip": "10.0.0.11"}}
        return make_design(**parts)

    assert reach(matrix_of(design(False)), "a", "10.0.0.11") is None
    assert reach(matrix_of(design(True)), "a", "10.0.0.11") == 64


def test_legs_on_different_hosts_talk_over_the_wire_in_every_mode():
    for mode in ("bridge", "private", "vepa", "passthru"):
        m = matrix_of(make_design(**two_hosts(mode)))
        assert reach(m, "a", "10.0.0.11") == 64, mode


def test_a_host_address_on_the_parent_of_its_own_passthru_child_is_cut_off_from_the_wire():
    """The passthru child wears the parent's MAC and takes every unicast frame the parent receives."""
    for hairpin in (False, True):
        m = matrix_of(make_design(**passthru_parent_address(hairpin)))
        others = ("10.0.0.10", "10.0.0.11", "10.0.0.3", "10.0.0.250")
        assert [reach(m, "host1", ip) for ip in others] == [None] * 4
        assert [reach(m, src, "10.0.0.1") for src in ("a", "b", "host3", "host4")] == [None] * 4
        # host3's eth1 is the parent of no passthru child: its address and the wire still meet
        assert reach(m, "host3", "10.0.0.10") == 64
        assert reach(m, "host4", "10.0.0.3") == 64
        assert reach(m, "a", "10.0.0.11") == 64


def test_a_vlan_the_segment_does_not_carry_isolates_the_hosts():
    assert (
        reach(matrix_of(make_design(**two_hosts("bridge", vlans=[100], parent="eth1.100"))), "a", "10.0.0.11")
        == 64
    )
    assert (
        reach(matrix_of(make_design(**two_hosts("bridge", vlans=[200], parent="eth1.100"))), "a", "10.0.0.11")
        is None
    )


def test_nics_on_no_segment_do_not_reach_other_hosts():
    parts = two_hosts("bridge")
    parts["segments"] = {}
    assert reach(matrix_of(make_design(**parts)), "a", "10.0.0.11") is None


def test_two_vlans_are_isolated_without_forwarding():
    m = matrix_of(make_design(**vlans_and_router_host(forwarding=False)))
    assert reach(m, "d1", "172.16.20.11") is None
    assert reach(m, "d1", "172.16.20.10") is None
    assert reach(m, "d2", "172.16.20.11") == 64


def test_a_forwarding_host_joins_the_vlans_and_the_reply_ttl_shows_the_hop():
    m = matrix_of(make_design(**vlans_and_router_host(forwarding=True)))
    assert reach(m, "d1", "172.16.20.11") == 63
    assert reach(m, "d4", "172.16.10.10") == 63
    assert reach(m, "d1", "172.16.20.10") == 63  # same host, other VLAN: still through host3


def test_the_gateway_host_answers_on_its_other_vlan_address_without_forwarding_it():
    m = matrix_of(make_design(**vlans_and_router_host(forwarding=True)))
    assert reach(m, "d1", "172.16.20.1") == 64


def test_without_gateway_there_is_no_cross_subnet_reach():
    m = matrix_of(make_design(**vlans_and_router_host(forwarding=True, gateways=False)))
    assert reach(m, "d1", "172.16.20.11") is None
    assert reach(m, "d1", "172.16.10.1") == 64  # its own subnet still works


def test_a_static_route_replaces_the_missing_gateway():
    parts = vlans_and_router_host(forwarding=True, gateways=False)
    parts["containers"]["d1"]["routes"] = [{"to": "172.16.20.0/24", "via": "172.16.10.1"}]
    m = matrix_of(make_design(**parts))
    assert reach(m, "d1", "172.16.20.11") is None  # the reply has no way back: d4 has no route
    parts["containers"]["d4"]["routes"] = [{"to": "172.16.10.0/24", "via": "172.16.20.1"}]
    m = matrix_of(make_design(**parts))
    assert reach(m, "d1", "172.16.20.11") == 63


def test_a_route_via_an_unreachable_next_hop_is_not_installed():
    parts = vlans_and_router_host(forwarding=True, gateways=False)
    parts["containers"]["d1"]["routes"] = [{"to": "172.16.20.0/24", "via": "192.168.1.1"}]
    assert reach(matrix_of(make_design(**parts)), "d1", "172.16.20.11") is None


def test_a_route_via_an_own_ipv4_address_goes_straight_out_of_its_link():
    m = matrix_of(make_design(**route_via_own_address()))
    assert reach(m, "client", "10.2.0.1") == 64  # r1 answers on the client's wire for its uplink address
    assert (
        reach(m, "client", "10.2.0.20") is None
    )  # the server is on another wire; the default route is beaten


def test_a_router_without_masquerade_needs_a_route_back():
    m = matrix_of(make_design(**router_design(None)))
    assert reach(m, "client", "10.2.0.20") is None
    m = matrix_of(make_design(**router_design(None, server_gateway=True)))
    assert reach(m, "client", "10.2.0.20") == 63
    assert reach(m, "server", "10.1.0.10") == 63


def test_masquerade_lets_the_reply_come_back_to_the_router_only():
    m = matrix_of(make_design(**router_design("uplink")))
    assert reach(m, "client", "10.2.0.20") == 63
    assert reach(m, "server", "10.1.0.10") is None  # no route from the server into the inside


def test_the_router_reaches_both_sides_directly():
    m = matrix_of(make_design(**router_design("uplink")))
    assert reach(m, "r1", "10.1.0.10") == 64
    assert reach(m, "r1", "10.2.0.20") == 64


def test_a_host_with_an_address_in_another_subnet_and_no_route_is_unreachable():
    parts = two_hosts("bridge")
    parts["hosts"]["host2"]["addresses"] = {"eth1": "192.168.7.2/24"}
    m = matrix_of(make_design(**parts))
    assert reach(m, "a", "192.168.7.2") is None
    assert reach(m, "host2", "10.0.0.10") is None


def test_ipv6_addresses_are_pinged_too_and_routed_like_ipv4():
    m = matrix_of(make_design(**with_ipv6(router_design(None), uplink_gateway=True)))
    assert "fd00:1::2" in m.endpoints[0].addresses  # the client's automatic IPv6 address
    assert reach(m, "client", "fd00:2::2") == 63
    assert reach(m, "server", "fd00:1::2") == 63
    assert reach(m, "client", "fd00:2::1") == 64  # the router's far address, delivered locally


def test_default_via_an_ipv6_next_hop_is_the_ipv6_default_route():
    """As the agent and `ip route` read it; it replaces the default route via the IPv6 gateway."""
    parts = with_ipv6(router_design(None), uplink_gateway=False)
    parts["containers"]["server"]["routes"] = [{"to": "default", "via": "fd00:2::1"}]
    m = matrix_of(make_design(**parts))
    assert reach(m, "server", "fd00:1::2") == 63
    assert reach(m, "server", "10.1.0.10") is None  # IPv4 has no default route
    parts["networks"]["uplink"]["ipv6_gateway"] = "fd00:2::1"
    design = make_design(**parts)
    server = next(s for s in namespaces(design, allocate(design)) if s.endpoint == "server")
    assert [r.network for r in server.routes] == [ipaddress.ip_network("::/0")]  # one, or the kernel refuses


def test_ipv6_is_never_masqueraded():
    m = matrix_of(make_design(**with_ipv6(router_design("uplink"), uplink_gateway=False)))
    assert reach(m, "client", "10.2.0.20") == 63  # IPv4 comes back through the NAT
    assert reach(m, "client", "fd00:2::2") is None  # IPv6 does not: the server has no route back


def test_a_routing_loop_between_two_routers_fails_instead_of_hanging():
    parts = router_design(None)
    parts["routers"]["r2"] = {
        "host": "host1",
        "networks": {"inside": {"ip": "10.1.0.2"}, "uplink": {"ip": "10.2.0.2"}},
        "routes": [{"to": "10.7.0.0/24", "via": "10.1.0.1"}],
    }
    parts["routers"]["r1"]["routes"] = [{"to": "10.7.0.0/24", "via": "10.1.0.2"}]
    parts["networks"]["far"] = {"parent": "eth3", "subnet": "10.7.0.0/24"}
    parts["hosts"]["host1"]["nics"].append("eth3")
    parts["containers"]["far"] = {"host": "host1", "networks": {"far": {"ip": "10.7.0.7"}}}
    m = matrix_of(make_design(**parts))
    assert reach(m, "client", "10.7.0.7") is None
