"""A design as commands a person runs by hand: plain `ip` commands, or `docker` commands.

Both scripts have one section per host, chosen by the first argument
(`sh design.sh host1`), each opening with a comment that says what the host holds.
Every value is quoted with `shlex.quote`, so names and addresses from a design can
never turn into shell syntax. The `ip` script builds what the agent would build,
the way the classic macvlan tutorials do it: a VLAN sub-interface per `NIC.VID`, a
named namespace per container or router, a macvlan made on the parent, moved into the
namespace and renamed. Masquerading uses `nft` (the machine may have no `iptables`).
"""

from __future__ import annotations

import ipaddress
import shlex

from designer.topology.ipam import Allocation
from designer.topology.model import Design
from designer.topology.namespaces import Interface, NamespaceSpec, StaticRoute, namespaces, split_link

DOCKER_IMAGE = "${MVLAB_IMAGE:-alpine:3.20}"
NFT_TABLE = "mvlab"


def to_shell(design: Design, allocation: Allocation) -> str:
    """A POSIX shell script of `ip` commands building the design, one section per host."""
    specs = namespaces(design, allocation)
    sections = {}
    for host in design.hosts:
        own, guests = _on_host(specs, host)
        lines = _header(host, guests)
        lines += _parents([own, *guests], made_elsewhere=set())
        lines += _host_namespace(own)
        for index, spec in enumerate(guests):
            lines += _guest_namespace(spec, f"mvtmp{index}")
        sections[host] = lines
    return _script(design, "plain ip commands", sections)


def to_docker(design: Design, allocation: Allocation) -> str:
    """`docker network create` / `docker run` commands building the design, one section per host."""
    specs = namespaces(design, allocation)
    gateways = docker_gateways(design)
    sections = {}
    for host in design.hosts:
        own, guests = _on_host(specs, host)
        networks = list(dict.fromkeys(i.network for s in guests for i in s.interfaces))
        lines = _header(host, guests)
        lines += [_docker_network(design, name) for name in networks]
        docker_parents = {design.networks[name].parent for name in networks}
        lines += _parents([own, *guests], made_elsewhere=docker_parents)
        lines += _host_namespace(own)
        for spec in guests:
            lines += _docker_endpoint(spec, gateways)
        sections[host] = lines
    return _script(
        design, "docker commands (run each container from an image with iproute2 and nft)", sections
    )


def _on_host(specs: list[NamespaceSpec], host: str) -> tuple[NamespaceSpec, list[NamespaceSpec]]:
    """The host's own namespace, and its containers and routers."""
    own = next(s for s in specs if s.host == host and s.kind == "host")
    return own, [s for s in specs if s.host == host and s.kind != "host"]


def _cmd(*args: str) -> str:
    return " ".join(shlex.quote(str(a)) for a in args)


def _script(design: Design, what: str, sections: dict[str, list[str]]) -> str:
    hosts = " ".join(design.hosts)
    out = [
        "#!/bin/sh",
        f"# mvlab design {design.name}: {what}.",
        "# Run the section of each host on that host, as root: sh THIS_FILE HOST",
        "set -eu",
        'case "${1:-}" in',
    ]
    for host, lines in sections.items():
        out.append(f"{shlex.quote(host)})")
        out += [f"  {line}" if line else "" for line in lines]
        out.append("  ;;")
    out.append(f'*) echo "usage: $0 HOST (one of: {hosts})" >&2; exit 2 ;;')
    out.append("esac")
    return "\n".join(out) + "\n"


def _header(host: str, guests: list[NamespaceSpec]) -> list[str]:
    names = ", ".join(f"{s.kind} {s.endpoint}" for s in guests) or "no namespaces"
    return [f"# ---- host {host}: {names} ----"]


def _parents(specs: list[NamespaceSpec], made_elsewhere: set[str]) -> list[str]:
    """Bring the NICs up and make every `NIC.VID` link the host's legs, shim and addresses use."""
    parents = sorted({i.parent for s in specs for i in s.interfaces})
    lines = [_cmd("ip", "link", "set", nic, "up") for nic in sorted({split_link(p)[0] for p in parents})]
    for parent in parents:
        nic, vid = split_link(parent)
        if vid is not None and parent not in made_elsewhere:
            lines.append(
                _cmd("ip", "link", "add", "link", nic, "name", parent, "type", "vlan", "id", str(vid))
            )
            lines.append(_cmd("ip", "link", "set", parent, "up"))
    return lines


def _host_namespace(spec: NamespaceSpec) -> list[str]:
    lines = []
    for iface in spec.interfaces:
        if iface.mode is None:
            lines += [_cmd("ip", "addr", "add", a, "dev", iface.name) for a in iface.addresses]
        else:
            lines.append(f"# shim: lets {spec.host} reach its own containers on {iface.network}")
            lines.append(_macvlan_add(iface, iface.name))
            lines += [_cmd("ip", "addr", "add", a, "dev", iface.name) for a in iface.addresses]
            lines.append(_cmd("ip", "link", "set", iface.name, "up"))
    lines += [_route(route, ("ip",)) for route in spec.routes]
    lines += [_cmd("sysctl", "-w", f"{key}=1") for key in spec.sysctls]
    return lines


def _macvlan_add(iface: Interface, name: str) -> str:
    mac = ("address", iface.mac) if iface.mac else ()
    return _cmd(
        "ip", "link", "add", "link", iface.parent, "name", name, *mac, "type", "macvlan", "mode", iface.mode
    )


def _route(route: StaticRoute, ip: tuple[str, ...], verb: str = "add") -> str:
    """`ip route add` run by `ip` (a command prefix: `ip`, `ip -n NS`, `docker exec NAME ip`)."""
    target = ("via", route.via) if route.via else ("dev", route.dev)
    return _cmd(*ip, "route", verb, route.dst, *target)


def _guest_namespace(spec: NamespaceSpec, temporary: str) -> list[str]:
    ns = spec.namespace
    lines = [
        f"# {spec.kind} {spec.endpoint}",
        _cmd("ip", "netns", "add", ns),
        _cmd("ip", "-n", ns, "link", "set", "lo", "up"),
    ]
    for iface in spec.interfaces:
        lines += [
            _macvlan_add(iface, temporary),
            _cmd("ip", "link", "set", temporary, "netns", ns),
            _cmd("ip", "-n", ns, "link", "set", temporary, "name", iface.name),
            *(_cmd("ip", "-n", ns, "addr", "add", a, "dev", iface.name) for a in iface.addresses),
            _cmd("ip", "-n", ns, "link", "set", iface.name, "up"),
        ]
    lines += [_route(route, ("ip", "-n", ns)) for route in spec.routes]
    exec_in = ("ip", "netns", "exec", ns)
    lines += [_cmd(*exec_in, "sysctl", "-w", f"{key}=1") for key in spec.sysctls]
    lines += _masquerade(spec, exec_in)
    return lines


def _masquerade(spec: NamespaceSpec, run_in: tuple[str, ...]) -> list[str]:
    if not spec.masquerade:
        return []
    lines = [
        _cmd(*run_in, "nft", "add", "table", "ip", NFT_TABLE),
        _cmd(
            *run_in,
            "nft",
            "add",
            "chain",
            "ip",
            NFT_TABLE,
            "postrouting",
            "{ type nat hook postrouting priority 100 ; }",
        ),
    ]
    for out_link, source in spec.masquerade:
        lines.append(
            _cmd(
                *run_in,
                "nft",
                "add",
                "rule",
                "ip",
                NFT_TABLE,
                "postrouting",
                "oifname",
                out_link,
                "ip",
                "saddr",
                source,
                "masquerade",
            )
        )
    return lines


def _docker_network(design: Design, name: str) -> str:
    net = design.networks[name]
    args = ["docker", "network", "create", "-d", "macvlan", "--subnet", net.subnet]
    if net.gateway:
        args += ["--gateway", net.gateway]
    if net.ip_range:
        args += ["--ip-range", net.ip_range]
    for aux, address in sorted(net.aux_addresses.items()):
        args += ["--aux-address", f"{aux}={address}"]
    if net.ipv6_subnet:
        args += ["--ipv6", "--subnet", net.ipv6_subnet]
        if net.ipv6_gateway:
            args += ["--gateway", net.ipv6_gateway]
    args += ["-o", f"parent={net.parent}", "-o", f"macvlan_mode={net.mode}", name]
    return _cmd(*args)


def docker_gateways(design: Design) -> dict[str, set[str]]:
    """The addresses Docker reserves as each network's gateways: the given ones, else each subnet's first."""
    reserved: dict[str, set[str]] = {}
    for name, net in design.networks.items():
        pairs = [(net.gateway, net.subnet), (net.ipv6_gateway, net.ipv6_subnet)]
        reserved[name] = {
            gateway or str(next(ipaddress.ip_network(subnet).hosts(), ""))
            for gateway, subnet in pairs
            if subnet is not None
        }
    return reserved


def _docker_endpoint(spec: NamespaceSpec, gateways: dict[str, set[str]]) -> list[str]:
    """`docker run` on the first network, `docker network connect` for the others, then routes and NAT."""
    if not spec.interfaces:
        return [f"# {spec.kind} {spec.endpoint} has no network this design defines"]
    lines = [
        f"# Docker reserves {ip} as the gateway of {i.network}, so this fails:"
        f" {spec.endpoint} holds it in the design (the plain ip export has no such limit)"
        for i in spec.interfaces
        for ip in (a.split("/")[0] for a in i.addresses)
        if ip in gateways[i.network]
    ]
    first, *others = spec.interfaces
    args = [
        "docker",
        "run",
        "-d",
        "--name",
        spec.endpoint,
        "--network",
        first.network,
        *_docker_addresses(first),
    ]
    if first.mac:
        args += ["--mac-address", first.mac]
    args += ["--cap-add", "NET_ADMIN"]  # to set the design's routes (and NAT) inside
    for key in spec.sysctls:
        args += ["--sysctl", f"{key}=1"]
    lines = [f"# {spec.kind} {spec.endpoint}", *lines, _cmd(*args) + f' "{DOCKER_IMAGE}" sleep infinity']
    for iface in others:
        if iface.mac:
            lines.append(f"# docker network connect cannot set a MAC; {iface.name} should have {iface.mac}")
        lines.append(
            _cmd("docker", "network", "connect", *_docker_addresses(iface), iface.network, spec.endpoint)
        )
    exec_in = ("docker", "exec", spec.endpoint)
    # Docker installs a default route of each family it gives addresses in (it invents a gateway
    # when none is given): replace it with the design's, or remove it when the design has none.
    # `default` is the default of its next hop's family.
    defaults = {r.network for r in spec.routes if r.network.prefixlen == 0}
    families = {ipaddress.ip_address(a).version for a in spec.addresses}
    for default in map(ipaddress.ip_network, ("0.0.0.0/0", "::/0")):
        if default.version in families and default not in defaults:
            lines.append(_cmd(*exec_in, "ip", f"-{default.version}", "route", "flush", "exact", default))
    lines += [_route(r, (*exec_in, "ip"), "replace") for r in spec.routes]
    lines += _masquerade(spec, exec_in)
    return lines


def _docker_addresses(iface: Interface) -> list[str]:
    args = []
    for address in iface.addresses:
        ip = address.split("/")[0]
        args += ["--ip6", ip] if ":" in ip else ["--ip", ip]
    return args
