"""The prediction against the real kernel: each tutorial scenario deployed in a lab sandbox.

Every pair is probed with real ICMP inside namespaces the sandbox made (and removes);
the observed outcome must equal the predicted one, and the observed reply TTL the
predicted TTL. This is what keeps the model in `predict.py` honest about macvlan modes,
hairpin switches, shims, the weak host model, forwarding and masquerade.
"""

from __future__ import annotations

import time

import pytest

from agent.probe import probe_hosts
from agent.sandbox import deploy_sandbox, sandbox_targets
from contract.plan import HOST_NS, netns_name
from designer.topology.compile import compile_fabric, compile_plans
from designer.topology.ipam import allocate
from tests.kernel.lab import deployment_id
from tests.topology.factory import make_design
from tests.topology.scenarios import (
    NET10,
    near_miss_routes,
    one_host,
    passthru_parent_address,
    route_via_own_address,
    router_design,
    two_hosts,
    vlans_and_router_host,
    with_ipv6,
)

pytestmark = pytest.mark.kernel


def mixed_bridge_vepa(hairpin: bool) -> dict:
    parts = one_host("bridge", hairpin=hairpin, addresses={"eth1": "10.0.0.1/24"})
    parts["networks"]["v"] = {**NET10, "mode": "vepa"}
    parts["containers"]["b"]["networks"] = {"v": {"ip": "10.0.0.11"}}
    return parts


def ipv6_default_route() -> dict:
    parts = with_ipv6(router_design(None), uplink_gateway=True)
    parts["containers"]["server"]["routes"] = [{"to": "default", "via": "fd00:2::1"}]
    return parts


def shim_and_parent_address() -> dict:
    parts = one_host("bridge", addresses={"eth1": "10.0.0.1/24"}, shim={"network": "n", "ip": "10.0.0.250"})
    parts["networks"]["n"]["ip_range"] = "10.0.0.0/25"
    return parts


SCENARIOS = {
    "bridge-parent-address": one_host("bridge", addresses={"eth1": "10.0.0.1/24"}),
    "bridge-hairpin-parent-address": one_host("bridge", hairpin=True, addresses={"eth1": "10.0.0.1/24"}),
    "shim-and-parent-address": shim_and_parent_address(),
    "shim-and-parent-address-same-prefix": one_host(
        "bridge", addresses={"eth1": "10.0.0.1/24"}, shim={"network": "n", "ip": "10.0.0.250"}
    ),
    "private-hairpin": one_host("private", hairpin=True, addresses={"eth1": "10.0.0.1/24"}),
    "vepa": one_host("vepa"),
    "vepa-hairpin": one_host("vepa", hairpin=True, addresses={"eth1": "10.0.0.1/24"}),
    "bridge-and-vepa": mixed_bridge_vepa(False),
    "bridge-and-vepa-hairpin": mixed_bridge_vepa(True),
    "two-hosts-private": two_hosts("private"),
    "two-hosts-passthru": two_hosts("passthru"),
    "passthru-parent-address": passthru_parent_address(),
    "passthru-parent-address-hairpin": passthru_parent_address(hairpin=True),
    "source-hairpin": one_host("source", hairpin=True, addresses={"eth1": "10.0.0.1/24"}),
    "two-hosts-source": two_hosts("source"),
    "vlan-not-carried": two_hosts("bridge", vlans=[200], parent="eth1.100"),
    "forwarding-host": vlans_and_router_host(forwarding=True),
    "no-gateways": vlans_and_router_host(forwarding=True, gateways=False),
    "router-no-masquerade": router_design(None),
    "router-masquerade": router_design("uplink"),
    "router-ipv6": with_ipv6(router_design(None), uplink_gateway=True),
    "router-masquerade-ipv6": with_ipv6(router_design("uplink"), uplink_gateway=False),
    "router-ipv6-default-route": ipv6_default_route(),
    "near-miss-routes": near_miss_routes(),
    "route-via-own-address": route_via_own_address(),
}


def observe(jobs: dict, dep: str) -> dict[tuple[str, str], int | None]:
    results = probe_hosts(jobs, dep, lambda e: None, timeout=1.0, tries=2)
    return {(e.src, e.dst_ip): e.ttl if e.observed else None for events in results.values() for e in events}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_kernel_does_what_the_design_predicts(name):
    design = make_design(**SCENARIOS[name])
    with deployment_id() as dep:
        fabric = compile_fabric(design, dep)
        plans = list(compile_plans(design, allocate(design), dep).values())
        deploy_sandbox(fabric, plans)
        targets = sandbox_targets(fabric, plans)
        jobs = {
            plan.host: [
                (targets[plan.host].host_ns if p.namespace == HOST_NS else netns_name(dep, p.namespace), p)
                for p in plan.probes
            ]
            for plan in plans
        }
        predicted = {(p.src, p.dst_ip): p.expected_ttl for plan in plans for p in plan.probes}
        observed = observe(jobs, dep)
        if observed != predicted:
            # Links just made may still be settling (the kernel activates a link's queue when
            # it sees carrier, up to a second later); the steady state is what is predicted.
            time.sleep(1.0)
            observed = observe(jobs, dep)
    assert observed == predicted
