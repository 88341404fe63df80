"""Every name a design uses must name something that exists: hosts, NICs, networks, legs."""

from __future__ import annotations

from designer.topology.checks.context import Facts, Report, did_you_mean
from designer.topology.model import Design
from designer.topology.namespaces import split_link


def check_references(design: Design, facts: Facts, report: Report) -> None:
    _segment_ports(design, report)
    _endpoints(design, report)
    _hosts(design, report)


def _segment_ports(design: Design, report: Report) -> None:
    plugged: dict[str, str] = {}
    for segment, spec in design.segments.items():
        for index, port in enumerate(spec.ports):
            path = f"segments.{segment}.ports.{index}"
            host, dot, nic = port.partition(".")
            if not dot or not nic:
                report.error(
                    "port-format",
                    path,
                    f"{port!r} is not a port",
                    "write a port as host.nic, like host1.enp0s8",
                )
            elif host not in design.hosts:
                report.error(
                    "unknown-host",
                    path,
                    f"{port!r}: there is no host {host!r}",
                    did_you_mean(host, design.hosts, "hosts"),
                )
            elif nic not in design.hosts[host].nics:
                report.error(
                    "unknown-nic",
                    path,
                    f"{port!r}: host {host} has no NIC {nic!r}",
                    f"add {nic} to hosts.{host}.nics, or use one of: {', '.join(design.hosts[host].nics)}",
                )
            elif port in plugged:
                report.error(
                    "port-twice",
                    path,
                    f"{port} is already plugged into segment {plugged[port]}",
                    "a NIC sits on one wire: remove it from one of the segments "
                    "(carry several VLANs on one segment instead)",
                )
            else:
                plugged[port] = segment


def _endpoints(design: Design, report: Report) -> None:
    for kind, elements in (("containers", design.containers), ("routers", design.routers)):
        for name, element in elements.items():
            if element.host not in design.hosts:
                report.error(
                    "unknown-host",
                    f"{kind}.{name}.host",
                    f"there is no host {element.host!r}",
                    did_you_mean(element.host, design.hosts, "hosts"),
                )
            for network in element.networks:
                if network not in design.networks:
                    report.error(
                        "unknown-network",
                        f"{kind}.{name}.networks.{network}",
                        f"there is no network {network!r}",
                        did_you_mean(network, design.networks, "networks"),
                    )
    for name, router in design.routers.items():
        if router.masquerade is not None and router.masquerade not in router.networks:
            report.error(
                "unknown-network",
                f"routers.{name}.masquerade",
                f"{router.masquerade!r} is not one of the networks of router {name}",
                f"masquerade through one of its legs: {', '.join(router.networks)}",
            )


def _hosts(design: Design, report: Report) -> None:
    for name, host in design.hosts.items():
        if host.shim is not None and host.shim.network not in design.networks:
            report.error(
                "unknown-network",
                f"hosts.{name}.shim.network",
                f"there is no network {host.shim.network!r}",
                did_you_mean(host.shim.network, design.networks, "networks"),
            )
        for link in host.addresses:
            nic, _ = split_link(link)
            if nic not in host.nics:
                report.error(
                    "unknown-nic",
                    f"hosts.{name}.addresses.{link}",
                    f"host {name} has no NIC {nic!r} for the address on {link}",
                    f"add {nic} to hosts.{name}.nics, or use one of: {', '.join(host.nics)}",
                )
