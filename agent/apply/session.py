"""One apply's state and plumbing: the plan, the target, the report, the namespaces opened so far
(each with its netlink client and a snapshot of its links), and how a step runs, reports its
events and calls the kernel."""

from __future__ import annotations

import socket
from collections.abc import Callable

from agent import netns, rtnl
from agent.apply.ownership import ns_mark, staging_ns
from agent.apply.retry import ApplyError, do_requests, retry
from agent.apply.sysctls import FORWARDING_SYSCTLS, read_sysctls
from agent.apply.target import ApplyReport, Emit, Target
from agent.masquerade import has_table
from contract.events import StepEvent
from contract.plan import HOST_NS, HostPlan, netns_name, owner_mark


class Namespace:
    """One namespace being reconciled: its netlink client and a snapshot of its links."""

    def __init__(self, kernel_name: str, rt: rtnl.Rtnl, owned_whole: bool):
        self.kernel_name = kernel_name
        self.rt = rt
        self.owned_whole = owned_whole  # a container namespace: everything in it is the deployment's
        self.fresh = False  # made by this apply: holds no address or route mvlab has not just added
        self.links: dict[str, rtnl.LinkState] = {}
        self.sysctls: dict[str, str] = {}  # values known from opening it
        self.has_table: bool | None = None  # holds the mvlab NAT table; None: not known

    def refresh(self) -> None:
        self.links = {link.name: link for link in self.rt.links()}

    def index(self, name: str) -> int | None:
        link = self.links.get(name)
        return None if link is None else link.index


class Session:
    """What one apply of one HostPlan knows and holds open while its steps run."""

    def __init__(self, plan: HostPlan, target: Target, emit: Emit | None):
        self.plan = plan
        self.target = target
        self.emit = emit
        self.mark = owner_mark(plan.deployment)
        self.ns_mark = ns_mark(plan.deployment, plan.host)
        self.report = ApplyReport(plan.deployment, plan.host)
        self.spaces: dict[str, Namespace] = {}
        # on a machine: this host's routes through links not mvlab's
        self.foreign_routes: set[str] | None = None
        self.protected_addresses: set[str] | None = None  # the broker and its gateways, once looked up

    def step(self, name: str, fn: Callable[[Session], None]) -> None:
        """Run `fn(self)` as step `name`: started, then done (with what changed) or failed."""
        self._event(name, "started")
        before = len(self.report.actions)
        try:
            fn(self)
        except ApplyError as exc:
            self._event(name, "failed", str(exc))
            raise
        except OSError as exc:  # a namespace file, /proc/sys, nft: named like the kernel's errors
            error = ApplyError(f"host {self.plan.host}: {name}: {exc}")
            self._event(name, "failed", str(error))
            raise error from exc
        self._event(name, "done", "; ".join(self.report.actions[before:]))

    def _event(self, step: str, status: str, detail: str = "") -> None:
        if self.emit is not None:
            self.emit(
                StepEvent(
                    deployment=self.plan.deployment,
                    host=self.plan.host,
                    step=step,
                    status=status,
                    detail=detail[:2000],
                )
            )

    def call(self, what: str, fn: Callable, *args, **kwargs):
        return retry(what, self.plan.host, fn, *args, **kwargs)

    def do(self, space: Namespace, *requests: rtnl.Request) -> None:
        do_requests(space.rt, self.plan.host, space.kernel_name, requests)

    def kernel_ns(self, logical: str) -> str:
        return self.target.host_ns if logical == HOST_NS else netns_name(self.plan.deployment, logical)

    def space(self, logical: str) -> Namespace:
        return self.spaces[self.kernel_ns(logical)]

    def open_space(self, kernel_name: str, owned_whole: bool) -> Namespace:
        """Open a namespace; a container's is inspected in the same visit (sysctls, NAT table)."""
        what = f"open namespace {kernel_name}"
        if owned_whole:
            sock, sysctls, table = self.call(what, netns.run_in, kernel_name, _inspect)
            space = Namespace(kernel_name, rtnl.Rtnl(sock), owned_whole)
            space.sysctls, space.has_table = sysctls, table
        else:
            space = Namespace(kernel_name, self.call(what, netns.rtnl, kernel_name), owned_whole)
        self.spaces[kernel_name] = space
        self.call(f"list links of {kernel_name}", space.refresh)
        return space

    def staging(self) -> Namespace:
        """The deployment's staging namespace for this host, made empty on first use."""
        name = staging_ns(self.plan.deployment, self.plan.host)
        if name not in self.spaces:
            netns.remove(name)  # whatever a crashed apply left half-made there
            _, rt = self.call(f"create namespace {name}", netns.create_rtnl, name)
            self.spaces[name] = Namespace(name, rt, owned_whole=True)
            self.spaces[name].links = {"lo": rtnl.fresh_loopback()}
        return self.spaces[name]

    def close(self) -> None:
        for space in self.spaces.values():
            space.rt.close()
        self.spaces.clear()
        netns.remove(staging_ns(self.plan.deployment, self.plan.host))

    def marked(self, link: rtnl.LinkState) -> bool:
        """Carries this deployment's mark: exactly (made by apply) or with a suffix (made by the sandbox)."""
        alias = link.alias or ""
        return alias == self.mark or alias.startswith(self.mark + ":")

    def may_change(self, space: Namespace, name: str) -> bool:
        return space.owned_whole or self.marked(space.links[name])


def _inspect() -> tuple[socket.socket, dict[str, str], bool]:
    """Inside a container namespace, in one visit: a netlink socket, its forwarding sysctls, its NAT table."""
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, netns.NETLINK_ROUTE)
    return sock, read_sysctls(FORWARDING_SYSCTLS), has_table()
