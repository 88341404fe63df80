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

import shlex
from dataclasses import dataclass

from designer.topology import docker
from designer.topology.ipam import Allocation
from designer.topology.model import Design
from designer.topology.namespaces import Interface, NamespaceSpec, StaticRoute, namespaces, split_link

DOCKER_IMAGE = "${MVLAB_IMAGE:-alpine:3.20}"
STATE_ROOT = "/run/mvlab-export"


def to_shell(design: Design, allocation: Allocation) -> str:
    """A POSIX shell script of `ip` commands building the design, one `up` and `down` per host."""
    specs = namespaces(design, allocation)
    sections = {}
    for host in design.hosts:
        own, guests = _on_host(specs, host)
        up = _parents([own, *guests], made_elsewhere=set())
        up += _host_namespace(own, _state_dir(design, host))
        for index, spec in enumerate(guests):
            up += _guest_namespace(spec, f"mvtmp{index}")
        down = [_cmd("ip", "netns", "del", spec.namespace) for spec in reversed(guests)]
        down += [_cmd("ip", "link", "del", f"mvtmp{index}") for index in range(len(guests))]
        down += _host_down([own, *guests], _state_dir(design, host), made_elsewhere=set())
        sections[host] = Section(_header(host, guests), up, down)
    return _script(design, "plain ip commands", sections)


def to_docker(design: Design, allocation: Allocation) -> str:
    """`docker network create` / `docker run` commands building the design, one `up` and `down` per host."""
    specs = namespaces(design, allocation)
    stand_ins = docker.stand_ins(design, specs)
    sections = {}
    for host in design.hosts:
        own, guests = _on_host(specs, host)
        networks = list(dict.fromkeys(i.network for s in guests for i in s.interfaces))
        docker_parents = {design.networks[name].parent for name in networks}
        up = [_docker_network(design, name, stand_ins.get(name, {})) for name in networks]
        up += _parents([own, *guests], made_elsewhere=docker_parents)
        up += _host_namespace(own, _state_dir(design, host))
        for spec in guests:
            up += _docker_endpoint(spec)
        down = [_cmd("docker", "rm", "-f", spec.endpoint) for spec in reversed(guests)]
        down += _host_down([own, *guests], _state_dir(design, host), made_elsewhere=docker_parents)
        down += [_cmd("docker", "network", "rm", name) for name in reversed(networks)]
        notes = docker.stand_in_notes(design, specs, host) + docker.limits(specs, host)
        sections[host] = Section(_header(host, guests) + [f"# {note}" for note in notes], up, down)
    return _script(
        design, "docker commands (run each container from an image with iproute2 and nft)", sections
    )


@dataclass(frozen=True)
class Section:
    """One host's part of a script: comments, what `up` runs, what `down` runs."""

    header: list[str]
    up: list[str]
    down: list[str]


def _on_host(specs: list[NamespaceSpec], host: str) -> tuple[NamespaceSpec, list[NamespaceSpec]]:
    """The host's own namespace, and its containers and routers."""
    own = next(s for s in specs if s.host == host and s.kind == "host")
    return own, [s for s in specs if s.host == host and s.kind != "host"]


def _cmd(*args: str) -> str:
    return " ".join(shlex.quote(str(a)) for a in args)


def _state_dir(design: Design, host: str) -> str:
    """Where `up` keeps the host's sysctl values it found, for `down` to put back."""
    return f"{STATE_ROOT}/{design.name}.{host}"


def _script(design: Design, what: str, sections: dict[str, Section]) -> str:
    """`sh THIS_FILE HOST up|down`: `up` first runs `down`, so it can run again; `down` skips what is gone."""
    hosts = " ".join(design.hosts)
    out = [
        "#!/bin/sh",
        f"# mvlab design {design.name}: {what}.",
        "# Run on each host, as root: sh THIS_FILE HOST up (again to rebuild), sh THIS_FILE HOST down",
        "# (down removes what up made, and leaves the NICs up).",
        "set -eu",
    ]
    for index, section in enumerate(sections.values()):
        out.append(f"down_{index}() {{")
        out += [f"  {line} 2>/dev/null || true" for line in section.down]
        out.append("  true")
        out.append("}")
    out.append('case "${1:-}:${2:-up}" in')
    for index, (host, section) in enumerate(sections.items()):
        out.append(f"{shlex.quote(host + ':up')})")
        out += [f"  {line}" for line in section.header]
        out.append(f"  down_{index}")
        out += [f"  {line}" for line in section.up]
        out.append("  ;;")
        out.append(f"{shlex.quote(host + ':down')})")
        out.append(f"  down_{index}")
        out.append("  ;;")
    out.append(f'*) echo "usage: $0 HOST [up|down] (HOST one of: {hosts})" >&2; exit 2 ;;')
    out.append("esac")
    return "\n".join(out) + "\n"


def _header(host: str, guests: list[NamespaceSpec]) -> list[str]:
    names = ", ".join(f"{s.kind} {s.endpoint}" for s in guests) or "no namespaces"
    return [f"# ---- host {host}: {names} ----"]


def _vlan_links(specs: list[NamespaceSpec], made_elsewhere: set[str]) -> list[str]:
    """The `NIC.VID` links the script makes (Docker makes the parents of its networks itself)."""
    parents = sorted({i.parent for s in specs for i in s.interfaces} - made_elsewhere)
    return [p for p in parents if split_link(p)[1] is not None]


def _parents(specs: list[NamespaceSpec], made_elsewhere: set[str]) -> list[str]:
    """Bring the NICs up and make every `NIC.VID` link the host's legs, shim and addresses use."""
    parents = {i.parent for s in specs for i in s.interfaces}
    lines = [_cmd("ip", "link", "set", nic, "up") for nic in sorted({split_link(p)[0] for p in parents})]
    for link in _vlan_links(specs, made_elsewhere):
        nic, vid = split_link(link)
        lines.append(_cmd("ip", "link", "add", "link", nic, "name", link, "type", "vlan", "id", str(vid)))
        lines.append(_cmd("ip", "link", "set", link, "up"))
    return lines


def _host_namespace(spec: NamespaceSpec, state: str) -> list[str]:
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
    if spec.sysctls:
        lines.append(_cmd("mkdir", "-p", state))
    for key in spec.sysctls:
        kept = shlex.quote(f"{state}/{key}")
        lines.append(f"[ -e {kept} ] || {_cmd('sysctl', '-n', key)} > {kept}")
        lines.append(_cmd("sysctl", "-w", f"{key}=1"))
    return lines


def _host_down(specs: list[NamespaceSpec], state: str, made_elsewhere: set[str]) -> list[str]:
    """Undo `_host_namespace` and `_parents` (`specs`: the host's own first): routes, shims,
    addresses, VLAN links, sysctl values."""
    spec = specs[0]
    lines = [_route(route, ("ip",), "del") for route in spec.routes]
    for iface in spec.interfaces:
        if iface.mode is None:
            lines += [_cmd("ip", "addr", "del", a, "dev", iface.name) for a in iface.addresses]
        else:
            lines.append(_cmd("ip", "link", "del", iface.name))
    lines += [_cmd("ip", "link", "del", link) for link in _vlan_links(specs, made_elsewhere)]
    for key in spec.sysctls:
        kept = shlex.quote(f"{state}/{key}")
        lines.append(f'[ -e {kept} ] && sysctl -w {shlex.quote(key)}="$(cat {kept})" && rm {kept}')
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
    return [_cmd(*run_in, *command) for command in docker.masquerade(spec)]


def _docker_network(design: Design, name: str, told: dict[int, str]) -> str:
    """`docker network create`; `told` are stand-in gateways (`docker.stand_ins`) by IP version."""
    net = design.networks[name]
    args = ["docker", "network", "create", "-d", "macvlan", "--subnet", net.subnet]
    if gateway := told.get(4, net.gateway):
        args += ["--gateway", gateway]
    if net.ip_range:
        args += ["--ip-range", net.ip_range]
    for aux, address in docker.aux_addresses(net, told):
        args += ["--aux-address", f"{aux}={address}"]
    if net.ipv6_subnet:
        args += ["--ipv6", "--subnet", net.ipv6_subnet]
        if gateway := told.get(6, net.ipv6_gateway):
            args += ["--gateway", gateway]
    args += ["-o", f"parent={net.parent}", "-o", f"macvlan_mode={net.mode}", name]
    return _cmd(*args)


def _docker_endpoint(spec: NamespaceSpec) -> list[str]:
    """`docker run` on the first network, `docker network connect` for the others, then routes and NAT."""
    if not spec.interfaces:
        return [f"# {spec.kind} {spec.endpoint} has no network this design defines"]
    first, *others = spec.interfaces
    args = ["docker", "run", "-d", "--name", spec.endpoint, "--network", first.network]
    args += _docker_addresses(first)
    if first.mac:
        args += ["--mac-address", first.mac]
    args += ["--cap-add", "NET_ADMIN"]  # to set the design's routes (and NAT) inside
    for key in spec.sysctls:
        args += ["--sysctl", f"{key}=1"]
    lines = [f"# {spec.kind} {spec.endpoint}", _cmd(*args) + f' "{DOCKER_IMAGE}" sleep infinity']
    for iface in others:
        lines.append(
            _cmd("docker", "network", "connect", *_docker_addresses(iface), iface.network, spec.endpoint)
        )
    return lines + [_cmd("docker", "exec", spec.endpoint, *command) for command in docker.inside(spec)]


def _docker_addresses(iface: Interface) -> list[str]:
    args = []
    for address in iface.addresses:
        ip = address.split("/")[0]
        args += ["--ip6", ip] if ":" in ip else ["--ip", ip]
    return args
