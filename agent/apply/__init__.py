"""Reconcile the kernel towards one HostPlan (`apply_plan`), and tear a deployment down (`teardown`).

`run` is the whole of an apply: seven steps, each in the module named after it. Applying the same
plan twice changes nothing the second time (`ApplyReport`). What lives where:

- `retry`: ApplyError; one netlink call or batch, transient kernel errors retried;
- `ownership`: how mvlab tells what is a deployment's (marks, the staging namespace, route protocol);
- `target`: `Target` (where the plan's host namespace is) and `ApplyReport`;
- `session`: one apply's state and plumbing (namespaces opened, step events, kernel calls);
- `namespaces`, `links`, `addresses`, `routes`, `sysctls`, `nat`: the steps, one kind of object each;
- `teardown`: removing a deployment.
"""

from __future__ import annotations

from agent.apply.addresses import sync_addresses
from agent.apply.links import sync_links
from agent.apply.namespaces import check_host, sync_namespaces
from agent.apply.nat import sync_masquerade
from agent.apply.ownership import MVLAB_ROUTE_PROTO
from agent.apply.retry import ApplyError, do_requests
from agent.apply.routes import sync_routes
from agent.apply.session import Session
from agent.apply.sysctls import sync_sysctls
from agent.apply.target import ApplyReport, Emit, Target
from agent.apply.teardown import teardown
from contract.plan import HostPlan


def apply_plan(plan: HostPlan, target: Target, emit: Emit | None = None) -> ApplyReport:
    """Make the kernel at `target` hold exactly what `plan` asks for; return what changed."""
    plan = HostPlan.model_validate(plan.model_dump())  # validated again on the agent side
    return run(Session(plan, target, emit))


def run(session: Session) -> ApplyReport:
    """The steps of an apply, in order; each emits started, then done or failed."""
    try:
        session.step("host", check_host)
        session.step("namespaces", sync_namespaces)
        session.step("links", sync_links)
        session.step("addresses", sync_addresses)
        session.step("routes", sync_routes)
        session.step("sysctls", sync_sysctls)
        session.step("masquerade", sync_masquerade)
    finally:
        session.close()
    return session.report


__all__ = [
    "MVLAB_ROUTE_PROTO",
    "ApplyError",
    "ApplyReport",
    "Emit",
    "Target",
    "apply_plan",
    "do_requests",
    "teardown",
]
