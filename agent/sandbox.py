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

from agent import netns
from agent.apply import ApplyError, ApplyReport, Emit, Target, apply_plan, retry
from agent.plan import HostPlan, SandboxFabric, StepEvent, netns_name, owner_mark

IFF_UP = 0x1
BRPORT_HAIRPIN = 1


def fabric_ns(deployment: str) -> str:
    return netns_name(deployment, ".fabric")


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
            wires.append(_Wire(plan.host, nic, _short("h", plan.host, nic), bridge, bool(seg and seg.hairpin)))
        for link in plan.links:
            if link.kind != "vlan":
                continue
            seg = segment_of.get((plan.host, link.parent))
            bridge = _short("s", seg.name, link.vid) if seg and link.vid in seg.vlans else None
            wires.append(
                _Wire(plan.host, link.name, _short("h", plan.host, link.name), bridge, bool(seg and seg.hairpin))
            )
    return bridges, wires


class _Fabric:
    def __init__(self, fabric: SandboxFabric, emit: Emit | None):
        self.dep = fabric.deployment
        self.mark = sandbox_mark(self.dep)
        self.emit = emit
        self.report = ApplyReport(self.dep, "sandbox")

    def call(self, what: str, fn, *args, **kwargs):
        return retry(what, "sandbox", fn, *args, **kwargs)

    def event(self, status: str, detail: str = "") -> None:
        if self.emit is not None:
            self.emit(StepEvent(deployment=self.dep, host="sandbox", step="sandbox", status=status, detail=detail))

    def up(self, fabric: SandboxFabric, plans: list[HostPlan]) -> None:
        bridges, wires = _wires(fabric, plans)
        hosts = set(fabric.hosts) | {plan.host for plan in plans}
        for name in netns.list_namespaces(netns_name(self.dep, "")):
            if name.endswith(".host") and name not in {host_ns(self.dep, h) for h in hosts}:
                netns.remove(name)
                self.report.note("removed", f"namespace {name}")
        for name in [fabric_ns(self.dep), *(host_ns(self.dep, h) for h in sorted(hosts))]:
            if netns.create(name):
                self.report.note("created", f"namespace {name}")
        fab = netns.handle(fabric_ns(self.dep))
        try:
            self.sync_bridges(fab, bridges)
            self.sync_wires(fab, wires, hosts)
        finally:
            fab.close()

    def sync_bridges(self, fab, bridges: dict[str, bool]) -> None:
        links = {link.get_attr("IFLA_IFNAME"): link for link in fab.get_links()}
        for name, link in links.items():
            if name.startswith("s") and name not in bridges and link.get_attr("IFLA_IFALIAS") == self.mark:
                self.call(f"remove bridge {name}", fab.link, "del", index=link["index"])
                self.report.note("removed", f"bridge {name}")
        for name in bridges:
            if name not in links:
                self.call(f"create bridge {name}", fab.link, "add", ifname=name, kind="bridge", state="up")
                index = fab.link_lookup(ifname=name)[0]
                self.call(f"mark bridge {name}", fab.link, "set", index=index, ifalias=self.mark)
                self.report.note("created", f"bridge {name}")
            elif not links[name]["flags"] & IFF_UP:
                self.call(f"bring bridge {name} up", fab.link, "set", index=links[name]["index"], state="up")
                self.report.note("changed", f"bridge {name} up")

    def sync_wires(self, fab, wires: list[_Wire], hosts: set[str]) -> None:
        links = {link.get_attr("IFLA_IFNAME"): link for link in fab.get_links()}
        wanted = {wire.fabric_end for wire in wires}
        for name, link in links.items():
            if name.startswith("h") and name not in wanted and link.get_attr("IFLA_IFALIAS") == self.mark:
                self.call(f"remove veth {name}", fab.link, "del", index=link["index"])
                self.report.note("removed", f"veth {name}")
        handles = {}
        try:
            for host in sorted(hosts):
                handles[host] = netns.handle(host_ns(self.dep, host))
            for wire in wires:
                self.sync_wire(fab, links, handles[wire.host], wire)
        finally:
            for ipr in handles.values():
                ipr.close()

    def sync_wire(self, fab, links: dict, hipr, wire: _Wire) -> None:
        where = f"veth {wire.host}:{wire.host_end} <-> {wire.fabric_end}"
        host_links = {link.get_attr("IFLA_IFNAME"): link for link in hipr.get_links()}
        if wire.fabric_end not in links or wire.host_end not in host_links:
            for ipr, ls, name in ((fab, links, wire.fabric_end), (hipr, host_links, wire.host_end)):
                if name in ls:
                    if ls[name].get_attr("IFLA_IFALIAS") != self.mark:
                        raise ApplyError(f"host sandbox: {where}: {name} exists and is not the sandbox's")
                    self.call(f"remove half of {where}", ipr.link, "del", index=ls[name]["index"])
            fd = os.open(netns.ns_path(host_ns(self.dep, wire.host)), os.O_RDONLY | os.O_CLOEXEC)
            try:
                self.call(f"create {where}", fab.link, "add", ifname=wire.fabric_end, kind="veth",
                          peer={"ifname": wire.host_end, "net_ns_fd": fd})
            finally:
                os.close(fd)
            self.report.note("created", where)
            host_links = {link.get_attr("IFLA_IFNAME"): link for link in hipr.get_links()}
            links[wire.fabric_end] = fab.get_links(fab.link_lookup(ifname=wire.fabric_end)[0])[0]
        self.fix_end(hipr, host_links[wire.host_end], {}, where)
        master = None if wire.bridge is None else links[wire.bridge]["index"]
        want = {"master": master or 0} if (links[wire.fabric_end].get_attr("IFLA_MASTER") or 0) != (master or 0) else {}
        self.fix_end(fab, links[wire.fabric_end], want, where)
        if master is not None:
            self.sync_hairpin(fab, wire, where)

    def fix_end(self, ipr, link, fixes: dict, where: str) -> None:
        if link.get_attr("IFLA_IFALIAS") != self.mark:
            fixes["ifalias"] = self.mark
        if not link["flags"] & IFF_UP:
            fixes["state"] = "up"
        if fixes:
            self.call(f"fix {where}", ipr.link, "set", index=link["index"], **fixes)

    def sync_hairpin(self, fab, wire: _Wire, where: str) -> None:
        index = fab.link_lookup(ifname=wire.fabric_end)[0]
        port = fab.brport("show", index=index)
        current = None
        for msg in port:
            protinfo = msg.get_attr("IFLA_PROTINFO")
            if protinfo is not None:
                current = bool(protinfo.get_attr("IFLA_BRPORT_MODE"))
        if current != wire.hairpin:
            self.call(f"hairpin on {where}", fab.brport, "set", index=index, mode=int(wire.hairpin))
            if current is not None:
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
            raise ApplyError(f"plan of host {plan.host} is for deployment {plan.deployment}, "
                             f"the sandbox for {fabric.deployment}")
    builder = _Fabric(fabric, emit)
    builder.event("started")
    try:
        builder.up(fabric, plans)
    except (ApplyError, OSError) as exc:
        builder.event("failed", str(exc))
        raise
    builder.event("done", "; ".join(builder.report.actions))
    return sandbox_targets(fabric, plans)


def deploy_sandbox(fabric: SandboxFabric, plans: list[HostPlan], emit: Emit | None = None) -> dict[str, ApplyReport]:
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
