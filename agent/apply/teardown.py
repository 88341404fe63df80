"""Teardown: every namespace, link and host route of a deployment removed, the machine's sysctls it
changed put back, nothing else; then whatever is still there named, with why."""

from __future__ import annotations

from collections.abc import Callable

from agent import netns, rtnl
from agent.apply.ownership import (
    MVLAB_ROUTE_PROTO,
    container_namespaces,
    holders,
    namespace_host_mark,
    ns_mark,
)
from agent.apply.retry import ApplyError, do_requests
from agent.apply.routes import show_route
from agent.apply.sysctls import restore_sysctls
from agent.apply.target import ApplyReport, Emit, Target
from agent.machine_state import MachineState
from contract.events import StepEvent
from contract.plan import netns_name, owner_mark


def teardown(deployment: str, target: Target, emit: Emit | None = None, hosts=()) -> ApplyReport:
    """Remove every namespace, link and host route of `deployment` at `target` and put back the
    machine's sysctls it changed; nothing else.

    `hosts`: the design hosts this agent serves; a namespace another host's apply marked (several
    agents or sandbox hosts sharing one machine's /run/netns) is left to that host. Empty: every
    host's. Everything is tried; then ApplyError names each object still there and why.
    """
    hosts = sorted(hosts)
    report = ApplyReport(deployment, ",".join(hosts))
    mine = {None, *(ns_mark(deployment, host) for host in hosts)}
    errors: dict[str, str] = {}

    def event(status: str, detail: str) -> None:
        if emit is not None:
            for host in hosts:
                emit(
                    StepEvent(
                        deployment=deployment, host=host, step="teardown", status=status, detail=detail[:2000]
                    )
                )

    def attempt(what: str, fn: Callable, *args) -> bool:
        try:
            fn(*args)
        except (ApplyError, OSError) as exc:
            errors[what] = str(exc)
            return False
        return True

    def ours(name: str) -> bool:
        return name not in target.claimed_elsewhere and (not hosts or namespace_host_mark(name) in mine)

    def left() -> list[str]:
        found = [
            f"namespace {name}"
            for name in container_namespaces(deployment)
            if not netns.exists(name) or ours(name)
        ]
        if netns.exists(target.host_ns):
            with netns.rtnl(target.host_ns) as rt:
                found += [
                    f"link {link.name} in {target.host_ns}" for link in rt.links() if link.alias == mark
                ]
        if target.on_machine:
            with MachineState.edit(target.host_ns) as state:
                for holder in holders(deployment, hosts, state):
                    found += [f"route to {dst} in {target.host_ns}" for dst in state.routes.get(holder, [])]
                    found += [f"sysctl {key} in {target.host_ns}" for key in state.held(holder)]
        return found

    mark = owner_mark(deployment)
    event("started", "")
    for name in container_namespaces(deployment):
        if (not netns.exists(name) or ours(name)) and attempt(f"namespace {name}", netns.remove, name):
            report.note("removed", f"namespace {name}")
    for name in netns.list_namespaces(netns_name(deployment, "")):
        if name.endswith(".staging"):
            attempt(f"namespace {name}", netns.remove, name)  # only holds links a crashed apply had not moved
    if netns.exists(target.host_ns):  # a sandbox host already gone took its links along
        attempt("host", _tear_host, deployment, target, hosts, report)
    remaining = left()
    if remaining:
        why = errors.get("host", "still there")  # the host namespace's objects go in one batch
        detail = "could not remove " + "; ".join(f"{what} ({errors.get(what, why)})" for what in remaining)
        event("failed", detail)
        raise ApplyError(f"agent teardown of {deployment}: {detail}")
    event("done", "; ".join(report.actions))
    return report


def _tear_host(deployment: str, target: Target, hosts: list[str], report: ApplyReport) -> None:
    """In the host namespace: remove the deployment's links (their routes go with them); on a machine,
    also its hosts' routes through other links, and let go of the sysctls they set."""
    mark = owner_mark(deployment)
    where = target.host_ns
    with netns.rtnl(where) as rt:
        owned = [link for link in rt.links() if link.alias == mark]
        do_requests(rt, report.host, where, [rtnl.link_del(link.index, link.name) for link in owned])
        for link in owned:
            report.note("removed", f"link {link.name} in {where}")
        if not target.on_machine:
            return
        with MachineState.edit(where) as state:
            held_by = holders(deployment, hosts, state)
            kept = {dst for holder in held_by for dst in state.routes.pop(holder, [])}
            foreign = [
                entry for entry in rt.routes() if entry.proto == MVLAB_ROUTE_PROTO and entry.dst in kept
            ]
            do_requests(
                rt,
                report.host,
                where,
                [
                    rtnl.route(
                        False, entry.dst, gateway=entry.gateway, oif=entry.oif, proto=MVLAB_ROUTE_PROTO
                    )
                    for entry in foreign
                ],
            )
            for entry in foreign:
                report.note("removed", f"route {show_route(entry.dst, entry.gateway, entry.oif)} in {where}")
            back = {}
            for holder in held_by:
                back.update(state.release(holder, state.held(holder)))
            restore_sysctls(back, where, report)
