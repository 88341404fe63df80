"""Next hops nobody answers, beside a passthru child: observed as the kernel would send, in a lab sandbox.

A passthru child takes every unicast frame on its wire as its own (macvlan marks each one
PACKET_HOST). A prober that sent the packets of an unanswered next hop anywhere on the wire
(e.g. to a MAC nobody has, which the sandbox bridges flood) would have that child answer
pairs the kernel never sends: its ARP for the next hop fails and nothing leaves.
"""

from __future__ import annotations

import pytest

from tests.topology.differential import deploy_and_compare
from tests.topology.factory import make_design

pytestmark = pytest.mark.kernel

WIRE = {"segments": {"sw1": {"ports": ["h1.eth1", "h2.eth1"]}}}


def test_a_source_whose_gateway_never_answers_reaches_nobody_beside_a_passthru_child():
    """c1's default gateway 10.2.0.1 is held by nobody; c2's passthru child on the same wire holds
    10.1.0.1."""
    design = make_design(
        hosts={"h1": {"nics": ["eth1"]}, "h2": {"nics": ["eth1", "eth2"]}},
        **WIRE,
        networks={
            "n2": {"parent": "eth1", "mode": "passthru", "subnet": "10.2.0.0/24", "gateway": "10.2.0.1"},
            "n1": {"parent": "eth2", "subnet": "10.1.0.0/24"},
        },
        containers={
            "c1": {"host": "h1", "networks": {"n2": {}}},
            "c2": {"host": "h2", "networks": {"n2": {}, "n1": {"ip": "10.1.0.1"}}},
        },
    )
    outcome = deploy_and_compare(design, timeout=1.0)
    assert outcome.ok, outcome.report()
    assert outcome.pairs > 0


def test_a_router_forwarding_to_a_next_hop_that_never_answers_drops_beside_a_passthru_child():
    """c3's gateway is router r, which answers; r sends everything else to 10.2.0.1, held by nobody,
    out of its passthru leg; c2's passthru child on the same wire holds 10.1.0.1 and routes back
    the same way, so a prober that floods would see c3 -> 10.1.0.1 alive."""
    design = make_design(
        hosts={"h1": {"nics": ["eth1", "eth2"]}, "h2": {"nics": ["eth1", "eth2"]}},
        **WIRE,
        networks={
            "n2": {"parent": "eth1", "mode": "passthru", "subnet": "10.2.0.0/24", "gateway": "10.2.0.1"},
            "n1": {"parent": "eth2", "subnet": "10.1.0.0/24"},
            "n3": {"parent": "eth2", "subnet": "10.3.0.0/24", "gateway": "10.3.0.1"},
        },
        containers={
            "c2": {"host": "h2", "networks": {"n2": {}, "n1": {"ip": "10.1.0.1"}}},
            "c3": {"host": "h1", "networks": {"n3": {}}},
        },
        routers={
            "r": {
                "host": "h1",
                "networks": {"n2": {}, "n3": {"ip": "10.3.0.1"}},
                "routes": [{"to": "default", "via": "10.2.0.1"}],
            }
        },
    )
    outcome = deploy_and_compare(design, timeout=1.0)
    assert outcome.ok, outcome.report()
