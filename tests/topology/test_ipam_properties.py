"""IPAM properties over many generated designs, plus the rules a user notices one by one."""

from __future__ import annotations

import ipaddress
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from designer.topology.ipam import allocate, mac_from_ip
from tests.topology.factory import make_design


@st.composite
def designs(draw):
    """Up to three small networks (some sharing a subnet), hosts with addresses and shims, many legs."""
    networks, reserved = {}, set()
    for index in range(draw(st.integers(1, 3))):
        prefix = draw(st.integers(26, 29))
        subnet = ipaddress.ip_network(f"10.{draw(st.integers(0, 1))}.0.0/{prefix}")
        hosts = list(subnet.hosts())
        net = {"parent": "eth1", "subnet": str(subnet)}
        if draw(st.booleans()):
            range_prefix = draw(st.integers(prefix, 30))
            ranges = list(subnet.subnets(new_prefix=range_prefix))
            net["ip_range"] = str(draw(st.sampled_from(ranges)))
        if draw(st.booleans()):
            net["gateway"] = str(draw(st.sampled_from(hosts)))
        net["aux_addresses"] = {
            f"x{i}": str(a) for i, a in enumerate(draw(st.sets(st.sampled_from(hosts), max_size=2)))
        }
        reserved |= {net.get("gateway"), *net["aux_addresses"].values()}
        networks[f"n{index}"] = net
    all_hosts = sorted({a for n in networks.values() for a in ipaddress.ip_network(n["subnet"]).hosts()})
    free = [a for a in all_hosts if str(a) not in reserved]
    picks = draw(st.lists(st.sampled_from(free), unique=True, max_size=3)) if free else []
    hosts = {"host1": {"nics": ["eth1"]}}
    if picks:
        hosts["host1"]["addresses"] = {"eth1": f"{picks[0]}/24"}
    if len(picks) > 1:
        hosts["host1"]["shim"] = {"network": "n0", "ip": str(picks[1])}
    given_pool = [a for a in free if a not in picks]
    containers = {}
    for index in range(draw(st.integers(0, 14))):
        legs = draw(st.sets(st.sampled_from(sorted(networks)), min_size=1))
        attachments = {}
        for network in sorted(legs):
            subnet = ipaddress.ip_network(networks[network]["subnet"])
            candidates = [a for a in given_pool if a in subnet]
            if candidates and draw(st.integers(0, 3)) == 0:
                address = draw(st.sampled_from(candidates))
                given_pool.remove(address)
                attachments[network] = {"ip": str(address)}
            else:
                attachments[network] = {}
        containers[f"c{index}"] = {"host": "host1", "networks": attachments}
    return make_design(hosts=hosts, networks=networks, containers=containers)


def never_handed_out(design) -> set:
    out = set()
    for net in design.networks.values():
        subnet = ipaddress.ip_network(net.subnet)
        out |= {subnet.network_address, subnet.broadcast_address}
        out |= {ipaddress.ip_address(a) for a in (net.gateway, *net.aux_addresses.values()) if a}
    for host in design.hosts.values():
        out |= {ipaddress.ip_interface(a).ip for a in host.addresses.values()}
        if host.shim:
            out.add(ipaddress.ip_address(host.shim.ip))
    return out


@settings(max_examples=150, deadline=None)
@given(designs())
def test_no_two_legs_share_an_address_and_automatic_ones_stay_in_their_range(design):
    allocation = allocate(design)
    addresses = [leg.address for leg in allocation.legs.values() if leg.address]
    assert len(addresses) == len(set(addresses))
    forbidden = never_handed_out(design)
    for name, container in design.containers.items():
        for network, attachment in container.networks.items():
            leg = allocation[(name, network)]
            net = design.networks[network]
            if attachment.ip:
                assert leg.address == attachment.ip
                continue
            if leg.ip is None:
                assert any(i.path == f"containers.{name}.networks.{network}" for i in allocation.issues)
                continue
            address = ipaddress.ip_interface(leg.ip)
            assert address.network == ipaddress.ip_network(net.subnet)
            assert address.ip in ipaddress.ip_network(net.ip_range or net.subnet)
            assert address.ip not in forbidden
            assert leg.mac == mac_from_ip(str(address.ip))


@settings(max_examples=100, deadline=None)
@given(designs(), st.randoms(use_true_random=False))
def test_same_design_same_allocation_whatever_the_order_it_was_written_in(design, rng: random.Random):
    first = allocate(design)
    assert allocate(design) == first
    data = design.model_dump(by_alias=True)
    for key in ("containers", "networks"):
        items = list(data[key].items())
        rng.shuffle(items)
        data[key] = dict(items)
    shuffled = type(design).model_validate(data)
    assert allocate(shuffled).legs == first.legs


@settings(max_examples=100, deadline=None)
@given(designs())
def test_a_range_runs_out_only_when_every_address_in_it_is_taken(design):
    allocation = allocate(design)
    taken = {leg.address for leg in allocation.legs.values() if leg.address} | {
        str(a) for a in never_handed_out(design)
    }
    for issue in allocation.issues:
        network = issue.path.rsplit(".", 1)[1]
        net = design.networks[network]
        pool = ipaddress.ip_network(net.ip_range or net.subnet)
        assert all(str(a) in taken for a in pool), issue
