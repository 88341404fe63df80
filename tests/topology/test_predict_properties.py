"""Prediction and compilation over many generated designs, sound or broken: no crash, consistent output."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from contract.plan import HostPlan
from designer.topology.compile import compile_fabric, compile_plans
from designer.topology.exports import to_docker, to_shell
from designer.topology.ipam import allocate
from designer.topology.predict import predict
from tests.topology.factory import make_design

MODES = ["bridge", "private", "vepa", "passthru", "source"]
HOSTS = ["h1", "h2", "h3"]


@st.composite
def designs(draw):
    """Up to three hosts, networks on VLANs of one wire, containers, a router; some references dangle."""
    hosts = {}
    for name in HOSTS[: draw(st.integers(1, 3))]:
        host = {"nics": ["eth1"], "forwarding": draw(st.booleans())}
        if draw(st.booleans()):
            host["addresses"] = {"eth1.10": f"10.10.0.{HOSTS.index(name) + 200}/24"}
        if draw(st.booleans()):
            host["shim"] = {
                "network": draw(st.sampled_from(["n10", "n20", "ghost"])),
                "ip": f"10.10.0.{HOSTS.index(name) + 240}",
            }
        hosts[name] = host
    networks = {
        "n10": {"parent": "eth1.10", "subnet": "10.10.0.0/24", "mode": draw(st.sampled_from(MODES))},
        "n20": {"parent": "eth1.20", "subnet": "10.20.0.0/24", "mode": draw(st.sampled_from(MODES))},
    }
    if draw(st.booleans()):
        networks["n10"]["gateway"] = "10.10.0.1"
        networks["n20"]["gateway"] = "10.20.0.1"
    names = ["n10", "n20", "ghost"]
    containers = {
        f"c{i}": {
            "host": draw(st.sampled_from([*hosts, "nowhere"])),
            "networks": {n: {} for n in draw(st.sets(st.sampled_from(names), min_size=1, max_size=2))},
        }
        for i in range(draw(st.integers(0, 6)))
    }
    routers = {}
    if draw(st.booleans()):
        routers["r1"] = {
            "host": draw(st.sampled_from(list(hosts))),
            "networks": {"n10": {"ip": "10.10.0.1"}, "n20": {"ip": "10.20.0.1"}},
            "masquerade": draw(st.sampled_from([None, "n20", "ghost"])),
        }
    ports = [f"{h}.eth1" for h in hosts] + draw(st.lists(st.just("gone.eth1"), max_size=1))
    segments = {
        "lan": {
            "ports": ports,
            "vlans": draw(st.sets(st.sampled_from([10, 20]))),
            "hairpin": draw(st.booleans()),
        }
    }
    return make_design(
        hosts=hosts, networks=networks, containers=containers, routers=routers, segments=segments
    )


@settings(max_examples=150, deadline=None)
@given(designs())
def test_every_design_gets_a_consistent_prediction_and_valid_plans(design):
    allocation = allocate(design)
    matrix = predict(design, allocation)
    addresses = {e.name: e.addresses for e in matrix.endpoints}
    total = sum(len(a) for a in addresses.values())
    assert len(matrix.pairs) == sum(total - len(a) for a in addresses.values())
    for pair in matrix.pairs:
        assert pair.dst_ip in addresses[pair.dst] and pair.src != pair.dst
        assert (pair.expected_ttl is not None) == pair.expected
        assert pair.expected_ttl is None or 0 < pair.expected_ttl <= 64
    assert predict(design, allocation) == matrix

    plans = compile_plans(design, allocation, "prop1", matrix)
    assert set(plans) == set(design.hosts)
    assert sum(len(plan.probes) for plan in plans.values()) == len(matrix.pairs)
    for plan in plans.values():
        assert HostPlan.model_validate_json(plan.model_dump_json()) == plan
    compile_fabric(design, "prop1")
    assert to_shell(design, allocation).startswith("#!/bin/sh")
    assert to_docker(design, allocation).startswith("#!/bin/sh")


@settings(max_examples=100, deadline=None)
@given(designs())
def test_a_ping_that_works_one_way_without_routers_works_the_other_way_too(design):
    """Without forwarding or NAT every path is direct, so reachability is symmetric between two addresses."""
    if design.routers or any(h.forwarding for h in design.hosts.values()):
        return
    matrix = predict(design, allocate(design))
    expected = {(p.src, p.dst_ip): p.expected for p in matrix.pairs}
    for pair in matrix.pairs:
        if not pair.expected:
            continue
        # the address the source used: a direct path means it is on the same subnet as dst_ip
        for address in (a for e in matrix.endpoints if e.name == pair.src for a in e.addresses):
            if address.rsplit(".", 1)[0] == pair.dst_ip.rsplit(".", 1)[0]:
                assert expected[(pair.dst, address)], (pair, address)
