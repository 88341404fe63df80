"""Routes the kernel refuses (`File exists`): a static route to a prefix its namespace already routes.

The agent adds each route to the main table with no metric, so an IPv4 route gets metric 0,
like the connected route the kernel makes for every IPv4 address shorter than /32
(`10.0.0.10/24` routes `10.0.0.0/24`), and the kernel keeps one route per prefix and metric:
a static route to a connected subnet, to a prefix the host's shim routes, or to a prefix an
earlier route names is refused. IPv6 connected routes have metric 256 and static ones 1024,
so an IPv6 route clashes only with another static one (the connected route wins, as the
prediction says). A prefix of another length is another route, and fine.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from designer.topology.checks.context import Facts, Report
from designer.topology.model import Design, RouteSpec
from designer.topology.namespaces import StaticRoute, shim_targets


@dataclass(frozen=True)
class Claim:
    """What already routes a prefix, and what to do instead of a second route to it."""

    what: str
    hint: str


def check_routes(design: Design, facts: Facts, report: Report) -> None:
    for kind, elements in (("containers", design.containers), ("routers", design.routers)):
        for name, element in elements.items():
            routed: dict = {}
            for network in element.networks:
                if network in design.networks:
                    who = f"the connected route of network {network} ({kind}.{name}.networks.{network})"
                    _connected(routed, design.networks[network].subnet, who)
            _routes(report, f"{kind}.{name}.routes", element.routes, routed)
    for name, host in design.hosts.items():
        routed = {}
        for link, value in host.addresses.items():
            who = f"the connected route of {value} (hosts.{name}.addresses.{link})"
            _connected(routed, str(ipaddress.ip_interface(value).network), who)
        for target in shim_targets(design, name):
            routed[target] = Claim(
                f"the route of the shim (hosts.{name}.shim)", f"remove this route: the shim reaches {target}"
            )
        _routes(report, f"hosts.{name}.routes", host.routes, routed)


def _connected(routed: dict, subnet: str, who: str) -> None:
    network = ipaddress.ip_network(subnet)
    if network.version == 4 and network.prefixlen < network.max_prefixlen:
        hint = f"remove this route: {network} is reached directly (route a longer prefix for a part of it)"
        routed.setdefault(network, Claim(who, hint))


def _routes(report: Report, base: str, routes: list[RouteSpec], routed: dict) -> None:
    for index, route in enumerate(routes):
        network = StaticRoute(route.to, via=route.via).network
        claim = routed.get(network)
        if claim is None:
            routed[network] = Claim(f"{base}.{index} (via {route.via})", f"keep one route to {route.to}")
            continue
        report.error(
            "route-exists",
            f"{base}.{index}.to",
            f"{route.to} is already routed here by {claim.what}; the kernel refuses a second route to it "
            "(File exists)",
            claim.hint,
        )
