"""Compile a design into one `HostPlan` per host, and the `SandboxFabric` of its wires.

The plans follow `contract/plan.py` exactly: a host's own namespace is `HOST_NS`; the
`vlan` links are every `NIC.VID` something on the host hangs off or holds an address
on; each container or router is a `Namespace` with one macvlan `Link` per network.
Every pair whose source lives on a host becomes one of that host's `Probe`s, carrying
the predicted outcome. Output is deterministic: the same design, allocation and
deployment give equal plans.
"""

from __future__ import annotations

from contract.plan import (
    HostAddress,
    HostPlan,
    Link,
    Masquerade,
    Namespace,
    Probe,
    Route,
    SandboxFabric,
    Segment,
    SegmentPort,
    Sysctl,
)
from designer.topology.ipam import Allocation
from designer.topology.matrix import Matrix
from designer.topology.model import Design
from designer.topology.namespaces import NamespaceSpec, namespaces, split_link
from designer.topology.predict import predict


def compile_plans(
    design: Design, allocation: Allocation, deployment: str, matrix: Matrix | None = None
) -> dict[str, HostPlan]:
    """The plan of every host of the design, keyed by host name (`matrix` defaults to the prediction)."""
    matrix = matrix if matrix is not None else predict(design, allocation)
    return host_plans(design, namespaces(design, allocation), matrix, deployment)


def host_plans(
    design: Design, specs: list[NamespaceSpec], matrix: Matrix, deployment: str
) -> dict[str, HostPlan]:
    """`compile_plans` from the namespaces and the matrix already made (designer.topology.pipeline)."""
    return {
        host: _host_plan(host, [s for s in specs if s.host == host], matrix, deployment)
        for host in design.hosts
    }


def compile_fabric(design: Design, deployment: str) -> SandboxFabric:
    """The segments between the design's hosts, for a sandbox that emulates them on one machine."""
    segments = []
    for name, segment in design.segments.items():
        ports = []
        for port in segment.ports:
            host, _, nic = port.partition(".")
            if host in design.hosts and nic:
                ports.append(SegmentPort(host=host, nic=nic))
        segments.append(
            Segment(name=name, ports=tuple(ports), vlans=tuple(segment.vlans), hairpin=segment.hairpin)
        )
    return SandboxFabric(deployment=deployment, hosts=tuple(design.hosts), segments=tuple(segments))


def _host_plan(host: str, specs: list[NamespaceSpec], matrix: Matrix, deployment: str) -> HostPlan:
    own = next(s for s in specs if s.kind == "host")
    guests = [s for s in specs if s.kind != "host"]
    parents = sorted({iface.parent for spec in specs for iface in spec.interfaces})
    nics = sorted({split_link(parent)[0] for parent in parents})
    vlans = [
        Link(name=parent, kind="vlan", parent=nic, vid=vid)
        for parent in parents
        for nic, vid in [split_link(parent)]
        if vid is not None
    ]
    macvlans = [
        Link(
            name=iface.name,
            namespace=spec.namespace,
            kind="macvlan",
            parent=iface.parent,
            mode=iface.mode,
            mac=iface.mac,
            addresses=iface.addresses,
        )
        for spec in specs
        for iface in spec.interfaces
        if iface.mode is not None
    ]
    host_addresses = [
        HostAddress(link=iface.name, address=address)
        for iface in own.interfaces
        if iface.mode is None
        for address in iface.addresses
    ]
    routes = [
        Route(namespace=spec.namespace, dst=route.dst, via=route.via, dev=route.dev)
        for spec in specs
        for route in spec.routes
    ]
    sysctls = [Sysctl(namespace=spec.namespace, key=key, value="1") for spec in specs for key in spec.sysctls]
    masquerade = [
        Masquerade(namespace=spec.namespace, out_link=out_link, source=source)
        for spec in guests
        for out_link, source in spec.masquerade
    ]
    namespace_of = {spec.endpoint: spec.namespace for spec in specs}
    probes = [
        Probe(
            src=pair.src,
            namespace=namespace_of[pair.src],
            dst=pair.dst,
            dst_ip=pair.dst_ip,
            expected=pair.expected,
            expected_ttl=pair.expected_ttl,
        )
        for pair in matrix.pairs
        if pair.src in namespace_of
    ]
    return HostPlan(
        deployment=deployment,
        host=host,
        nics=tuple(nics),
        namespaces=tuple(Namespace(name=s.namespace, forwarding=s.forwarding) for s in guests),
        links=tuple(vlans + macvlans),
        host_addresses=tuple(host_addresses),
        routes=tuple(routes),
        sysctls=tuple(sysctls),
        masquerade=tuple(masquerade),
        probes=tuple(probes),
    )
