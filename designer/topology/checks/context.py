"""What every rule needs: a collector of issues, and facts derived once from the design."""

from __future__ import annotations

import difflib
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from designer.topology.issues import Issue
from designer.topology.model import Attachment, Design
from designer.topology.namespaces import split_link

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass
class Report:
    """Collects issues, putting the line of each path on them when the design came from a file."""

    lines: Mapping[str, int] | None = None
    issues: list[Issue] = field(default_factory=list)

    def error(self, code: str, path: str, message: str, hint: str) -> None:
        self.issues.append(Issue("error", path, message, hint, code=code).with_line(self.lines))

    def warning(self, code: str, path: str, message: str, hint: str) -> None:
        self.issues.append(Issue("warning", path, message, hint, code=code).with_line(self.lines))


@dataclass(frozen=True)
class Leg:
    """One endpoint's attachment to one network, with where it is written."""

    kind: str  # "containers" | "routers"
    endpoint: str
    host: str
    network: str
    attachment: Attachment

    @property
    def path(self) -> str:
        return f"{self.kind}.{self.endpoint}.networks.{self.network}"


@dataclass(frozen=True)
class Holder:
    """An address some element holds: a leg, a host address, or a shim."""

    address: IPAddress
    path: str
    who: str  # "container d1", "router r1", "host host3", "the shim of host1"
    infrastructure: bool  # hosts, routers and shims may hold a gateway or aux address


def did_you_mean(name: str, known: Iterable[str], what: str) -> str:
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    listing = f"known {what}: {', '.join(known)}" if known else f"there are no {what} yet"
    return f"did you mean {close[0]!r}? {listing}" if close else listing


class Facts:
    """Derived views of a design that several rules share."""

    def __init__(self, design: Design):
        self.design = design

    @cached_property
    def legs(self) -> list[Leg]:
        return [
            Leg(kind, name, element.host, network, attachment)
            for kind, elements in (("containers", self.design.containers), ("routers", self.design.routers))
            for name, element in elements.items()
            for network, attachment in element.networks.items()
        ]

    @cached_property
    def wire_of_port(self) -> dict[tuple[str, str], str]:
        """(host, nic) -> the segment it is plugged into (the first one listed)."""
        wires: dict[tuple[str, str], str] = {}
        for segment, spec in self.design.segments.items():
            for port in spec.ports:
                host, _, nic = port.partition(".")
                wires.setdefault((host, nic), segment)
        return wires

    def domain(self, host: str, link: str) -> tuple[str, int | None]:
        """The L2 domain of `link` (a NIC or NIC.VID) on `host`: its wire and VLAN.

        A NIC on no segment is a wire of its own.
        """
        nic, vid = split_link(link)
        return self.wire_of_port.get((host, nic), f"{host}.{nic}"), vid

    @cached_property
    def network_hosts(self) -> dict[str, dict[str, str]]:
        """network -> {host -> path of the first leg or shim that puts the network on that host}."""
        hosts: dict[str, dict[str, str]] = {name: {} for name in self.design.networks}
        for leg in self.legs:
            if leg.network in hosts and leg.host in self.design.hosts:
                hosts[leg.network].setdefault(leg.host, leg.path)
        for name, host in self.design.hosts.items():
            if host.shim is not None and host.shim.network in hosts:
                hosts[host.shim.network].setdefault(name, f"hosts.{name}.shim")
        return hosts

    def wired_hosts(self, network: str) -> list[str]:
        """The hosts using `network` that have its parent NIC (the others are missing-nic errors)."""
        nic = split_link(self.design.networks[network].parent)[0]
        return sorted(host for host in self.network_hosts[network] if nic in self.design.hosts[host].nics)

    @cached_property
    def holders(self) -> list[Holder]:
        """Every address held, in the order of the file's sections: hosts, then containers and routers."""
        held = []
        for name, host in self.design.hosts.items():
            for link, value in host.addresses.items():
                address = ipaddress.ip_interface(value).ip
                held.append(Holder(address, f"hosts.{name}.addresses.{link}", f"host {name}", True))
            if host.shim is not None:
                address = ipaddress.ip_address(host.shim.ip)
                held.append(Holder(address, f"hosts.{name}.shim.ip", f"the shim of {name}", True))
        for leg in self.legs:
            who = f"{leg.kind[:-1]} {leg.endpoint}"
            for key in ("ip", "ipv6"):
                value = getattr(leg.attachment, key)
                if value is not None:
                    address = ipaddress.ip_address(value)
                    held.append(Holder(address, f"{leg.path}.{key}", who, leg.kind == "routers"))
        return held
