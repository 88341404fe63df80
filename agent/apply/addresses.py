"""Step "addresses": each link mvlab may change holds exactly the plan's addresses (IPv6 link-local
ones left alone); on a link not mvlab's (a real NIC) a planned address must already be there."""

from __future__ import annotations

import ipaddress

from agent import rtnl
from agent.apply.retry import ApplyError
from agent.apply.session import Namespace, Session


def sync_addresses(s: Session) -> None:
    wanted: dict[tuple[str, str], set[str]] = {}
    for link in s.plan.links:
        wanted.setdefault((s.kernel_ns(link.namespace), link.name), set()).update(link.addresses)
    for entry in s.plan.host_addresses:
        wanted.setdefault((s.target.host_ns, entry.link), set()).add(entry.address)
    for (kernel_name, name), goal in wanted.items():
        space = s.spaces[kernel_name]
        if name not in space.links:
            raise ApplyError(f"host {s.plan.host}: address on {name} in {kernel_name}: no such link")
        # a real host's NIC is not mvlab's: the design may name an address it already holds, never add one
        missing = set() if s.may_change(space, name) else goal - held_addresses(s, space, name)
        if missing:
            raise ApplyError(
                f"host {s.plan.host}: address {', '.join(sorted(missing))} on {name} "
                f"in {kernel_name}: the link is not mvlab's, so mvlab does not add it (give "
                f"the machine that address, or leave it out of the design)"
            )
    for space in s.spaces.values():
        mine = {
            link.index: name
            for name, link in space.links.items()
            if name != "lo" and s.may_change(space, name)
        }
        have: dict[int, set[str]] = {index: set() for index in mine}
        existing = [] if space.fresh else s.call(f"list addresses of {space.kernel_name}", space.rt.addresses)
        for entry in existing:
            if entry.index in have and not _is_link_local(entry.address):
                have[entry.index].add(str(ipaddress.ip_interface(entry.address)))
        requests: list[rtnl.Request] = []
        notes: list[tuple[str, str]] = []
        for index, name in mine.items():
            goal = wanted.get((space.kernel_name, name), set())
            for address in sorted(have[index] - goal):
                requests.append(rtnl.addr(False, index, address))
                notes.append(("removed", f"address {address} on {name} in {space.kernel_name}"))
            for address in sorted(goal - have[index]):
                requests.append(rtnl.addr(True, index, address))
                notes.append(("created", f"address {address} on {name} in {space.kernel_name}"))
        s.do(space, *requests)
        for kind, what in notes:
            s.report.note(kind, what)


def held_addresses(s: Session, space: Namespace, name: str) -> set[str]:
    index = space.links[name].index
    entries = s.call(f"list addresses of {space.kernel_name}", space.rt.addresses)
    return {str(ipaddress.ip_interface(e.address)) for e in entries if e.index == index}


def _is_link_local(address: str) -> bool:
    return ipaddress.ip_interface(address).ip.is_link_local and ":" in address
