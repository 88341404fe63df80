"""Address management: the IPv4/IPv6 address and MAC of every leg of every endpoint.

IPAM is global across hosts, as in DESIGN.md: a network spans every host that has a
leg on it, and no two endpoints anywhere get the same address. Addresses a design
gives are kept as they are (the validator reports conflicts among them); every other
leg gets the lowest free address of its network's `ip_range` (or the whole subnet).
Never handed out: network and broadcast addresses, the gateway, `aux_addresses`,
host addresses, shim addresses, any address a leg was given, and the next hop of any
route (an endpoint handed its own route's next hop would route via itself, which the
kernel refuses for IPv6). A leg's MAC is the one given, else `02:42:` + its IPv4
octets (none for passthru: that child keeps the parent's MAC).

Legs are allocated in sorted (network, endpoint) order, so the result depends on the
design's content, never on the order its maps were written in. References that do not
resolve (a leg on an unknown network) are skipped: the validator reports those.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from designer.topology.issues import Issue
from designer.topology.model import Attachment, Design, MacvlanNetwork

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Leg:
    """What one endpoint holds on one network: `ip`/`ipv6` with prefix length, and its MAC."""

    ip: str | None
    mac: str | None
    ipv6: str | None = None

    @property
    def address(self) -> str | None:
        """The IPv4 address without its prefix length."""
        return None if self.ip is None else self.ip.split("/")[0]


@dataclass
class Allocation:
    """Legs keyed by (endpoint name, network name); `issues` says which ranges ran out."""

    legs: dict[tuple[str, str], Leg] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    def __getitem__(self, key: tuple[str, str]) -> Leg:
        return self.legs[key]

    def __contains__(self, key: object) -> bool:
        return key in self.legs

    def get(self, endpoint: str, network: str) -> Leg | None:
        return self.legs.get((endpoint, network))


def mac_from_ip(ip: str) -> str:
    """Docker's rule: `02:42:` followed by the four octets of the IPv4 address."""
    return "02:42:" + ":".join(f"{octet:02x}" for octet in ipaddress.IPv4Address(ip).packed)


def endpoint_legs(design: Design) -> Iterator[tuple[str, str, Attachment]]:
    """(endpoint, network, attachment) for every leg of every container and router."""
    for kind in (design.containers, design.routers):
        for name, endpoint in kind.items():
            for network, attachment in endpoint.networks.items():
                yield name, network, attachment


def reserved_addresses(design: Design) -> set[IPAddress]:
    """Addresses automatic allocation must never hand out, across every network."""
    reserved: set[IPAddress] = set()
    for net in design.networks.values():
        for subnet in (net.subnet, net.ipv6_subnet):
            if subnet is not None:
                network = ipaddress.ip_network(subnet)
                reserved.add(network.network_address)
                if network.version == 4:
                    reserved.add(network.broadcast_address)
        for address in (net.gateway, net.ipv6_gateway, *net.aux_addresses.values()):
            if address is not None:
                reserved.add(ipaddress.ip_address(address))
    for host in design.hosts.values():
        reserved.update(ipaddress.ip_interface(a).ip for a in host.addresses.values())
        if host.shim is not None:
            reserved.add(ipaddress.ip_address(host.shim.ip))
    for _, _, attachment in endpoint_legs(design):
        for given in (attachment.ip, attachment.ipv6):
            if given is not None:
                reserved.add(ipaddress.ip_address(given))
    for element in (*design.hosts.values(), *design.containers.values(), *design.routers.values()):
        reserved.update(ipaddress.ip_address(route.via) for route in element.routes)
    return reserved


def _candidates(net: MacvlanNetwork, version: int) -> Iterator[IPAddress]:
    """Addresses of the network's range (IPv4) or IPv6 subnet, lowest first, in the subnet."""
    if version == 4:
        subnet = ipaddress.ip_network(net.subnet)
        pool = ipaddress.ip_network(net.ip_range) if net.ip_range else subnet
    else:
        subnet = pool = ipaddress.ip_network(net.ipv6_subnet)
    if pool.version != subnet.version:
        return
    first = max(int(pool.network_address), int(subnet.network_address))
    last = min(int(pool.broadcast_address), int(subnet.broadcast_address))
    for value in range(first, last + 1):
        yield ipaddress.IPv6Address(value) if version == 6 else ipaddress.IPv4Address(value)


class _Pool:
    """The next free address of one network, skipping every address already taken anywhere."""

    def __init__(self, candidates: Iterator[IPAddress], taken: set[IPAddress]):
        self._candidates = candidates
        self._taken = taken

    def take(self) -> IPAddress | None:
        for address in self._candidates:
            if address not in self._taken:
                self._taken.add(address)
                return address
        return None


def _with_prefix(address: str, subnet: str | None, version: int) -> str:
    if subnet is not None:
        network = ipaddress.ip_network(subnet)
        if network.version == version:
            return f"{address}/{network.prefixlen}"
    return f"{address}/{32 if version == 4 else 128}"


def allocate(design: Design, lines: Mapping[str, int] | None = None) -> Allocation:
    """Every leg's addresses and MAC; exhausted ranges become error issues (with `lines`, with lines)."""
    taken = reserved_addresses(design)
    pools: dict[tuple[str, int], _Pool] = {}
    allocation = Allocation()
    kinds = dict.fromkeys(design.containers, "containers") | dict.fromkeys(design.routers, "routers")
    for endpoint, network, attachment in sorted(endpoint_legs(design), key=lambda leg: (leg[1], leg[0])):
        net = design.networks.get(network)
        if net is None:
            continue
        path = f"{kinds[endpoint]}.{endpoint}.networks.{network}"
        ip = _address(net, attachment.ip, 4, pools, network, taken)
        if ip is None:
            allocation.issues.append(_exhausted(path, network, net, 4).with_line(lines))
        ipv6 = _address(net, attachment.ipv6, 6, pools, network, taken)
        if ipv6 is None and net.ipv6_subnet is not None:
            allocation.issues.append(_exhausted(path, network, net, 6).with_line(lines))
        mac = attachment.mac.lower() if attachment.mac else _derived_mac(net, ip)
        allocation.legs[(endpoint, network)] = Leg(ip=ip, mac=mac, ipv6=ipv6)
    return allocation


def _derived_mac(net: MacvlanNetwork, ip: str | None) -> str | None:
    """Docker's MAC for a leg; none for passthru, whose child keeps the parent's MAC (DESIGN.md)."""
    if ip is None or net.mode == "passthru":
        return None
    return mac_from_ip(ip.split("/")[0])


def _address(
    net: MacvlanNetwork,
    given: str | None,
    version: int,
    pools: dict[tuple[str, int], _Pool],
    network: str,
    taken: set[IPAddress],
) -> str | None:
    subnet = net.subnet if version == 4 else net.ipv6_subnet
    if given is not None:
        return _with_prefix(given, subnet, version)
    if version == 6 and net.ipv6_subnet is None:
        return None
    pool = pools.setdefault((network, version), _Pool(_candidates(net, version), taken))
    address = pool.take()
    return None if address is None else _with_prefix(str(address), subnet, version)


def _exhausted(path: str, network: str, net: MacvlanNetwork, version: int) -> Issue:
    where = (net.ip_range or net.subnet) if version == 4 else net.ipv6_subnet
    return Issue(
        "error",
        path,
        f"no free {'IPv4' if version == 4 else 'IPv6'} address left in {where} of network {network}",
        hint="give this leg an address, widen the ip_range/subnet, or move other endpoints off the network",
        code="ipam-exhausted",
    )
