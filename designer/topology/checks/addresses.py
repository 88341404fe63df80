"""Addresses as Docker and the kernel use them.

Inside each network: the range, gateway, aux addresses and every leg lie in the subnet,
and never on its network or broadcast address. Across the design: no address is held
twice (a gateway or aux address may be held by the host, router or shim that is meant to
answer on it, never by a container), and subnets overlap only within one L2 domain.
"""

from __future__ import annotations

import ipaddress
from itertools import combinations

from designer.topology.checks.context import Facts, Report
from designer.topology.model import Design, MacvlanNetwork
from designer.topology.namespaces import split_link


def check_addresses(design: Design, facts: Facts, report: Report) -> None:
    for name, net in design.networks.items():
        _network(name, net, report)
    _legs(design, facts, report)
    _host_addresses(design, report)
    _duplicates(facts, report)
    _gateways_held(design, facts, report)
    _overlaps(design, facts, report)


def _unusable(address: ipaddress._BaseAddress, subnet: ipaddress._BaseNetwork) -> str | None:
    """Why `address` cannot be used in `subnet`, or None."""
    if address not in subnet:
        return f"{address} is outside subnet {subnet}"
    if subnet.version == 4 and subnet.prefixlen < 31:
        if address == subnet.network_address:
            return f"{address} is the network address of {subnet}"
        if address == subnet.broadcast_address:
            return f"{address} is the broadcast address of {subnet}"
    if anycast_of(address, subnet):
        return f"{address} is {ANYCAST} of {subnet}"
    return None


ANYCAST = (
    "the subnet-router anycast address (RFC 4291 2.6.1): every namespace that forwards IPv6 "
    "on that link answers for it and the first answer wins, so which one gets the packets is a race"
)


def anycast_of(address: ipaddress._BaseAddress, subnet: ipaddress._BaseNetwork) -> bool:
    """Whether `address` is `subnet`'s subnet-router anycast address (Linux joins none on a /127 or /128)."""
    return subnet.version == 6 and subnet.prefixlen < 127 and address == subnet.network_address


def _in_subnet(report: Report, path: str, value: str | None, subnet: str | None) -> None:
    if value is None or subnet is None:
        return
    network = ipaddress.ip_network(subnet)
    problem = _unusable(ipaddress.ip_address(value), network)
    if problem:
        report.error(
            "address-outside-subnet",
            path,
            problem,
            f"pick an address inside {network}, not its first or last",
        )


def _network(name: str, net: MacvlanNetwork, report: Report) -> None:
    base = f"networks.{name}"
    subnet = ipaddress.ip_network(net.subnet)
    if subnet.version != 4:
        report.error(
            "address-family",
            f"{base}.subnet",
            f"subnet {subnet} is not IPv4",
            "write the IPv4 subnet in subnet and the IPv6 one in ipv6_subnet",
        )
        return
    if net.ipv6_subnet is not None and ipaddress.ip_network(net.ipv6_subnet).version != 6:
        report.error(
            "address-family",
            f"{base}.ipv6_subnet",
            f"ipv6_subnet {net.ipv6_subnet} is not IPv6",
            "write an IPv6 prefix like fd00:10::/64",
        )
    if net.ipv6_gateway is not None and net.ipv6_subnet is None:
        report.error(
            "address-outside-subnet",
            f"{base}.ipv6_gateway",
            "an IPv6 gateway needs an ipv6_subnet",
            "add ipv6_subnet, or remove ipv6_gateway",
        )
    if net.ip_range is not None:
        pool = ipaddress.ip_network(net.ip_range)
        if pool.version != 4 or not pool.subnet_of(subnet):
            report.error(
                "range-outside-subnet",
                f"{base}.ip_range",
                f"ip_range {pool} is not inside subnet {subnet}",
                f"pick a range inside {subnet}, like {next(subnet.subnets())}",
            )
    _in_subnet(report, f"{base}.gateway", net.gateway, net.subnet)
    _in_subnet(report, f"{base}.ipv6_gateway", net.ipv6_gateway, net.ipv6_subnet)
    for key, value in net.aux_addresses.items():
        version = ipaddress.ip_address(value).version
        _in_subnet(
            report, f"{base}.aux_addresses.{key}", value, net.subnet if version == 4 else net.ipv6_subnet
        )


def _legs(design: Design, facts: Facts, report: Report) -> None:
    for leg in facts.legs:
        net = design.networks.get(leg.network)
        if net is None:
            continue
        _in_subnet(report, f"{leg.path}.ip", leg.attachment.ip, net.subnet)
        if leg.attachment.ipv6 is not None and net.ipv6_subnet is None:
            report.error(
                "address-outside-subnet",
                f"{leg.path}.ipv6",
                f"network {leg.network} has no ipv6_subnet for {leg.attachment.ipv6}",
                f"add ipv6_subnet to networks.{leg.network}, or remove this ipv6",
            )
        _in_subnet(report, f"{leg.path}.ipv6", leg.attachment.ipv6, net.ipv6_subnet)
        if leg.kind == "containers":
            reserved = {net.gateway: "the gateway", net.ipv6_gateway: "the IPv6 gateway"}
            reserved |= {value: f"aux address {key!r}" for key, value in net.aux_addresses.items()}
            for key in ("ip", "ipv6"):
                value = getattr(leg.attachment, key)
                if value is not None and value in reserved:
                    report.error(
                        "reserved-address",
                        f"{leg.path}.{key}",
                        f"{value} is {reserved[value]} of network {leg.network}; a container cannot hold it",
                        "pick another address, or leave ip out for one from IPAM; "
                        "a router or host address may hold the gateway",
                    )
    for name, host in design.hosts.items():
        if host.shim is not None and host.shim.network in design.networks:
            _in_subnet(
                report, f"hosts.{name}.shim.ip", host.shim.ip, design.networks[host.shim.network].subnet
            )


def _host_addresses(design: Design, report: Report) -> None:
    for name, host in design.hosts.items():
        for link, value in host.addresses.items():
            interface = ipaddress.ip_interface(value)
            problem = _unusable(interface.ip, interface.network)
            if problem:
                report.error(
                    "address-outside-subnet",
                    f"hosts.{name}.addresses.{link}",
                    problem,
                    f"pick an address inside {interface.network}, not its first or last",
                )


def _duplicates(facts: Facts, report: Report) -> None:
    first_holder = {}
    for holder in facts.holders:
        first = first_holder.setdefault(holder.address, holder)
        if first is not holder:
            report.error(
                "duplicate-address",
                holder.path,
                f"{holder.address} is already held by {first.who} ({first.path})",
                "give each endpoint, host address and shim its own address (or leave ip out for IPAM)",
            )


def _gateways_held(design: Design, facts: Facts, report: Report) -> None:
    held = {holder.address for holder in facts.holders if holder.infrastructure}
    for name, net in design.networks.items():
        for key in ("gateway", "ipv6_gateway"):
            value, subnet = getattr(net, key), net.subnet if key == "gateway" else net.ipv6_subnet
            if value is None or subnet is None or not facts.network_hosts[name]:
                continue
            address = ipaddress.ip_address(value)
            if address in ipaddress.ip_network(subnet) and address not in held:
                report.warning(
                    "gateway-unheld",
                    f"networks.{name}.{key}",
                    f"no host address, router or shim holds the gateway {value}, so default routes "
                    "through it lead nowhere",
                    "give a router leg or a host address on this network that address, or drop the gateway",
                )


def _overlaps(design: Design, facts: Facts, report: Report) -> None:
    """Overlapping subnets are fine inside one L2 domain (shared parents), an error across domains."""
    placed: list[tuple[ipaddress._BaseNetwork, frozenset, str]] = []
    for name, net in design.networks.items():
        domains = frozenset(facts.domain(host, net.parent) for host in facts.wired_hosts(name))
        if domains:
            for key in ("subnet", "ipv6_subnet"):
                if getattr(net, key) is not None:
                    placed.append(
                        (ipaddress.ip_network(getattr(net, key)), domains, f"networks.{name}.{key}")
                    )
    for host_name, host in design.hosts.items():
        for link, value in host.addresses.items():
            if split_link(link)[0] not in host.nics:
                continue  # reported as an unknown NIC
            domain = frozenset([facts.domain(host_name, link)])
            placed.append(
                (ipaddress.ip_interface(value).network, domain, f"hosts.{host_name}.addresses.{link}")
            )
    for (net_a, domains_a, path_a), (net_b, domains_b, path_b) in combinations(placed, 2):
        if net_a.version == net_b.version and net_a.overlaps(net_b) and not domains_a & domains_b:
            report.error(
                "overlapping-subnets",
                path_b,
                f"{net_b} overlaps {net_a} ({path_a}), which is on another L2 domain",
                "give each wire/VLAN its own subnet; overlapping subnets make routes ambiguous",
            )
