"""A design as one Docker Compose file per host: its macvlan networks and its containers and routers.

The file is one that Debian's Compose 1.29 and Engine 20.10 run as well as Compose v2: the project
name is given on the command line (`-p`, in the header), and the MAC of an endpoint's first leg is
the service's own `mac_address`. Compose makes the networks (and a `NIC.VID` parent) and runs the
endpoints; each endpoint's command sets the design's routes and masquerading, then sleeps. What is
the host's own (its addresses, shim, routes, forwarding) Compose cannot make: the file's header
says so and names the shell export's section that makes it. Gateways an endpoint holds are told to
Docker as an unused address (`designer.topology.docker`).

A host that runs no container or router has no Compose file: one without services is refused by
Compose 1.29 (it reads a file whose `services` is empty as a version 1 file with a service named
`services`), and one that Compose accepts (`version:` given) would run nothing while saying it
succeeded, leaving the host's own links, addresses and forwarding unmade. It is refused instead,
naming what to run on that host.
"""

from __future__ import annotations

import io
import shlex

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from designer.topology import docker
from designer.topology.ipam import Allocation
from designer.topology.model import Design
from designer.topology.namespaces import NamespaceSpec, namespaces

IMAGE = "${MVLAB_IMAGE:-alpine:3.20}"
LABEL = "mvlab."


class NoComposeFile(ValueError):
    """The host asked for has no Compose file; the message says why and what to run instead."""


class UnknownHost(NoComposeFile):
    """The host asked for is not one of the design's."""


class NothingToRun(NoComposeFile):
    """The host asked for runs no container or router: Compose would have nothing to run there."""


def hosts_with_file(design: Design, allocation: Allocation) -> list[str]:
    """The design's hosts that run a container or router, in the design's order: those with a Compose file."""
    running = {s.host for s in namespaces(design, allocation) if s.kind != "host"}
    return [host for host in design.hosts if host in running]


def hosts_to_choose(design: Design, allocation: Allocation) -> str:
    """The hosts to name when a design of several hosts is exported without one, for a message."""
    if hosts := hosts_with_file(design, allocation):
        return f"one of {', '.join(hosts)}"
    return "none has one (no host of this design runs a container or router)"


def to_compose(design: Design, allocation: Allocation, host: str) -> str:
    """The Compose file of `host` (one of the design's hosts)."""
    if host not in design.hosts:
        raise UnknownHost(f"no host {host!r} in the design (its hosts: {', '.join(design.hosts)})")
    specs = namespaces(design, allocation)
    guests = [s for s in specs if s.host == host and s.kind != "host"]
    own = next(s for s in specs if s.host == host and s.kind == "host")
    if not guests:
        raise NothingToRun(_nothing_to_run(design, allocation, host, own))
    told = docker.stand_ins(design, specs)
    project = f"mvlab-{design.name}-{host}".lower()  # no `name:` key: Compose 1.x refuses it
    names = list(dict.fromkeys(i.network for s in guests for i in s.interfaces))
    data = CommentedMap()
    data["services"] = CommentedMap(
        (s.endpoint, _service(s, getattr(design.routers.get(s.endpoint), "masquerade", None))) for s in guests
    )
    data["networks"] = CommentedMap((n, _network(design, n, told.get(n, {}))) for n in names)
    notes = [
        f"mvlab design {design.name}, host {host}: docker compose -p {project} -f THIS_FILE up -d",
        *docker.stand_in_notes(design, specs, host),
    ]
    notes += [
        f"{s.endpoint}'s {i.name} on {i.network} has its MAC per network, which needs Compose v2 and"
        " Docker Engine 25 or later (Compose 1.x refuses the file; without the line Docker picks one)."
        for s in guests
        for i in s.interfaces[1:]
        if i.mac
    ]
    if own.interfaces or own.routes or own.sysctls:
        notes.append(
            f"Compose cannot make what is the host's own (addresses, shim, routes, forwarding):"
            f" run `sh design.sh {host} up` of the shell export (lab export --to sh) for it."
        )
    data.yaml_set_start_comment("\n".join(notes))
    yaml = YAML(typ="rt", pure=True)
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _nothing_to_run(design: Design, allocation: Allocation, host: str, own: NamespaceSpec) -> str:
    """Why `host` has no Compose file, what to run on it instead, and which hosts have one."""
    message = f"host {host} runs no container or router, so it has no Compose file"
    message += " (Compose would run nothing there)"
    if own.interfaces or own.routes or own.sysctls:
        message += (
            f"; what it needs is its own (its links, addresses, routes and forwarding):"
            f" run `sh design.sh {host} up` of the shell export (lab export --to sh) on it"
        )
    others = hosts_with_file(design, allocation)
    if others:
        return f"{message}. Hosts with a Compose file: {', '.join(others)}."
    return f"{message}. No host of this design runs a container or router."


def _service(spec: NamespaceSpec, masquerade: str | None) -> CommentedMap:
    service = CommentedMap(image=IMAGE, container_name=spec.endpoint, cap_add=["NET_ADMIN"])
    if masquerade:
        service["labels"] = CommentedMap({LABEL + "masquerade": masquerade})
    if spec.sysctls:
        service["sysctls"] = CommentedMap((key, 1) for key in spec.sysctls)
    legs = CommentedMap()
    for n, iface in enumerate(spec.interfaces):
        leg = CommentedMap()
        for inet in iface.inet:
            leg["ipv4_address" if inet.version == 4 else "ipv6_address"] = str(inet.ip)
        if iface.mac and n == 0:  # the service's own: any Compose and Engine take it for the first leg
            service["mac_address"] = iface.mac
        elif iface.mac:  # a further leg's needs Compose v2 and Docker Engine 25 or later
            leg["mac_address"] = iface.mac
        legs[iface.network] = leg
    service["networks"] = legs
    setup = [shlex.join(command) for command in docker.inside(spec)]
    service["command"] = ["sh", "-c", " && ".join([*setup, "exec sleep infinity"])]
    return service


def _network(design: Design, name: str, told: dict[int, str]) -> CommentedMap:
    net = design.networks[name]
    config = [CommentedMap(subnet=net.subnet)]
    if gateway := told.get(4, net.gateway):
        config[0]["gateway"] = gateway
    if net.ip_range:
        config[0]["ip_range"] = net.ip_range
    if aux := docker.aux_addresses(net, told):
        config[0]["aux_addresses"] = CommentedMap(aux)
    out = CommentedMap(driver="macvlan", driver_opts=CommentedMap(parent=net.parent, macvlan_mode=net.mode))
    if net.ipv6_subnet:
        out["enable_ipv6"] = True
        config.append(CommentedMap(subnet=net.ipv6_subnet))
        if gateway := told.get(6, net.ipv6_gateway):
            config[1]["gateway"] = gateway
    out["ipam"] = CommentedMap(config=config)
    if told:  # the design's own gateways, for an import to read back (none: no gateway)
        out["labels"] = CommentedMap(
            (LABEL + ("gateway" if version == 4 else "ipv6_gateway"), str(given or "none"))
            for version, given in ((4, net.gateway), (6, net.ipv6_gateway))
            if version in told
        )
    return out
