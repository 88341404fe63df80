"""NICs, VLAN parents, wires and macvlan modes: can each network exist where it is used?"""

from __future__ import annotations

from designer.topology.checks.context import Facts, Report
from designer.topology.model import Design
from designer.topology.namespaces import split_link

VID_MIN, VID_MAX = 1, 4094


def check_wiring(design: Design, facts: Facts, report: Report) -> None:
    _nic_names(design, report)
    for name, net in design.networks.items():
        path = f"networks.{name}.parent"
        if _link_shape(net.parent, path, report):
            for host, used_at in facts.network_hosts[name].items():
                _link_on_host(design, facts, report, host, net.parent, path, used_at, f"network {name}")
        _one_domain(facts, report, name, net.parent)
        if not facts.network_hosts[name]:
            report.warning(
                "unused-network",
                f"networks.{name}",
                f"no container, router or shim uses network {name}",
                "attach an endpoint to it, or remove it: it will not be created",
            )
    for host_name, host in design.hosts.items():
        for link in host.addresses:
            path = f"hosts.{host_name}.addresses.{link}"
            if _link_shape(link, path, report) and split_link(link)[0] in host.nics:
                _link_on_host(design, facts, report, host_name, link, path, path, f"the address on {link}")
    _passthru(design, facts, report)


def _nic_names(design: Design, report: Report) -> None:
    for name, host in design.hosts.items():
        seen: set[str] = set()
        for index, nic in enumerate(host.nics):
            path = f"hosts.{name}.nics.{index}"
            if "." in nic:
                report.error(
                    "nic-name",
                    path,
                    f"a NIC name cannot contain '.' ({nic!r})",
                    "list the physical NIC; VLANs are written as NIC.VID in a network's parent",
                )
            if nic in seen:
                report.error("nic-twice", path, f"NIC {nic} is listed twice", "list each NIC once")
            seen.add(nic)


def _link_shape(link: str, path: str, report: Report) -> bool:
    """A link is a NIC, or NIC.VID with a VLAN ID from 1 to 4094."""
    if "." not in link:
        return True
    _, vid = split_link(link)
    if vid is None:
        report.error(
            "vlan-format",
            path,
            f"{link!r} is neither a NIC nor NIC.VID",
            "write the NIC alone, or NIC.VID with a numeric VLAN ID, like enp0s8.100",
        )
        return False
    if not VID_MIN <= vid <= VID_MAX:
        report.error(
            "vlan-range",
            path,
            f"VLAN ID {vid} of {link} is out of range",
            f"use a VLAN ID from {VID_MIN} to {VID_MAX}",
        )
        return False
    return True


def _link_on_host(
    design: Design, facts: Facts, report: Report, host: str, link: str, path: str, used_at: str, what: str
) -> None:
    """The NIC of `link` exists on `host`, and when tagged, the wire of that NIC carries the VLAN."""
    nic, vid = split_link(link)
    if nic not in design.hosts[host].nics:
        report.error(
            "missing-nic",
            used_at,
            f"{what} needs NIC {nic} on host {host}, which has none",
            f"add {nic} to hosts.{host}.nics, or move this endpoint to a host that has {nic}",
        )
        return
    if vid is None:
        return
    segment = facts.wire_of_port.get((host, nic))
    if segment is None:
        report.error(
            "vlan-not-carried",
            path,
            f"VLAN {vid} of {what} has no wire: {host}.{nic} is on no segment",
            f"plug {host}.{nic} into a segment with vlans: [{vid}]",
        )
    elif vid not in design.segments[segment].vlans:
        carried = ", ".join(map(str, design.segments[segment].vlans)) or "none"
        report.error(
            "vlan-not-carried",
            path,
            f"VLAN {vid} of {what} does not reach {host}.{nic}: segment {segment} carries VLANs {carried}",
            f"add {vid} to segments.{segment}.vlans",
        )


def _one_domain(facts: Facts, report: Report, name: str, parent: str) -> None:
    """A network spanning several hosts is one L2 domain: their parents must share a wire."""
    nic = split_link(parent)[0]
    hosts = facts.wired_hosts(name)
    wires = {facts.domain(host, parent)[0] for host in hosts}
    if len(wires) > 1:
        ports = ", ".join(f"{host}.{nic}" for host in hosts)
        report.error(
            "split-network",
            f"networks.{name}",
            f"network {name} is used on hosts that share no wire ({ports})",
            f"plug {ports} into one segment, or split the network in two with different subnets",
        )


def _passthru(design: Design, facts: Facts, report: Report) -> None:
    """passthru: one child per parent, which takes the parent's MAC; no other network on that parent."""
    for name, net in design.networks.items():
        if net.mode != "passthru":
            continue
        for host in facts.network_hosts[name]:
            children = [leg.path for leg in facts.legs if leg.network == name and leg.host == host]
            address = design.hosts[host].addresses.get(net.parent)
            if children and address is not None:
                report.warning(
                    "passthru-parent-address",
                    f"hosts.{host}.addresses.{net.parent}",
                    f"{address} on {net.parent} is cut off from its wire: the passthru child of network "
                    f"{name} ({children[0]}) wears the MAC of {net.parent} and takes every unicast frame "
                    f"{net.parent} receives",
                    f"put this address on another NIC or VLAN, or use mode bridge for {name} "
                    f"(and a shim for {host} to reach its own containers)",
                )
            shim = design.hosts[host].shim
            if shim is not None and shim.network == name:
                children.append(f"hosts.{host}.shim")
            for extra in children[1:]:
                report.error(
                    "passthru-shared",
                    extra,
                    f"network {name} is passthru: {net.parent} on host {host} already has its one child "
                    f"({children[0]})",
                    "move this endpoint to another host, or use mode bridge",
                )
            for other, other_net in design.networks.items():
                if other != name and other_net.parent == net.parent and host in facts.network_hosts[other]:
                    report.error(
                        "passthru-shared",
                        f"networks.{other}.parent",
                        f"network {other} shares {net.parent} on host {host} with passthru network {name}",
                        f"give {other} another parent on {host}, or use mode bridge for {name}",
                    )
