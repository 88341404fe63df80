"""A design may name a host address on a link mvlab does not own (a real host's NIC) only when the link
already holds it: apply then changes nothing there, and teardown leaves it. Found on the VM lab's real
kernels (docs/vm-lab.md), where the host-isolation example's `addresses: {eth1: ...}` failed every apply."""

import pytest

from agent import netns
from agent.apply import ApplyError, apply_plan, teardown
from contract.plan import HostAddress
from tests.kernel.lab import links
from tests.kernel.test_apply import container, host, plan  # noqa: F401  (host: the fixture)

pytestmark = pytest.mark.kernel


def test_an_address_the_foreign_link_holds_is_accepted_one_it_lacks_is_refused_and_neither_is_touched(
    host,  # noqa: F811  (the fixture)
):
    dep, target = host
    with netns.handle(target.host_ns) as ipr:
        ipr.link("add", ifname="keep0", kind="veth", peer="keep1")
        ipr.addr("add", index=ipr.link_lookup(ifname="keep0")[0], address="10.7.0.1", prefixlen=24)

    named = (HostAddress(link="keep0", address="10.7.0.1/24"),)
    held = plan(dep, container("c1", "10.1.0.1/24"), host_addresses=named)
    apply_plan(held, target)
    assert links(target.host_ns)["keep0"]["addresses"] == ["10.7.0.1/24"]

    lacking = plan(dep, host_addresses=(HostAddress(link="keep0", address="10.7.0.2/24"),))
    refused = r"host h1: address 10\.7\.0\.2/24 on keep0 .*not mvlab's, so mvlab does not add it"
    with pytest.raises(ApplyError, match=refused):
        apply_plan(lacking, target)
    teardown(dep, target)
    assert links(target.host_ns)["keep0"]["addresses"] == ["10.7.0.1/24"]
