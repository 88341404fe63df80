"""What every network namespace of a design holds: interfaces, addresses, routes, forwarding.

One place decides interface names, default routes, shims and masquerading, so the
prediction (`predict.py`), the host plans (`compile.py`) and the exports describe the
very same namespaces. Containers and routers get one macvlan leg per network, named
`eth0`, `eth1`, ... in the order of their networks; a host's own namespace holds its
addresses (on NICs or `NIC.VID` links) and its shim.

Legs on networks the design does not define, and endpoints on unknown hosts, are
skipped: the validator reports them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Literal

from contract.plan import HOST_NS
from designer.topology.ipam import Allocation, mac_from_ip
from designer.topology.model import Container, Design, Router, RouteSpec

Kind = Literal["container", "router", "host"]
SHIM_PREFIX = "mvs-"
FORWARDING_KEYS = ("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding")
IFNAME_MAX = 15


@dataclass(frozen=True)
class Interface:
    """An interface of a namespace: a host link itself (`mode` None) or a macvlan on `parent`."""

    name: str
    parent: str
    mode: str | None = None
    network: str | None = None
    addresses: tuple[str, ...] = ()  # with prefix length, IPv4 first
    mac: str | None = None

    @cached_property
    def inet(self) -> tuple[ipaddress.IPv4Interface | ipaddress.IPv6Interface, ...]:
        return tuple(ipaddress.ip_interface(a) for a in self.addresses)

    @cached_property
    def ipv4(self) -> tuple[ipaddress.IPv4Interface, ...]:
        return tuple(i for i in self.inet if isinstance(i, ipaddress.IPv4Interface))


@dataclass(frozen=True)
class StaticRoute:
    """A route of a namespace: `dst` a CIDR or `default` (IPv4) / `::/0`, `via` a next hop or `dev` a link."""

    dst: str
    via: str | None = None
    dev: str | None = None

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        """`dst` as a network: `default` is the default route of the next hop's family, as the agent
        (and `ip route`) read it."""
        if self.dst != "default":
            return ipaddress.ip_network(self.dst)
        v6 = self.via is not None and ipaddress.ip_address(self.via).version == 6
        return ipaddress.ip_network("::/0" if v6 else "0.0.0.0/0")


@dataclass(frozen=True)
class NamespaceSpec:
    endpoint: str  # the container, router or host name
    host: str
    namespace: str  # HOST_NS for a host's own namespace
    kind: Kind
    interfaces: tuple[Interface, ...] = ()
    routes: tuple[StaticRoute, ...] = ()
    forwarding: bool = False
    masquerade: tuple[tuple[str, str], ...] = ()  # (out link, source CIDR)
    sysctls: tuple[str, ...] = ()  # keys set to 1: forwarding, for IPv6 too when the design has IPv6

    @property
    def addresses(self) -> list[str]:
        """Every address of the namespace, without prefix lengths, IPv4 ones first."""
        found = [i.ip for iface in self.interfaces for i in iface.inet]
        return [str(ip) for ip in sorted(found, key=lambda ip: ip.version)]

    @property
    def uses_ipv6(self) -> bool:
        return any(i.version == 6 for iface in self.interfaces for i in iface.inet)


def shim_name(network: str) -> str:
    """The host-side link of a shim, `mvs-<network>` cut to the 15 bytes an interface name may have."""
    return (SHIM_PREFIX + network)[:IFNAME_MAX]


def split_link(link: str) -> tuple[str, int | None]:
    """`enp0s8.100` -> (`enp0s8`, 100); `enp0s8` -> (`enp0s8`, None)."""
    nic, dot, vid = link.rpartition(".")
    if dot and nic and vid.isdigit():
        return nic, int(vid)
    return link, None


def namespaces(design: Design, allocation: Allocation) -> list[NamespaceSpec]:
    """Containers, then routers, then every host's own namespace, each in design order."""
    specs = [
        _endpoint_namespace(design, allocation, name, container, "container")
        for name, container in design.containers.items()
        if container.host in design.hosts
    ]
    specs += [
        _endpoint_namespace(design, allocation, name, router, "router")
        for name, router in design.routers.items()
        if router.host in design.hosts
    ]
    specs += [_host_namespace(design, name) for name in design.hosts]
    keys = FORWARDING_KEYS if any(s.uses_ipv6 for s in specs) else FORWARDING_KEYS[:1]
    return [replace(s, sysctls=keys) if s.forwarding else s for s in specs]


def _endpoint_namespace(
    design: Design, allocation: Allocation, name: str, endpoint: Container | Router, kind: Kind
) -> NamespaceSpec:
    interfaces: list[Interface] = []
    for network in endpoint.networks:
        net = design.networks.get(network)
        leg = allocation.get(name, network)
        if net is None or leg is None:
            continue
        addresses = tuple(a for a in (leg.ip, leg.ipv6) if a is not None)
        interfaces.append(
            Interface(f"eth{len(interfaces)}", net.parent, net.mode, network, addresses, leg.mac)
        )
    static = _static_routes(endpoint.routes)
    routes = _default_routes(design, interfaces, static) + static
    masquerade: tuple[tuple[str, str], ...] = ()
    if isinstance(endpoint, Router) and endpoint.masquerade is not None:
        out = next((i for i in interfaces if i.network == endpoint.masquerade), None)
        if out is not None:
            sources = dict.fromkeys(design.networks[i.network].subnet for i in interfaces if i is not out)
            masquerade = tuple((out.name, source) for source in sources)
    return NamespaceSpec(
        endpoint=name,
        host=endpoint.host,
        namespace=name,
        kind=kind,
        interfaces=tuple(interfaces),
        routes=tuple(routes),
        forwarding=kind == "router",
        masquerade=masquerade,
    )


def _default_routes(
    design: Design, interfaces: list[Interface], given: list[StaticRoute]
) -> list[StaticRoute]:
    """Default routes via the gateway of the first network that has one (IPv4 and IPv6 apart).

    Skipped when the routes already name a default (the kernel refuses a second one), or the
    gateway is one of the endpoint's own addresses, on that leg or another (a router that is
    its network's gateway): the kernel refuses an own IPv6 address as a gateway, and reads an
    own IPv4 one as a route straight out of the link that holds it.
    """
    routes = []
    own = {str(ipaddress.ip_interface(a).ip) for iface in interfaces for a in iface.addresses}
    for family, field, default in ((4, "gateway", "default"), (6, "ipv6_gateway", "::/0")):
        if any(r.network.prefixlen == 0 and r.network.version == family for r in given):
            continue
        for iface in interfaces:
            gateway = getattr(design.networks[iface.network], field)
            if gateway is not None and gateway not in own and _has_family(iface, family):
                routes.append(StaticRoute(default, via=gateway))
                break
    return routes


def _has_family(iface: Interface, family: int) -> bool:
    return any(ipaddress.ip_interface(a).version == family for a in iface.addresses)


def _static_routes(given: list[RouteSpec]) -> list[StaticRoute]:
    return [StaticRoute(r.to, via=r.via) for r in given]


def _host_namespace(design: Design, name: str) -> NamespaceSpec:
    host = design.hosts[name]
    interfaces = [Interface(link, link, addresses=(address,)) for link, address in host.addresses.items()]
    routes: list[StaticRoute] = []
    shim = host.shim
    net = design.networks.get(shim.network) if shim is not None else None
    if shim is not None and net is not None:
        link = shim_name(shim.network)
        v4 = ipaddress.ip_address(shim.ip).version == 4
        address = f"{shim.ip}/{32 if v4 else 128}"
        mac = mac_from_ip(shim.ip) if v4 else None
        interfaces.append(Interface(link, net.parent, "bridge", shim.network, (address,), mac))
        routes += [StaticRoute(str(target), dev=link) for target in shim_targets(design, name)]
    routes += _static_routes(host.routes)
    return NamespaceSpec(
        endpoint=name,
        host=name,
        namespace=HOST_NS,
        kind="host",
        interfaces=tuple(interfaces),
        routes=tuple(routes),
        forwarding=host.forwarding,
    )


def shim_targets(design: Design, name: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Where the shim of host `name` routes (nowhere without a shim): its network's range, or
    the range's two halves when a host address already has the very same connected route (the
    kernel refuses a second route to the same prefix; the halves are more specific, so the shim
    wins, as it must)."""
    host = design.hosts[name]
    net = design.networks.get(host.shim.network) if host.shim is not None else None
    if net is None:
        return []
    network = ipaddress.ip_network(net.ip_range or net.subnet)
    connected = {ipaddress.ip_interface(a).network for a in host.addresses.values()}
    if network in connected and network.prefixlen < network.max_prefixlen:
        return list(network.subnets(prefixlen_diff=1))
    return [network]
