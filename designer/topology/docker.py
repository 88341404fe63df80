"""What Docker needs beyond the design, shared by the docker and Compose exports.

Docker keeps a macvlan network's gateway address (the given one, else the subnet's first) for
itself and refuses it to a container. When a container or router of the design holds that
address (a routing namespace usually does), Docker is told another gateway, one no element
uses, and every endpoint's routes are set to the design's once it runs, so what runs is the
design. What Docker cannot express at all is said in words (`limits`).
"""

from __future__ import annotations

import ipaddress

from designer.topology.model import Design, MacvlanNetwork
from designer.topology.namespaces import NamespaceSpec

NFT_TABLE = "mvlab"


def reserved_gateways(design: Design) -> dict[str, dict[int, str]]:
    """network -> {IP version: the address Docker reserves as its gateway}."""
    out: dict[str, dict[int, str]] = {}
    for name, net in design.networks.items():
        out[name] = {}
        for gateway, subnet in ((net.gateway, net.subnet), (net.ipv6_gateway, net.ipv6_subnet)):
            if subnet is not None:
                network = ipaddress.ip_network(subnet)
                out[name][network.version] = gateway or str(network.network_address + 1)
    return out


def stand_ins(design: Design, specs: list[NamespaceSpec]) -> dict[str, dict[int, str]]:
    """network -> {IP version: the gateway Docker is told} for every gateway an endpoint holds."""
    used = {ip for spec in specs for ip in spec.addresses}
    used |= {ip for net in design.networks.values() for ip in net.aux_addresses.values()}
    out: dict[str, dict[int, str]] = {}
    for name, by_version in reserved_gateways(design).items():
        for version, gateway in by_version.items():
            if holders(specs, name, gateway):
                net = design.networks[name]
                subnet = net.subnet if version == 4 else net.ipv6_subnet
                free = _free_address(ipaddress.ip_network(subnet), used)
                if free is not None:
                    out.setdefault(name, {})[version] = free
    return out


def aux_addresses(net: MacvlanNetwork, told: dict[int, str]) -> list[tuple[str, str]]:
    """The network's aux addresses but its gateway's (Docker reserves the gateway already, and
    refuses to reserve one address twice)."""
    gateways = {told.get(4, net.gateway), told.get(6, net.ipv6_gateway)}
    return [(aux, address) for aux, address in sorted(net.aux_addresses.items()) if address not in gateways]


def holders(specs: list[NamespaceSpec], network: str, address: str) -> list[str]:
    """The containers and routers holding `address` on `network`."""
    return [
        spec.endpoint
        for spec in specs
        if spec.kind != "host"
        for iface in spec.interfaces
        if iface.network == network and address in (str(i.ip) for i in iface.inet)
    ]


def _free_address(network: ipaddress.IPv4Network | ipaddress.IPv6Network, used: set[str]) -> str | None:
    """The highest address of `network` that no element uses (never its broadcast), searching 4096."""
    last = network.broadcast_address - (1 if network.version == 4 else 0)
    for step in range(min(4096, network.num_addresses - 2)):
        candidate = last - step
        if str(candidate) not in used and candidate != network.network_address:
            return str(candidate)
    return None


def stand_in_notes(design: Design, specs: list[NamespaceSpec], host: str) -> list[str]:
    """One sentence per gateway address a Docker endpoint of `host` holds: what Docker is told instead."""
    told = stand_ins(design, specs)
    notes = []
    for name, by_version in reserved_gateways(design).items():
        for version, gateway in by_version.items():
            on_host = [e for e in holders(specs, name, gateway) if _host_of(specs, e) == host]
            if not on_host:
                continue
            if version in told.get(name, {}):
                notes.append(
                    f"Docker keeps a network's gateway address for itself; {', '.join(on_host)} holds"
                    f" {gateway} on {name}, so Docker is told {told[name][version]} (unused in the design)"
                    " and the design's routes replace Docker's once each container runs."
                )
            else:
                notes.append(
                    f"Docker cannot give {gateway} to {', '.join(on_host)} on {name}: it keeps it as the"
                    " gateway, and the subnet has no free address to tell Docker instead."
                )
    return notes


def limits(specs: list[NamespaceSpec], host: str) -> list[str]:
    """What Docker cannot express for `host`'s endpoints, one sentence each."""
    notes = []
    for spec in specs:
        if spec.host != host or spec.kind == "host":
            continue
        for iface in spec.interfaces[1:]:
            if iface.mac:
                notes.append(
                    f"Docker cannot set the MAC of a second network's leg: {spec.endpoint}'s"
                    f" {iface.name} on {iface.network} should have {iface.mac}; Docker picks one."
                )
    return notes


def _host_of(specs: list[NamespaceSpec], endpoint: str) -> str:
    return next(s.host for s in specs if s.endpoint == endpoint and s.kind != "host")


def inside(spec: NamespaceSpec) -> list[list[str]]:
    """Commands run inside a Docker endpoint once it runs: the design's routes and masquerading.

    Docker installs a default route of each family it gives addresses in (via its gateway, or the
    stand-in): it is replaced by the design's, or removed when the design has none. `default` is
    the default of its next hop's family."""
    commands: list[list[str]] = []
    defaults = {r.network for r in spec.routes if r.network.prefixlen == 0}
    families = {ipaddress.ip_address(a).version for a in spec.addresses}
    for default in map(ipaddress.ip_network, ("0.0.0.0/0", "::/0")):
        if default.version in families and default not in defaults:
            commands.append(["ip", f"-{default.version}", "route", "flush", "exact", str(default)])
    for route in spec.routes:
        target = ["via", route.via] if route.via else ["dev", route.dev]
        commands.append(["ip", "route", "replace", route.dst, *target])
    return commands + masquerade(spec)


def masquerade(spec: NamespaceSpec) -> list[list[str]]:
    """`nft` commands NATing what leaves through each masquerading leg."""
    if not spec.masquerade:
        return []
    chain = "{ type nat hook postrouting priority 100 ; }"
    commands = [
        ["nft", "add", "table", "ip", NFT_TABLE],
        ["nft", "add", "chain", "ip", NFT_TABLE, "postrouting", chain],
    ]
    for out_link, source in spec.masquerade:
        rule = ["oifname", out_link, "ip", "saddr", source, "masquerade"]
        commands.append(["nft", "add", "rule", "ip", NFT_TABLE, "postrouting", *rule])
    return commands


def notes(design: Design, specs: list[NamespaceSpec], compose: bool = False) -> list[str]:
    """Every host's notes: stand-in gateways, and what `docker` commands cannot express (a Compose
    file can set every leg's MAC)."""
    out = []
    for host in design.hosts:
        out += stand_in_notes(design, specs, host) + ([] if compose else limits(specs, host))
    return out
