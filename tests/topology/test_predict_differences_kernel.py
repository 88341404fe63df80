"""Designs the differential bench found predicted otherwise than the kernel behaved, shrunk, each
deployed in a lab sandbox and compared pair by pair with its prediction (reply TTL included).

Each also names the pair it was found by and what the kernel does with it, so that the test
cannot pass by predicting and observing something else."""

from __future__ import annotations

import pytest

from designer.topology.yamlio import load_design
from tests.topology.differential import deploy_and_compare

pytestmark = pytest.mark.kernel

HEAD = "apiVersion: mvlab/v1\nkind: Design\nname: differential\n"

# A private child's own broadcasts never reach its parent; it knows the parent's address only
# from the parent's request to it. h1 has two equal connected routes (fd00:1::/64 on eth1 and
# eth2); the first made, eth1's, carries its probe to r1, so r1 never learns eth2's fd00:1::f0.
EQUAL_CONNECTED_ROUTES = (
    HEAD
    + """
hosts:
  h1: {nics: [eth1, eth2], addresses: {eth2: "fd00:1::f0/64", eth1: "fd00:1::2/64"}}
segments: {sw1: {ports: [h1.eth1, h1.eth2], hairpin: true}}
networks:
  n1: {parent: eth2, mode: private, subnet: 10.1.0.0/24, ipv6_subnet: "fd00:1::/64"}
  n2: {parent: eth2, subnet: 10.2.0.0/24}
routers:
  r1: {host: h1, networks: {n2: {mac: "02:00:00:00:00:01"},
                            n1: {ip: 10.1.0.1, mac: "02:00:00:00:00:02", ipv6: "fd00:1::28"}}}
"""
)

# Weak host model: h2's eth2, which holds no address, answers r1's ARP for h2's 192.168.1.249
# (on eth1.20), so r1's replies reach h2 over the untagged wire.
ADDRESSLESS_NIC_ANSWERS = (
    HEAD
    + """
hosts:
  h2: {nics: [eth1, eth2], addresses: {eth1.20: 192.168.1.249/24},
       routes: [{to: 10.2.0.0/24, via: 192.168.1.249}]}
segments: {sw2: {ports: [h2.eth1, h2.eth2], vlans: [20]}}
networks:
  n1: {parent: eth1, subnet: 10.1.0.0/24}
  n2: {parent: eth2.20, subnet: 10.2.0.0/24, ipv6_subnet: "fd00:2::/64"}
routers:
  r1: {host: h2, networks: {n1: {ip: 10.1.0.145},
                            n2: {ip: 10.2.0.7, mac: "02:00:00:00:00:03", ipv6: "fd00:2::49"}},
       routes: [{to: 192.168.1.0/24, via: 10.1.0.145}, {to: default, via: 10.2.0.1}]}
"""
)

# h1's default route via 10.1.0.2 leaves through the shim's /25 (longer than eth1.10's /24):
# the shim (bridge mode) reaches nothing of the private network n1, r1's leg included.
NEXT_HOP_ON_LONGEST_PREFIX = (
    HEAD
    + """
hosts:
  h1: {nics: [eth1, eth2], addresses: {eth1.10: 10.1.0.4/24}, shim: {network: n1, ip: 10.1.0.5},
       routes: [{to: default, via: 10.1.0.2}]}
segments: {sw2: {ports: [h1.eth1], vlans: [10], hairpin: true}}
networks:
  n1: {parent: eth1.10, mode: private, subnet: 10.1.0.0/24}
  n2: {parent: eth2, subnet: 10.2.0.0/24}
routers:
  r1: {host: h1, networks: {n2: {ip: 10.2.0.2}, n1: {ip: 10.1.0.2}}}
"""
)


@pytest.mark.parametrize(
    ("text", "pair", "observed"),
    [
        (EQUAL_CONNECTED_ROUTES, ("r1", "fd00:1::f0"), False),
        (ADDRESSLESS_NIC_ANSWERS, ("h2", "10.2.0.7"), True),
        (NEXT_HOP_ON_LONGEST_PREFIX, ("h1", "10.2.0.2"), False),
    ],
    ids=["equal-connected-routes", "addressless-nic-answers-arp", "next-hop-on-longest-prefix"],
)
def test_the_kernel_behaves_as_predicted(text, pair, observed):
    design = load_design(text).design
    outcome = deploy_and_compare(design, timeout=1.0)
    assert outcome.ok, outcome.report()
    [found] = [p for p in outcome.observed if (p.src, p.dst_ip) == pair]
    assert (found.expected, found.observed) == (observed, observed)
