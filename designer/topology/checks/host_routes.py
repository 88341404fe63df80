"""Host routes an agent on a real machine refuses or may refuse.

A host's routes go into the machine's own namespace, which every other program of the machine
shares, the agent's way to its broker included. The agent adds one only through a link its
deployment made (a shim, an 802.1Q sub-interface) or to a prefix its `--allowed-routes` lists,
never a default route and never one covering its broker (agent/apply/routes.py). What the design can
know is reported here, before anything is deployed:
- a default route, or routes that together cover every address of a family (`0.0.0.0/1` and
  `128.0.0.0/1`): they would take all of the machine's traffic, so an agent refuses them;
- a next hop reached through a bare NIC (a host address on `enp0s8`): the route would leave
  through a link mvlab does not make, which only an agent whose `--allowed-routes` covers its
  prefix accepts (the design does not know the agents' allow-lists).
Both are warnings: a lab sandbox emulates the host, so there the routes are harmless and made as
drawn. Where the agent's broker lies the design does not know either: the agent refuses that itself.
"""

from __future__ import annotations

import ipaddress

from designer.topology.checks.context import Facts, Report
from designer.topology.model import Design


def check_host_routes(design: Design, facts: Facts, report: Report) -> None:
    for name, host in design.hosts.items():
        on_nic = {
            ipaddress.ip_interface(address).network: nic
            for nic, address in host.addresses.items()
            if "." not in nic
        }
        prefixes = []
        for index, route in enumerate(host.routes):
            path = f"hosts.{name}.routes.{index}"
            via = ipaddress.ip_address(route.via)
            everything = "0.0.0.0/0" if via.version == 4 else "::/0"
            to = ipaddress.ip_network(everything if route.to == "default" else route.to)
            prefixes.append((to, path))
            nic = next((nic for subnet, nic in on_nic.items() if via in subnet), None)
            if nic is not None:
                report.warning(
                    "host-route-via-nic",
                    f"{path}.via",
                    f"{route.via} is reached through {nic}, a NIC of host {name} that mvlab does not make: "
                    f"the agent adds this route to the machine only if its --allowed-routes covers {to}",
                    f"start the agent with --allowed-routes {to}, "
                    "or route through a shim or an 802.1Q network",
                )
        for version in (4, 6):
            covering = _covering_everything([(to, path) for to, path in prefixes if to.version == version])
            for _, path in covering:
                report.warning(
                    "host-route-everything",
                    f"{path}.to",
                    f"host {name}'s route{'s' if len(covering) > 1 else ''} to "
                    f"{', '.join(str(t) for t, _ in covering)} cover{'' if len(covering) > 1 else 's'} every "
                    f"IPv{version} address: all of the machine's traffic would follow, "
                    "the agent's own way to "
                    "its broker included, so an agent on a real host refuses it (a lab sandbox makes it)",
                    "route only the networks the design needs (the host reaches the rest as before)",
                )


def _covering_everything(routes: list[tuple]) -> list[tuple]:
    """The widest routes that together cover every address of their family; none if they do not."""
    taken: list[tuple] = []
    for route in sorted(routes, key=lambda r: r[0].prefixlen):
        taken.append(route)
        if any(net.prefixlen == 0 for net in ipaddress.collapse_addresses(to for to, _ in taken)):
            return taken
    return []
