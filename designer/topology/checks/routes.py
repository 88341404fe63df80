"""Static routes the kernel refuses.

Before its static routes, a namespace reaches some prefixes directly: the connected subnet
of each of its addresses and, on a host, the routes of its shim, which cover the shim's
network's `ip_range` only (the shim's own address is a /32). The agent adds the static
routes in order, to the main table, with no metric, and the kernel refuses one:

- whose next hop is of another family than its destination (`default` is the default route
  of the next hop's family, so it always matches): an IPv6 route via an IPv4 address
  (`Numerical result out of range`), an IPv4 route via an IPv6 address (`Network is
  unreachable`);
- whose next hop lies in no prefix the namespace reaches directly (`Network is unreachable`);
- via one of the namespace's own IPv6 addresses (`Gateway can not be a local address`). An own
  IPv4 address is accepted, and read as a route straight out of the link that holds it, as
  the prediction reads it;
- via the broadcast address of a connected IPv4 subnet (`Nexthop has invalid gateway`);
- via an IPv6 next hop that an earlier route to a longer prefix covers: IPv6 looks the next hop
  up and refuses one reached through a gateway (`No route to host`). IPv4 looks among the
  link routes only, so there the same is fine;
- to a prefix its namespace already routes (`File exists`). An IPv4 route gets metric 0, like
  the connected route the kernel makes for every IPv4 address shorter than /32
  (`10.0.0.10/24` routes `10.0.0.0/24`), and the kernel keeps one route per prefix and
  metric: a static route to a connected subnet, to a prefix the host's shim routes, or to a
  prefix an earlier route names is refused. IPv6 connected routes have metric 256 and static
  ones 1024, so an IPv6 route clashes only with another static one (the connected route
  wins, as the prediction says). A prefix of another length is another route, and fine.

One more is refused although the kernel takes it: a route via the subnet-router anycast
address of a connected IPv6 prefix (its first address, `fd00:2::` of `fd00:2::/64`). Every
namespace forwarding IPv6 on that link answers for it, the first answer wins, so where
the packets go is a race no prediction can settle (`next-hop-anycast`, docs/validation.md).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from designer.topology.checks.addresses import ANYCAST, anycast_of
from designer.topology.checks.context import Facts, IPAddress, Report
from designer.topology.model import Design, RouteSpec
from designer.topology.namespaces import StaticRoute, shim_targets

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Claim:
    """What already routes a prefix, and what to do instead of a second route to it."""

    what: str
    hint: str


@dataclass
class Namespace:
    """What a namespace holds before its static routes."""

    path: str  # where its routes are written: `containers.c1.routes`
    routes: list[RouteSpec]
    own: dict[IPAddress, str] = field(default_factory=dict)  # address -> where the design gives it
    direct: dict[IPNetwork, str] = field(default_factory=dict)  # prefix reached straight out of a link -> how
    broadcasts: dict[IPAddress, IPNetwork] = field(default_factory=dict)  # of connected IPv4 subnets
    routed: dict[IPNetwork, Claim] = field(default_factory=dict)  # grows with each route checked

    def connects(self, subnet: IPNetwork, label: str, where: str) -> None:
        """The connected route of an address in `subnet`, given at `where`."""
        self.direct.setdefault(subnet, label)
        if subnet.version == 4 and subnet.prefixlen < 31:
            self.broadcasts[subnet.broadcast_address] = subnet
        if subnet.version == 4 and subnet.prefixlen < subnet.max_prefixlen:
            hint = f"remove this route: {subnet} is reached directly (route a longer prefix for a part of it)"
            self.routed.setdefault(subnet, Claim(f"the connected route of {where}", hint))


def check_routes(design: Design, facts: Facts, report: Report) -> None:
    for namespace in _namespaces(design):
        for index, route in enumerate(namespace.routes):
            path = f"{namespace.path}.{index}"
            if problem := _next_hop(namespace, route):
                code, message, hint = problem
                report.error(code, f"{path}.via", message, hint)
            _exists(report, namespace, path, route)


def _namespaces(design: Design) -> list[Namespace]:
    found = []
    for kind, elements in (("containers", design.containers), ("routers", design.routers)):
        for name, element in elements.items():
            namespace = Namespace(f"{kind}.{name}.routes", element.routes)
            for network, attachment in element.networks.items():
                net = design.networks.get(network)
                if net is None:
                    continue
                where = f"{kind}.{name}.networks.{network}"
                for subnet in filter(None, (net.subnet, net.ipv6_subnet)):
                    label = f"network {network}"
                    namespace.connects(ipaddress.ip_network(subnet), label, f"{label} ({where})")
                for key in ("ip", "ipv6"):
                    if getattr(attachment, key) is not None:
                        namespace.own[ipaddress.ip_address(getattr(attachment, key))] = f"{where}.{key}"
            found.append(namespace)
    for name, host in design.hosts.items():
        namespace = Namespace(f"hosts.{name}.routes", host.routes)
        for link, value in host.addresses.items():
            interface, where = ipaddress.ip_interface(value), f"hosts.{name}.addresses.{link}"
            namespace.connects(interface.network, f"address {value}", f"{value} ({where})")
            namespace.own[interface.ip] = where
        if host.shim is not None:
            namespace.own[ipaddress.ip_address(host.shim.ip)] = f"hosts.{name}.shim.ip"
        for target in shim_targets(design, name):
            net = host.shim.network
            narrowed = f": the ip_range of network {net}" if design.networks[net].ip_range else ""
            namespace.direct[target] = f"the shim's route{narrowed}"
            hint = f"remove this route: the shim reaches {target}"
            namespace.routed[target] = Claim(f"the route of the shim (hosts.{name}.shim)", hint)
        found.append(namespace)
    return found


def _next_hop(namespace: Namespace, route: RouteSpec) -> tuple[str, str, str] | None:
    """(code, message, hint) when the kernel refuses the route because of its next hop."""
    via = ipaddress.ip_address(route.via)
    network = StaticRoute(route.to, via=route.via).network
    if network.version != via.version:
        return (
            "route-family",
            f"next hop {via} is IPv{via.version} but {route.to} is IPv{network.version}; the kernel refuses "
            "a route via an address of the other family",
            f"route {route.to} via an IPv{network.version} address, or an IPv{via.version} prefix via {via}",
        )
    if via in namespace.own:
        if via.version == 4:
            return None  # the kernel reads it as a route straight out of the link that holds it
        return (
            "next-hop-own",
            f"next hop {via} is this namespace's own address ({namespace.own[via]}); the kernel refuses it "
            "(Gateway can not be a local address)",
            f"route {route.to} via the address of the router or host that forwards there",
        )
    direct = {prefix: label for prefix, label in namespace.direct.items() if prefix.version == via.version}
    reached = [prefix for prefix in direct if via in prefix]
    if not reached:
        listing = ", ".join(f"{prefix} ({label})" for prefix, label in direct.items()) or "none"
        return (
            "unreachable-next-hop",
            f"next hop {via} is in none of the IPv{via.version} prefixes reached directly here: {listing}; "
            "the kernel refuses the route (Network is unreachable)",
            "route via an address inside one of them",
        )
    if via in namespace.broadcasts:
        return (
            "next-hop-broadcast",
            f"next hop {via} is the broadcast address of {namespace.broadcasts[via]}; the kernel refuses it "
            "(Nexthop has invalid gateway)",
            "route via the address of the router or host that forwards there",
        )
    anycast = next((prefix for prefix in reached if anycast_of(via, prefix)), None)
    if anycast is not None:
        return (
            "next-hop-anycast",
            f"next hop {via} is {ANYCAST} of {anycast}; with no router or forwarding host on that link, "
            "nobody answers",
            "route via the address of the router or host that forwards there",
        )
    longest = max(prefix.prefixlen for prefix in reached)
    # the IPv6 prefixes claimed are those of earlier routes (connected IPv6 ones are not claimed)
    for prefix, claim in namespace.routed.items():
        if prefix.version == 6 and via in prefix and prefix.prefixlen > longest:
            return (
                "next-hop-shadowed",
                f"next hop {via} lies in {prefix}, which {claim.what} routes through a gateway; the kernel "
                "looks an IPv6 next hop up and refuses one reached through a gateway (No route to host)",
                f"write this route before that one, or route via an address outside {prefix}",
            )
    return None


def _exists(report: Report, namespace: Namespace, path: str, route: RouteSpec) -> None:
    network = StaticRoute(route.to, via=route.via).network
    claim = namespace.routed.get(network)
    if claim is None:
        namespace.routed[network] = Claim(f"{path} (via {route.via})", f"keep one route to {route.to}")
        return
    report.error(
        "route-exists",
        f"{path}.to",
        f"{route.to} is already routed here by {claim.what}; the kernel refuses a second route to it "
        "(File exists)",
        claim.hint,
    )
