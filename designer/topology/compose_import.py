"""A Docker Compose file's macvlan networks and the services on them, as a design of one host.

So that a macvlan setup kept in Compose can be predicted and explained: each `driver: macvlan`
network becomes a design network (parent, mode, subnet, gateway, ip_range, aux_addresses, IPv6),
each service with a leg on one becomes a container (a router when it has two legs or more
and `net.ipv4.ip_forward` on), with its addresses and MACs; the host's NICs are the parents'.
What the design cannot hold (other networks, services without a macvlan leg) is listed in a
comment atop the design. Problems are issues with the path and line in the Compose file.
"""

from __future__ import annotations

import re
from typing import Any

from contract.plan import check_name
from designer.topology.issues import DesignError, Issue
from designer.topology.namespaces import split_link
from designer.topology.yamlio import dump_data, dump_design, load_design, read_yaml

FORWARDING = ("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding")
LABEL = "mvlab."  # labels the Compose export writes: the design's gateways, a router's masquerade
HEADER = re.compile(r"# mvlab design (\S+), host ")  # the first line of designer.topology.compose's files
ROUTE = re.compile(r"\bip(?: -[46])? route (?:add|replace) (\S+) via (\S+)")


def _labels(spec: dict) -> dict[str, str]:
    labels = spec.get("labels") or {}
    if isinstance(labels, list):
        labels = dict(str(item).partition("=")[::2] for item in labels)
    return {str(k)[len(LABEL) :]: str(v) for k, v in labels.items() if str(k).startswith(LABEL)}


def looks_like_compose(text: str) -> bool:
    """True for a Compose file (a top-level `services:`), false for a design (`kind: Design`)."""
    return bool(re.search(r"^services\s*:", text, re.M)) and not re.search(r"^kind\s*:", text, re.M)


def design_from_compose(
    text: str, host: str = "host1", name: str | None = None, fallback_name: str | None = None
) -> str:
    """The design YAML of a Compose file (`host`: the name of the machine Compose runs on).

    The design's name is `name`, else the file's `name:`, else the design its header names (a
    Compose export of mvlab), else `fallback_name` (its file name). A host name the design could not
    hold is refused before anything else, as the `host` asked for."""
    try:
        check_name(host)
    except ValueError as err:
        raise DesignError(
            [Issue("error", "host", f"the host the Compose file is for: {err}", "a name like host1 or gw")]
        ) from None
    data, lines, _ = read_yaml(text)
    importer = _Importer(lines, host)
    if not isinstance(data, dict):
        importer.error("", "a Compose file is a mapping with services: and networks:", "")
        raise DesignError(importer.issues)
    networks = importer.networks(data.get("networks") or {})
    endpoints = importer.services(data.get("services") or {}, networks)
    if importer.issues:
        raise DesignError(importer.issues)
    nics = sorted({split_link(net["parent"])[0] for net in networks.values()}) or ["eth0"]
    design = {
        "apiVersion": "mvlab/v1",
        "kind": "Design",
        "name": _name(name or data.get("name") or _exported_from(text) or fallback_name or "compose"),
        "hosts": {host: {"nics": nics}},
        "networks": networks,
        **endpoints,
    }
    canonical = dump_design(load_design(dump_data(design)).design)
    notes = [
        "Imported from a Docker Compose file: its macvlan networks and the services on them.",
        *importer.notes,
    ]
    return "".join(f"# {note}\n" for note in notes) + canonical


def _exported_from(text: str) -> str | None:
    """The design a Compose export of mvlab was made from, as its first line says."""
    found = HEADER.match(text)
    return found.group(1) if found else None


def _name(text: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", str(text).lower()).strip("-") or "compose"


class _Importer:
    def __init__(self, lines: dict[str, int], host: str):
        self.lines, self.host = lines, host
        self.issues: list[Issue] = []
        self.notes: list[str] = []

    def error(self, path: str, message: str, hint: str) -> None:
        self.issues.append(Issue("error", path, message, hint).with_line(self.lines))

    def networks(self, compose: Any) -> dict[str, dict]:
        out: dict[str, dict] = {}
        if not isinstance(compose, dict):
            self.error("networks", "networks: must be a mapping of network names", "")
            return out
        for key, spec in compose.items():
            spec = spec or {}
            path = f"networks.{key}"
            if spec.get("driver") != "macvlan":
                self.notes.append(f"network {key} is not a macvlan network: left out")
            elif spec.get("external"):
                self.error(
                    path,
                    "an external network's parent and subnet are not in this file",
                    "describe the network here (driver_opts and ipam), as Compose would create it",
                )
            elif net := self._network(path, spec):
                out[str(key)] = net
        return out

    def _network(self, path: str, spec: dict) -> dict | None:
        opts = spec.get("driver_opts") or {}
        if not opts.get("parent"):
            self.error(
                f"{path}.driver_opts",
                "a macvlan network without driver_opts.parent: which NIC carries it?",
                "add driver_opts: {parent: eth0} (or eth0.100 for VLAN 100)",
            )
            return None
        net: dict[str, Any] = {"parent": str(opts["parent"]), "mode": str(opts.get("macvlan_mode", "bridge"))}
        configs = (spec.get("ipam") or {}).get("config") or []
        v4 = [c for c in configs if ":" not in str(c.get("subnet", ""))]
        v6 = [c for c in configs if ":" in str(c.get("subnet", ""))]
        if not v4 or not v4[0].get("subnet"):
            self.error(
                f"{path}.ipam",
                "a macvlan network without an IPv4 subnet in ipam.config",
                "add ipam: {config: [{subnet: 192.168.1.0/24, gateway: 192.168.1.1}]}",
            )
            return None
        first = v4[0]
        net["subnet"] = str(first["subnet"])
        for key in ("gateway", "ip_range"):
            if first.get(key):
                net[key] = str(first[key])
        if first.get("aux_addresses"):
            net["aux_addresses"] = {str(k): str(v) for k, v in first["aux_addresses"].items()}
        if v6:
            net["ipv6_subnet"] = str(v6[0]["subnet"])
            if v6[0].get("gateway"):
                net["ipv6_gateway"] = str(v6[0]["gateway"])
        for key, value in _labels(spec).items():
            if key in ("gateway", "ipv6_gateway"):
                net.pop(key, None)
                if value != "none":
                    net[key] = value
        return net

    def services(self, compose: Any, networks: dict[str, dict]) -> dict[str, dict]:
        containers: dict[str, dict] = {}
        routers: dict[str, dict] = {}
        if not isinstance(compose, dict):
            self.error("services", "services: must be a mapping of service names", "")
            return {}
        for key, spec in compose.items():
            spec = spec or {}
            legs = self._legs(spec, networks)
            if not legs:
                self.notes.append(f"service {key} has no leg on a macvlan network: left out")
                continue
            sysctls = spec.get("sysctls") or {}
            if isinstance(sysctls, list):
                sysctls = dict(str(s).split("=", 1) for s in sysctls if "=" in str(s))
            forwards = any(str(sysctls.get(k)) == "1" for k in FORWARDING)
            element: dict[str, Any] = {"host": self.host, "networks": legs}
            if routes := self._routes(spec, legs, networks):
                element["routes"] = routes
            if forwards and len(legs) > 1:
                if masquerade := _labels(spec).get("masquerade"):
                    element["masquerade"] = masquerade
                routers[str(key)] = element
            else:
                containers[str(key)] = element
        return {"containers": containers, "routers": routers}

    @staticmethod
    def _routes(spec: dict, legs: dict[str, dict], networks: dict[str, dict]) -> list[dict]:
        """Routes the service's command adds (`ip route add|replace DST via HOP`), but the default
        via a leg's gateway, which a design implies."""
        command = spec.get("command") or ""
        text = " ".join(map(str, command)) if isinstance(command, list) else str(command)
        gateways = {networks[name].get("gateway") for name in legs}
        return [
            {"to": dst, "via": via}
            for dst, via in ROUTE.findall(text)
            if not (dst == "default" and via in gateways)
        ]

    def _legs(self, spec: dict, networks: dict[str, dict]) -> dict[str, dict]:
        listed = spec.get("networks") or {}
        if isinstance(listed, list):
            listed = {name: {} for name in listed}
        legs: dict[str, dict] = {}
        for name, leg in listed.items():
            if name not in networks:
                continue
            leg = leg or {}
            attachment = {}
            for theirs, ours in (("ipv4_address", "ip"), ("ipv6_address", "ipv6"), ("mac_address", "mac")):
                if leg.get(theirs):
                    attachment[ours] = str(leg[theirs])
            legs[str(name)] = attachment
        if legs and spec.get("mac_address"):
            legs[next(iter(legs))].setdefault("mac", str(spec["mac_address"]))
        return legs
