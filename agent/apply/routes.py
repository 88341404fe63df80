"""Step "routes": each namespace holds exactly the plan's routes among those mvlab made (protocol
`MVLAB_ROUTE_PROTO`, main table, through links it may change). In a machine's own namespace a host
route is refused when it is a default route, covers the way to the broker, or leaves through a link
not the deployment's to no allowed prefix; one through such a link is recorded in the machine state
before it is made, so that teardown (or a crash's next apply) knows it."""

from __future__ import annotations

import ipaddress

from agent import rtnl
from agent.apply.ownership import MVLAB_ROUTE_PROTO
from agent.apply.retry import ApplyError
from agent.apply.session import Namespace, Session
from agent.machine_state import MachineState
from contract.plan import HOST_NS, Route

MAIN_TABLE = 254

RouteKey = tuple[int, str, str | None, int | None]  # family, destination, gateway, output link index


def sync_routes(s: Session) -> None:
    wanted: dict[str, list[RouteKey]] = {name: [] for name in s.spaces}
    for route in s.plan.routes:
        space = s.space(route.namespace)
        wanted[space.kernel_name].append(route_key(s, space, route))
    foreign: set[str] = set()  # host routes through links not mvlab's (allowed prefixes)
    if s.foreign_routes is not None:
        host = s.space(HOST_NS)
        planned = wanted[host.kernel_name]
        foreign = {key[1] for key in planned if leaves_foreign(s, host, key, planned)}
        if not foreign <= s.foreign_routes:
            keep_foreign_routes(s, s.foreign_routes | foreign)  # before they exist: a crash still knows them
    for kernel_name, space in s.spaces.items():
        missing = list(wanted[kernel_name])
        requests: list[rtnl.Request] = []
        notes: list[tuple[str, str]] = []
        existing = [] if space.fresh else s.call(f"list routes of {kernel_name}", space.rt.routes)
        for entry in existing:
            made_by_mvlab = entry.proto == MVLAB_ROUTE_PROTO and entry.table == MAIN_TABLE
            if not (made_by_mvlab and route_is_ours(s, space, entry)):
                continue
            found = next((key for key in missing if _route_satisfies(entry, key)), None)
            if found is not None:
                missing.remove(found)
                continue
            requests.append(
                rtnl.route(False, entry.dst, gateway=entry.gateway, oif=entry.oif, proto=MVLAB_ROUTE_PROTO)
            )
            shown = show_route(entry.dst, entry.gateway, entry.oif)
            notes.append(("removed", f"route {shown} in {kernel_name}"))
        for _, dst, via, oif in missing:
            requests.append(rtnl.route(True, dst, gateway=via, oif=oif, proto=MVLAB_ROUTE_PROTO))
            notes.append(("created", f"route {show_route(dst, via, oif)} in {kernel_name}"))
        s.do(space, *requests)
        for kind, what in notes:
            s.report.note(kind, what)
    if s.foreign_routes is not None and s.foreign_routes != foreign:
        keep_foreign_routes(s, foreign)


def keep_foreign_routes(s: Session, destinations: set[str]) -> None:
    with MachineState.edit(s.target.host_ns) as state:
        state.routes[s.ns_mark] = sorted(destinations)
    s.foreign_routes = destinations


def leaves_foreign(s: Session, space: Namespace, key: RouteKey, planned: list[RouteKey]) -> bool:
    """Check a route of the machine's own namespace, among the `planned` ones: ApplyError naming
    the route and why, when it is refused; True when it leaves through a link mvlab did not make
    (to an allowed prefix)."""
    _, dst, via, oif = key
    network = ipaddress.ip_network(dst)
    route = f"host {s.plan.host}: route to {dst}" + (f" via {via}" if via else "") + " refused"
    if network.prefixlen == 0:
        raise ApplyError(f"{route}: a default route would take all of this machine's traffic")
    covered = sorted(a for a in protected(s) if ipaddress.ip_address(a) in network)
    if covered:
        raise ApplyError(f"{route}: it covers {covered[0]}, on this agent's own way to its broker")
    if oif is None:  # where the kernel will send to `via`: a planned link route (a shim's) or what it has now
        gateway = ipaddress.ip_address(via)
        on_link = sorted(
            (ipaddress.ip_network(to).prefixlen, dev)
            for _, to, hop, dev in planned
            if hop is None and gateway in ipaddress.ip_network(to)
        )
        if on_link:
            oif = on_link[-1][1]
        else:
            [lookup] = s.call(f"route to {via} in {space.kernel_name}", space.rt.route_get, [via])
            oif = None if lookup is None else lookup.oif
    link = next((link for link in space.links.values() if link.index == oif), None)
    if link is not None and s.marked(link):
        return False
    allowed = s.target.allowed_routes
    if any(network.version == prefix.version and network.subnet_of(prefix) for prefix in allowed):
        return True
    raise ApplyError(
        f"{route}: it leaves through {link.name if link else 'no link'}, which mvlab did not make, and "
        f"{dst} is in none of this agent's --allowed-routes ({', '.join(map(str, allowed)) or 'none given'})"
    )


def protected(s: Session) -> set[str]:
    """The broker's addresses and the gateways this machine reaches them through."""
    if s.protected_addresses is None:
        space = s.space(HOST_NS)
        addresses = sorted(s.target.protected)
        lookups = s.call(f"routes to the broker in {space.kernel_name}", space.rt.route_get, addresses)
        gateways = {found.gateway for found in lookups if found and found.gateway}
        s.protected_addresses = set(addresses) | gateways
    return s.protected_addresses


def route_key(s: Session, space: Namespace, route: Route) -> RouteKey:
    if route.dst == "default":
        family = 10 if route.via and ":" in route.via else 2
        dst = "0.0.0.0/0" if family == 2 else "::/0"
    else:
        dst = route.dst
        family = 10 if ":" in dst else 2
    oif = None
    if route.dev is not None:
        oif = space.index(route.dev)
        if oif is None:
            raise ApplyError(
                f"host {s.plan.host}: route to {route.dst}: no link {route.dev} in {space.kernel_name}"
            )
    return (family, dst, route.via, oif)


def route_is_ours(s: Session, space: Namespace, entry: rtnl.RouteState) -> bool:
    if space.owned_whole or (s.foreign_routes is not None and entry.dst in s.foreign_routes):
        return True
    return any(link.index == entry.oif and s.marked(link) for link in space.links.values())


def show_route(dst: str, via: str | None, oif: int | None) -> str:
    return dst + (f" via {via}" if via else "") + (f" oif {oif}" if oif is not None else "")


def _route_satisfies(entry: rtnl.RouteState, key: RouteKey) -> bool:
    """Does the kernel's route hold plan route `key`? (the kernel always names a device)"""
    family, dst, via, oif = key
    same_way = (entry.family, entry.dst, entry.gateway) == (family, dst, via)
    return same_way and (oif is None or entry.oif == oif)
