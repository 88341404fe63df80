"""Step "links": the plan's macvlan and vlan links made, fixed or recreated, stale ones of the
deployment removed, macvlan parents mvlab may change made promiscuous. A link for the host namespace
is born and marked in the staging namespace, then moved, so none is ever there unmarked."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from agent import netns, rtnl
from agent.apply.ownership import marked_by_mvlab
from agent.apply.retry import ApplyError, do_requests
from agent.apply.session import Namespace, Session
from contract.plan import HOST_NS, Link


def sync_links(s: Session) -> None:
    wanted: dict[str, set[str]] = {}
    for link in s.plan.links:
        wanted.setdefault(s.kernel_ns(link.namespace), set()).add(link.name)
    for space in s.spaces.values():
        stale = [
            link
            for name, link in space.links.items()
            if name != "lo"
            and name not in wanted.get(space.kernel_name, set())
            and (space.owned_whole or link.alias == s.mark)
        ]
        if stale:
            s.do(space, *(rtnl.link_del(link.index, link.name) for link in stale))
            for link in stale:
                s.report.note("removed", f"link {link.name} in {space.kernel_name}")
            s.call(f"list links of {space.kernel_name}", space.refresh)
    # vlans before macvlans: a macvlan's parent may be a vlan
    for link in sorted(s.plan.links, key=lambda link: (link.kind != "vlan", link.namespace != HOST_NS)):
        sync_link(s, link)


def sync_link(s: Session, link: Link) -> None:
    host = s.space(HOST_NS)
    space = s.space(link.namespace)
    where = f"{link.kind} link {link.name} in {space.kernel_name}"
    if link.kind == "vlan" and s.target.emulated_vlans:
        if link.name not in host.links:
            raise ApplyError(f"host {s.plan.host}: {where}: the sandbox has no emulating link")
        return
    parent = parent_index(s, link, where)
    current = space.links.get(link.name)
    if current is None:
        create_link(s, link, parent, host, space, where)
        s.report.note("created", where)
    elif not space.owned_whole and current.alias != s.mark:
        if found_as_planned(current, link, parent):
            return  # the machine's own 802.1Q sub-interface: used as found, as Docker does; never changed
        foreign_vlan = link.kind == "vlan" and not marked_by_mvlab(current)
        raise ApplyError(
            f"host {s.plan.host}: {where}: exists and is not mvlab's "
            f"(ifalias {current.alias!r})"
            + (f", and is not VLAN {link.vid} of {link.parent}, up" if foreign_vlan else "")
        )
    elif matches(current, link, parent):
        fix_link(s, space, current, link, where)
    else:
        s.do(space, rtnl.link_del(current.index, link.name))
        create_link(s, link, parent, host, space, where)
        s.report.note("changed", f"{where} (recreated)")
    if link.kind == "macvlan" and link.mode != "passthru":
        ensure_promiscuous(s, link.parent)


def parent_index(s: Session, link: Link, where: str) -> int:
    host = s.space(HOST_NS)
    allowed = s.target.allowed_nics
    own_vlans = {planned.name for planned in s.plan.links if planned.kind == "vlan"}
    if allowed is not None and link.parent not in allowed and link.parent not in own_vlans:
        raise ApplyError(f"host {s.plan.host}: {where}: parent {link.parent} is not an allowed NIC")
    index = host.index(link.parent)
    if index is None:
        raise ApplyError(f"host {s.plan.host}: {where}: parent {link.parent} does not exist")
    return index


def found_as_planned(current: rtnl.LinkState, link: Link, parent: int) -> bool:
    """An unmarked VLAN sub-interface of the machine (made by its admin) that is the planned one, up."""
    return (
        link.kind == "vlan" and not marked_by_mvlab(current) and current.up and matches(current, link, parent)
    )


def matches(current: rtnl.LinkState, link: Link, parent: int) -> bool:
    if current.kind != link.kind or current.parent != parent:
        return False
    if link.kind == "vlan":
        return current.vlan_id == link.vid
    return current.macvlan_mode == link.mode


def create_link(s: Session, link: Link, parent: int, host: Namespace, space: Namespace, where: str) -> None:
    """Make `link` inside `space` (IFLA_NET_NS_FD: its name never meets the host's links), marked.

    The kernel ignores IFLA_IFALIAS on creation, so a link meant for the host namespace is born in
    the deployment's staging namespace, marked there, then moved: a crash never leaves an
    unmarked link among the host's. A container namespace is the deployment's as a whole.
    """
    birth = s.staging() if space is host else space
    with _ns_fd(birth.kernel_name) as fd:
        request = rtnl.link_add(
            link.name,
            link.kind,
            parent=parent,
            mac=_own_mac(link),
            netns_fd=fd,
            up=True,
            macvlan_mode=link.mode,
            vlan_id=link.vid,
        )
        do_requests(host.rt, s.plan.host, space.kernel_name, [request])
    s.do(birth, rtnl.link_set(name=link.name, alias=s.mark))
    if birth is not space:
        with _ns_fd(space.kernel_name) as fd:
            s.do(birth, rtnl.link_set(name=link.name, netns_fd=fd))
        s.do(space, rtnl.link_set(name=link.name, up=True))  # a move takes a link down
    s.call(f"list links of {space.kernel_name}", space.refresh)


def fix_link(s: Session, space: Namespace, current: rtnl.LinkState, link: Link, where: str) -> None:
    fixes = {}
    if current.alias != s.mark:
        fixes["alias"] = s.mark
    if _own_mac(link) and current.address != link.mac:
        fixes["mac"] = link.mac
    if not current.up:
        fixes["up"] = True
    if fixes:
        s.do(space, rtnl.link_set(index=current.index, **fixes))
        s.report.note("changed", f"{where} ({', '.join(sorted(fixes))})")
        s.call(f"list links of {space.kernel_name}", space.refresh)


def ensure_promiscuous(s: Session, parent: str) -> None:
    """Parents of macvlans receive frames for many MACs; set promisc where mvlab may change the link."""
    host = s.space(HOST_NS)
    link = host.links[parent]
    if link.flags & rtnl.IFF_PROMISC or not s.marked(link):
        return
    s.do(host, rtnl.link_set(index=link.index, promisc=True))
    s.report.note("changed", f"link {parent} promiscuous")
    s.call(f"list links of {host.kernel_name}", host.refresh)


def _own_mac(link: Link) -> str | None:
    """The MAC to give the link: a passthru macvlan wears its parent's (setting it would change the
    parent's)."""
    return None if link.mode == "passthru" else link.mac


@contextmanager
def _ns_fd(name: str) -> Iterator[int]:
    fd = os.open(netns.ns_path(name), os.O_RDONLY | os.O_CLOEXEC)
    try:
        yield fd
    finally:
        os.close(fd)
