"""What an agent tells the site about its machine: kernel, link kinds it supports, NICs.

Support for a link kind is found the way it matters: by making such a link
inside a throwaway namespace (a veth pair serves as the parent), which also
loads the module if the kernel can. The answer cannot change while the agent
runs, so it is measured once per process.
"""

from __future__ import annotations

import functools
import os
import secrets

from pyroute2.netlink.exceptions import NetlinkError

from agent import netns
from contract.plan import NETNS_PREFIX, HostFacts, NicFacts

IFF_PROMISC = 0x100
KINDS = {
    "bridge": {"kind": "bridge"},
    "macvlan": {"kind": "macvlan", "macvlan_mode": "bridge"},
    "vlan_8021q": {"kind": "vlan", "vlan_id": 5},
    "ipvlan": {"kind": "ipvlan", "ipvlan_mode": 0},
}


@functools.lru_cache(maxsize=1)
def link_kinds() -> dict[str, bool]:
    """{"veth", "bridge", "macvlan", "vlan_8021q", "ipvlan"} -> whether this kernel makes such links."""
    scratch = f"{NETNS_PREFIX}facts-{secrets.token_hex(4)}"
    netns.create(scratch)
    try:
        with netns.handle(scratch) as ipr:
            try:
                ipr.link("add", ifname="probe0", kind="veth", peer="probe1")
                supported = {"veth": True}
            except NetlinkError:
                supported = {"veth": False}
            parent = ipr.link_lookup(ifname="probe0")
            for number, (name, spec) in enumerate(KINDS.items()):
                extra = {} if spec["kind"] == "bridge" else {"link": parent[0]} if parent else None
                if extra is None:
                    supported[name] = False
                    continue
                try:
                    ipr.link("add", ifname=f"probe{number + 2}", **spec, **extra)
                    supported[name] = True
                except NetlinkError:
                    supported[name] = False
        return supported
    finally:
        netns.remove(scratch)


def nic_facts(names, ns: str = netns.MACHINE) -> tuple[NicFacts, ...]:
    """State, MAC, promiscuity and addresses of the NICs `names` in namespace `ns` (read only)."""
    with netns.handle(ns) as ipr:
        by_name = {link.get_attr("IFLA_IFNAME"): link for link in ipr.get_links()}
        facts = []
        for name in names:
            link = by_name.get(name)
            if link is None:
                facts.append(NicFacts(name=name, state="missing", mac=None, promiscuous=False))
                continue
            addresses = tuple(
                f"{a.get_attr('IFA_ADDRESS')}/{a['prefixlen']}" for a in ipr.get_addr(index=link["index"])
            )
            facts.append(
                NicFacts(
                    name=name,
                    state=str(link.get_attr("IFLA_OPERSTATE") or "UNKNOWN").lower(),
                    mac=link.get_attr("IFLA_ADDRESS"),
                    promiscuous=bool(link["flags"] & IFF_PROMISC),
                    addresses=addresses,
                )
            )
    return tuple(facts)


def host_facts(agent_name: str, allowed_nics, ns: str = netns.MACHINE) -> HostFacts:
    """The facts an agent sends with every heartbeat; `ns` is where its NICs are (a sandbox host's
    namespace)."""
    kinds = link_kinds()
    return HostFacts(
        agent=agent_name,
        kernel=os.uname().release,
        macvlan=kinds["macvlan"],
        vlan_8021q=kinds["vlan_8021q"],
        bridge=kinds["bridge"],
        veth=kinds["veth"],
        ipvlan=kinds["ipvlan"],
        nics=nic_facts(list(allowed_nics), ns),
    )
