"""Steps "host" and "namespaces": the host namespace opened and the plan's NICs checked there; the
deployment's container namespaces made, kept or removed (only this host's), each `lo` marked and up."""

from __future__ import annotations

from agent import netns, rtnl
from agent.apply.ownership import container_namespaces, namespace_host_mark
from agent.apply.retry import ApplyError
from agent.apply.session import Namespace, Session
from agent.machine_state import MachineState
from contract.plan import netns_name


def check_host(s: Session) -> None:
    host = s.open_space(s.target.host_ns, owned_whole=False)
    if s.target.on_machine:
        with MachineState.edit(s.target.host_ns) as state:
            s.foreign_routes = set(state.routes.get(s.ns_mark, []))
    for nic in s.plan.nics:
        if s.target.allowed_nics is not None and nic not in s.target.allowed_nics:
            raise ApplyError(
                f"host {s.plan.host}: NIC {nic} is not in this agent's allowed_nics "
                f"{sorted(s.target.allowed_nics)}"
            )
        if nic not in host.links:
            raise ApplyError(f"host {s.plan.host}: NIC {nic} does not exist in {s.target.host_ns}")


def sync_namespaces(s: Session) -> None:
    dep = s.plan.deployment
    wanted = {netns_name(dep, ns.name) for ns in s.plan.namespaces}
    for name in container_namespaces(dep):
        if not netns.exists(name):  # left by a create that died halfway
            if name not in wanted:
                netns.remove(name)
            continue
        if name in wanted:
            space = s.open_space(name, owned_whole=True)
            mark = space.links["lo"].alias
            if mark in (None, s.ns_mark):
                continue
            space.rt.close()
            del s.spaces[name]
            netns.remove(name)  # the container moved here from another host of the sandbox
            s.report.note("removed", f"namespace {name} (held by {mark})")
        elif name not in s.target.claimed_elsewhere and namespace_host_mark(name) in (None, s.ns_mark):
            netns.remove(name)
            s.report.note("removed", f"namespace {name}")
    for name in sorted(wanted - set(s.spaces)):
        created, rt = s.call(f"create namespace {name}", netns.create_rtnl, name)
        space = s.spaces[name] = Namespace(name, rt, owned_whole=True)
        if created:
            s.report.note("created", f"namespace {name}")
            space.fresh = True  # nothing but lo in it: no need to list what it holds
            space.links = {"lo": rtnl.fresh_loopback()}
        else:
            s.call(f"list links of {name}", space.refresh)
    for name in sorted(wanted):
        ensure_loopback(s, s.spaces[name])


def ensure_loopback(s: Session, space: Namespace) -> None:
    lo = space.links["lo"]
    if lo.alias != s.ns_mark or not lo.up:
        s.do(space, rtnl.link_set(index=lo.index, alias=s.ns_mark, up=True))
