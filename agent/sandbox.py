"""The lab sandbox: every host of a design emulated by namespaces on one machine.

- fabric namespace `mvl-<dep>-.fabric`: one Linux bridge per segment and one per
  (segment, VLAN) the segment carries; hairpin segments turn hairpin on for
  their bridge ports (what a vepa parent needs to reach its siblings);
- host namespace `mvl-<dep>-<host>.host` per host: each NIC is a veth whose other
  end is a port of its segment's bridge; each vlan link of the host's plan
  (`enp0s8.100`) is a veth into the (segment, 100) bridge, which isolates VLANs
  as 802.1Q would on a kernel that has no 802.1Q.

Design names cannot hold a dot, so these names never meet a container's. Links
made here carry `mvlab:<dep>:sandbox`: `apply_plan` may address them but never
removes them. Bridge and port names are short hashes (interface names have 15
characters, segment names 32).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from agent import netns, rtnl
from agent.apply import ApplyError, ApplyReport, Emit, Target, apply_plan, do_requests
from contract.events import SANDBOX_HOST, StepEvent
from contract.plan import NETNS_PREFIX, HostPlan, SandboxFabric, netns_name, owner_mark


def fabric_ns(deployment: str) -> str:
    return netns_name(deployment, ".fabric")


def sandboxes_here(run_netns: Path = netns.RUN_NETNS) -> list[str]:
    """The deployments that have a lab sandbox on this machine (one fabric namespace each), or in
    another process's /run/netns (`run_netns`, e.g. a `RootlessHelper`'s)."""
    suffix = fabric_ns("").removeprefix(NETNS_PREFIX)
    return [
        name.removeprefix(NETNS_PREFIX).removesuffix(suffix)
        for name in netns.list_namespaces(NETNS_PREFIX, run_netns)
        if name.endswith(suffix)
    ]


def host_ns(deployment: str, host: str) -> str:
    return netns_name(deployment, f"{host}.host")


def sandbox_mark(deployment: str) -> str:
    return f"{owner_mark(deployment)}:sandbox"


def _short(prefix: str, *parts: object) -> str:
    return prefix + hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()[:10]


@dataclass(frozen=True)
class _Wire:
    """A veth between `host`'s link `host_end` and a port `fabric_end` of `bridge` (None: unplugged)."""

    host: str
    host_end: str
    fabric_end: str
    bridge: str | None
    hairpin: bool


def _wires(fabric: SandboxFabric, plans: Iterable[HostPlan]) -> tuple[dict[str, bool], list[_Wire]]:
    """The bridges (name -> hairpin) and the veths the sandbox needs."""
    bridges: dict[str, bool] = {}
    segment_of: dict[tuple[str, str], tuple] = {}
    for seg in fabric.segments:
        bridges[_short("s", seg.name)] = seg.hairpin
        for vid in seg.vlans:
            bridges[_short("s", seg.name, vid)] = seg.hairpin
        for port in seg.ports:
            segment_of[(port.host, port.nic)] = seg
    wires = []
    for plan in plans:
        nics = set(plan.nics) | {link.parent for link in plan.links if link.kind == "vlan"}
        nics |= {nic for host, nic in segment_of if host == plan.host}
        for nic in sorted(nics):
            seg = segment_of.get((plan.host, nic))
            bridge = _short("s", seg.name) if seg else None
            wires.append(
                _Wire(plan.host, nic, _short("h", plan.host, nic), bridge, bool(seg and seg.hairpin))
            )
        for link in plan.links:
            if link.kind != "vlan":
                continue
            seg = segment_of.get((plan.host, link.parent))
            bridge = _short("s", seg.name, link.vid) if seg and link.vid in seg.vlans else None
            wires.append(
                _Wire(
                    plan.host, link.name, _short("h", plan.host, link.name), bridge, bool(seg and seg.hairpin)
                )
            )
    return bridges, wires


class _Fabric:
    def __init__(self, fabric: SandboxFabric, emit: Emit | None):
        self.dep = fabric.deployment
        self.mark = sandbox_mark(self.dep)
        self.emit = emit
        self.report = ApplyReport(self.dep, "sandbox")

    def do(self, rt: rtnl.Rtnl, where: str, *requests: rtnl.Request) -> None:
        do_requests(rt, "sandbox", where, requests)

    def event(self, status: str, detail: str = "") -> None:
        if self.emit is not None:
            self.emit(
                StepEvent(
                    deployment=self.dep, host=SANDBOX_HOST, step="sandbox", status=status, detail=detail
                )
            )

    def up(self, fabric: SandboxFabric, plans: list[HostPlan]) -> None:
        bridges, wires = _wires(fabric, plans)
        hosts = set(fabric.hosts) | {plan.host for plan in plans}
        for name in netns.list_namespaces(netns_name(self.dep, "")):
            if name.endswith(".host") and name not in {host_ns(self.dep, h) for h in hosts}:
                netns.remove(name)
                self.report.note("removed", f"namespace {name}")
        clients: dict[str, rtnl.Rtnl] = {}
        try:
            for name in [fabric_ns(self.dep), *(host_ns(self.dep, h) for h in sorted(hosts))]:
                created, clients[name] = netns.create_rtnl(name)
                if created:
                    self.report.note("created", f"namespace {name}")
            fab = clients[fabric_ns(self.dep)]
            self.sync_bridges(fab, bridges)
            self.sync_wires(fab, wires, {h: clients[host_ns(self.dep, h)] for h in hosts})
        finally:
            for client in clients.values():
                client.close()

    def sync_bridges(self, fab: rtnl.Rtnl, bridges: dict[str, bool]) -> None:
        where = fabric_ns(self.dep)
        links = {link.name: link for link in fab.links()}
        stale = [
            link
            for name, link in links.items()
            if name.startswith("s") and name not in bridges and link.alias == self.mark
        ]
        self.do(fab, where, *(rtnl.link_del(link.index, link.name) for link in stale))
        for link in stale:
            self.report.note("removed", f"bridge {link.name}")
        missing = [name for name in bridges if name not in links]
        self.do(fab, where, *(rtnl.link_add(name, "bridge", up=True) for name in missing))
        self.do(fab, where, *(rtnl.link_set(name=name, alias=self.mark) for name in missing))
        for name in missing:
            self.report.note("created", f"bridge {name}")
        down = [links[name] for name in bridges if name in links and not links[name].up]
        self.do(fab, where, *(rtnl.link_set(index=link.index, up=True) for link in down))
        for link in down:
            self.report.note("changed", f"bridge {link.name} up")

    def sync_wires(self, fab: rtnl.Rtnl, wires: list[_Wire], hosts: dict[str, rtnl.Rtnl]) -> None:
        where = fabric_ns(self.dep)
        links = {link.name: link for link in fab.links()}
        wanted = {wire.fabric_end for wire in wires}
        stale = [
            link
            for name, link in links.items()
            if name.startswith("h") and name not in wanted and link.alias == self.mark
        ]
        self.do(fab, where, *(rtnl.link_del(link.index, link.name) for link in stale))
        for link in stale:
            self.report.note("removed", f"veth {link.name}")
        host_links = {host: {link.name: link for link in rt.links()} for host, rt in hosts.items()}
        made = False
        for wire in wires:
            if wire.fabric_end in links and wire.host_end in host_links[wire.host]:
                continue
            self.make_wire(fab, links, hosts[wire.host], host_links[wire.host], wire)
            made = True
        if made:
            links = {link.name: link for link in fab.links()}
            host_links = {host: {link.name: link for link in rt.links()} for host, rt in hosts.items()}
        for wire in wires:
            self.fix_wire(fab, links, hosts[wire.host], host_links[wire.host][wire.host_end], wire)

    def make_wire(
        self, fab: rtnl.Rtnl, links: dict, host_rt: rtnl.Rtnl, host_links: dict, wire: _Wire
    ) -> None:
        """A veth between the fabric and a host; a half left by an interrupted run goes first."""
        where = f"veth {wire.host}:{wire.host_end} <-> {wire.fabric_end}"
        for rt, existing, name in ((fab, links, wire.fabric_end), (host_rt, host_links, wire.host_end)):
            if name in existing:
                if existing[name].alias not in (None, self.mark):
                    raise ApplyError(f"host sandbox: {where}: {name} exists and is not the sandbox's")
                self.do(rt, where, rtnl.link_del(existing[name].index, name))
        fd = os.open(netns.ns_path(host_ns(self.dep, wire.host)), os.O_RDONLY | os.O_CLOEXEC)
        try:
            self.do(fab, where, rtnl.link_add(wire.fabric_end, "veth", peer=(wire.host_end, fd)))
        finally:
            os.close(fd)
        self.report.note("created", where)

    def fix_wire(self, fab: rtnl.Rtnl, links: dict, host_rt: rtnl.Rtnl, host_end, wire: _Wire) -> None:
        where = f"veth {wire.host}:{wire.host_end} <-> {wire.fabric_end}"
        if host_end.alias != self.mark or not host_end.up:
            self.do(host_rt, where, rtnl.link_set(index=host_end.index, alias=self.mark, up=True))
        end = links[wire.fabric_end]
        master = links[wire.bridge].index if wire.bridge is not None else 0
        if end.alias != self.mark or not end.up or (end.master or 0) != master:
            self.do(fab, where, rtnl.link_set(index=end.index, alias=self.mark, up=True, master=master))
        if master and end.hairpin is not wire.hairpin:
            self.do(fab, where, rtnl.bridge_port_set(end.index, hairpin=wire.hairpin))
            if end.hairpin is not None:
                self.report.note("changed", f"hairpin of {where}")


def sandbox_targets(fabric: SandboxFabric, plans: list[HostPlan]) -> dict[str, Target]:
    """Each host's Target: its namespace, with the container namespaces of the others marked as theirs."""
    claims = {plan.host: {netns_name(plan.deployment, ns.name) for ns in plan.namespaces} for plan in plans}
    hosts = sorted(set(fabric.hosts) | set(claims))
    return {
        host: Target.sandbox_host(
            host_ns(fabric.deployment, host),
            claimed_elsewhere=set().union(*(names for other, names in claims.items() if other != host)),
        )
        for host in hosts
    }


def sandbox_up(fabric: SandboxFabric, plans: list[HostPlan], emit: Emit | None = None) -> dict[str, Target]:
    """Make (or reconcile) the sandbox's namespaces, bridges and wires; return each host's Target."""
    for plan in plans:
        if plan.deployment != fabric.deployment:
            raise ApplyError(
                f"plan of host {plan.host} is for deployment {plan.deployment}, "
                f"the sandbox for {fabric.deployment}"
            )
    builder = _Fabric(fabric, emit)
    builder.event("started")
    try:
        builder.up(fabric, plans)
    except (ApplyError, OSError) as exc:
        builder.event("failed", str(exc))
        raise
    builder.event("done", "; ".join(builder.report.actions))
    return sandbox_targets(fabric, plans)


def deploy_sandbox(
    fabric: SandboxFabric, plans: list[HostPlan], emit: Emit | None = None
) -> dict[str, ApplyReport]:
    """`sandbox_up`, then `apply_plan` on every host; returns each host's report."""
    targets = sandbox_up(fabric, plans, emit)
    return {plan.host: apply_plan(plan, targets[plan.host], emit) for plan in plans}


def sandbox_down(deployment: str) -> list[str]:
    """Remove every namespace of the deployment on this machine (the sandbox's and the containers')."""
    removed = []
    for name in netns.list_namespaces(netns_name(deployment, "")):
        netns.remove(name)
        removed.append(name)
    return removed
