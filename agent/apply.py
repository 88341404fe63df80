"""Reconcile the kernel towards one HostPlan, and tear a deployment down.

Ownership rules (DESIGN.md "Safety"):
- a namespace is the deployment's if it is named `mvl-<deployment>-<name>`; its
  `lo` carries `mvlab:<deployment>@<host>`, so on a machine shared by several
  (sandbox) hosts each host only removes its own stale namespaces;
- a link in the host namespace is the deployment's only if its ifalias is
  exactly `mvlab:<deployment>`; a link whose ifalias merely starts with the mark
  (a sandbox's emulated NIC) may get addresses and routes but is never removed;
  a link with neither is never changed;
- routes are made with protocol `MVLAB_ROUTE_PROTO`; in the host namespace only
  those through the deployment's links are its own, and on a machine those through
  other links to an allowed prefix, recorded in `agent.machine_state` with the
  previous value of each machine sysctl it sets, so that teardown undoes them.

Applying the same plan twice changes nothing the second time (`ApplyReport`).
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from pyroute2.netlink.exceptions import NetlinkError

from agent import netns, rtnl
from agent.machine_state import MachineState
from agent.masquerade import has_table, sync_masquerade
from agent.plan import (
    HOST_NS,
    OWNER_PREFIX,
    HostPlan,
    Link,
    Route,
    StepEvent,
    netns_name,
    owner_mark,
)

MVLAB_ROUTE_PROTO = 251  # unassigned in iproute2 rt_protos
MAIN_TABLE = 254
TRANSIENT = frozenset({errno.EBUSY, errno.EAGAIN, errno.ENOBUFS, errno.EINTR})
GONE = frozenset({errno.ENODEV, errno.ESRCH, errno.EADDRNOTAVAIL, errno.ENOENT})
RETRIES = 5
FORWARDING_SYSCTLS = ("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding")

Emit = Callable[[StepEvent], None]
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class ApplyError(RuntimeError):
    """A step failed; the message names the object, the host and the kernel's error."""


@dataclass(frozen=True)
class Target:
    """Where a plan's host namespace (HOST_NS) is.

    `host_ns` is a namespace name, or `netns.MACHINE` on a real host. On a real
    host `allowed_nics` lists the only links that may be parents; in a sandbox it
    is None and `emulated_vlans` says the plan's vlan links are veths the sandbox
    made. `claimed_elsewhere`: namespaces other hosts of the same sandbox hold.

    On a machine (`allowed_nics` given) the host namespace is the machine's own: a host
    route must leave through a link of the deployment or go to one of `allowed_routes`,
    is never a default route and never covers one of `protected` (the agent's broker and
    the gateway it reaches it through); what mvlab changes there is undone on teardown.
    """

    host_ns: str
    allowed_nics: frozenset[str] | None = None
    emulated_vlans: bool = False
    claimed_elsewhere: frozenset[str] = frozenset()
    allowed_routes: tuple[IPNetwork, ...] = ()
    protected: frozenset[str] = frozenset()

    @classmethod
    def machine(cls, allowed_nics, allowed_routes=(), protected=()) -> "Target":
        return cls(host_ns=netns.MACHINE, allowed_nics=frozenset(allowed_nics),
                   allowed_routes=tuple(allowed_routes), protected=frozenset(protected))

    @classmethod
    def sandbox_host(cls, host_ns: str, claimed_elsewhere=frozenset()) -> "Target":
        return cls(host_ns=host_ns, emulated_vlans=True, claimed_elsewhere=frozenset(claimed_elsewhere))

    @property
    def on_machine(self) -> bool:
        """The host namespace is a machine's own, not one a sandbox made for the deployment."""
        return self.allowed_nics is not None


@dataclass
class ApplyReport:
    deployment: str
    host: str
    created: int = 0
    changed: int = 0
    removed: int = 0
    actions: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not (self.created or self.changed or self.removed)

    def note(self, kind: str, what: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        self.actions.append(f"{kind} {what}")


def _fail(host: str, what: str, code: int) -> ApplyError:
    return ApplyError(f"host {host}: {what}: kernel said {os.strerror(code)} (errno {code})")


def retry(what: str, host: str, fn: Callable, *args, **kwargs):
    """Run one netlink call, retrying transient kernel errors with backoff."""
    for attempt in range(RETRIES):
        try:
            return fn(*args, **kwargs)
        except NetlinkError as exc:
            if exc.code in TRANSIENT and attempt < RETRIES - 1:
                time.sleep(0.005 * 2**attempt)
                continue
            raise _fail(host, what, exc.code) from exc
        except OSError as exc:
            raise ApplyError(f"host {host}: {what}: {exc}") from exc


def do_requests(rt: rtnl.Rtnl, host: str, where: str, requests) -> None:
    """Send a batch; resend only what failed transiently; a removal of something already gone and
    a creation that meets its object after a retry (a race with ourselves) count as done."""
    for attempt in range(RETRIES):
        try:
            rt.do(*requests)
            return
        except rtnl.RequestError as exc:
            again = []
            for request, code in exc.failures:
                if request.removal and code in GONE or (attempt and request.creation and code == errno.EEXIST):
                    continue
                if code in TRANSIENT and attempt < RETRIES - 1:
                    again.append(request)
                    continue
                raise _fail(host, f"{request.what} in {where}", code) from exc
            if not again:
                return
            requests = again
            time.sleep(0.005 * 2**attempt)


def _ns_mark(deployment: str, host: str) -> str:
    return f"{owner_mark(deployment)}@{host}"


def _marked_by_mvlab(link: rtnl.LinkState) -> bool:
    """Made by mvlab for some deployment (its ifalias starts `mvlab:`)."""
    return (link.alias or "").startswith(OWNER_PREFIX)


def _is_link_local(address: str) -> bool:
    return ipaddress.ip_interface(address).ip.is_link_local and ":" in address


class _Namespace:
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


class _Reconciler:
    def __init__(self, plan: HostPlan, target: Target, emit: Emit | None):
        self.plan = plan
        self.target = target
        self.emit = emit
        self.mark = owner_mark(plan.deployment)
        self.ns_mark = _ns_mark(plan.deployment, plan.host)
        self.report = ApplyReport(plan.deployment, plan.host)
        self.spaces: dict[str, _Namespace] = {}
        self.foreign_routes: set[str] | None = None  # on a machine: this host's routes through links not mvlab's
        self._protected: set[str] | None = None

    # ---- plumbing ----------------------------------------------------------------

    def step(self, name: str, fn: Callable[[], None]) -> None:
        self._event(name, "started")
        before = len(self.report.actions)
        try:
            fn()
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
            self.emit(StepEvent(deployment=self.plan.deployment, host=self.plan.host, step=step,
                                status=status, detail=detail[:2000]))

    def call(self, what: str, fn: Callable, *args, **kwargs):
        return retry(what, self.plan.host, fn, *args, **kwargs)

    def do(self, space: _Namespace, *requests: rtnl.Request) -> None:
        do_requests(space.rt, self.plan.host, space.kernel_name, requests)

    def kernel_ns(self, logical: str) -> str:
        return self.target.host_ns if logical == HOST_NS else netns_name(self.plan.deployment, logical)

    def space(self, logical: str) -> _Namespace:
        return self.spaces[self.kernel_ns(logical)]

    def open_space(self, kernel_name: str, owned_whole: bool) -> _Namespace:
        """Open a namespace; a container's is inspected in the same visit (sysctls, NAT table)."""
        if owned_whole:
            sock, sysctls, table = self.call(f"open namespace {kernel_name}", netns.run_in, kernel_name, _inspect)
            space = _Namespace(kernel_name, rtnl.Rtnl(sock), owned_whole)
            space.sysctls, space.has_table = sysctls, table
        else:
            space = _Namespace(kernel_name, self.call(f"open namespace {kernel_name}", netns.rtnl, kernel_name),
                               owned_whole)
        self.spaces[kernel_name] = space
        self.call(f"list links of {kernel_name}", space.refresh)
        return space

    def close(self) -> None:
        for space in self.spaces.values():
            space.rt.close()
        self.spaces.clear()
        netns.remove(_staging_ns(self.plan.deployment, self.plan.host))

    def marked(self, link: rtnl.LinkState) -> bool:
        """Carries this deployment's mark: exactly (made by apply) or with a suffix (made by the sandbox)."""
        alias = link.alias or ""
        return alias == self.mark or alias.startswith(self.mark + ":")

    def may_change(self, space: _Namespace, name: str) -> bool:
        return space.owned_whole or self.marked(space.links[name])

    # ---- phases ------------------------------------------------------------------

    def run(self) -> ApplyReport:
        try:
            self.step("host", self.check_host)
            self.step("namespaces", self.sync_namespaces)
            self.step("links", self.sync_links)
            self.step("addresses", self.sync_addresses)
            self.step("routes", self.sync_routes)
            self.step("sysctls", self.sync_sysctls)
            self.step("masquerade", self.sync_masquerade)
        finally:
            self.close()
        return self.report

    def check_host(self) -> None:
        host = self.open_space(self.target.host_ns, owned_whole=False)
        if self.target.on_machine:
            with MachineState.edit(self.target.host_ns) as state:
                self.foreign_routes = set(state.routes.get(self.ns_mark, []))
        for nic in self.plan.nics:
            if self.target.allowed_nics is not None and nic not in self.target.allowed_nics:
                raise ApplyError(
                    f"host {self.plan.host}: NIC {nic} is not in this agent's allowed_nics "
                    f"{sorted(self.target.allowed_nics)}"
                )
            if nic not in host.links:
                raise ApplyError(f"host {self.plan.host}: NIC {nic} does not exist in {self.target.host_ns}")

    def sync_namespaces(self) -> None:
        dep = self.plan.deployment
        wanted = {netns_name(dep, ns.name) for ns in self.plan.namespaces}
        for name in _container_namespaces(dep):
            if not netns.exists(name):  # left by a create that died halfway
                if name not in wanted:
                    netns.remove(name)
                continue
            if name in wanted:
                space = self.open_space(name, owned_whole=True)
                mark = space.links["lo"].alias
                if mark in (None, self.ns_mark):
                    continue
                space.rt.close()
                del self.spaces[name]
                netns.remove(name)  # the container moved here from another host of the sandbox
                self.report.note("removed", f"namespace {name} (held by {mark})")
            elif name not in self.target.claimed_elsewhere and _namespace_host_mark(name) in (None, self.ns_mark):
                netns.remove(name)
                self.report.note("removed", f"namespace {name}")
        for name in sorted(wanted - set(self.spaces)):
            created, rt = self.call(f"create namespace {name}", netns.create_rtnl, name)
            space = self.spaces[name] = _Namespace(name, rt, owned_whole=True)
            if created:
                self.report.note("created", f"namespace {name}")
                space.fresh = True  # nothing but lo in it: no need to list what it holds
                space.links = {"lo": rtnl.fresh_loopback()}
            else:
                self.call(f"list links of {name}", space.refresh)
        for name in sorted(wanted):
            self.ensure_loopback(self.spaces[name])

    def ensure_loopback(self, space: _Namespace) -> None:
        lo = space.links["lo"]
        if lo.alias != self.ns_mark or not lo.up:
            self.do(space, rtnl.link_set(index=lo.index, alias=self.ns_mark, up=True))

    def sync_links(self) -> None:
        wanted: dict[str, set[str]] = {}
        for link in self.plan.links:
            wanted.setdefault(self.kernel_ns(link.namespace), set()).add(link.name)
        for space in self.spaces.values():
            stale = [
                link for name, link in space.links.items()
                if name != "lo" and name not in wanted.get(space.kernel_name, set())
                and (space.owned_whole or link.alias == self.mark)
            ]
            if stale:
                self.do(space, *(rtnl.link_del(link.index, link.name) for link in stale))
                for link in stale:
                    self.report.note("removed", f"link {link.name} in {space.kernel_name}")
                self.call(f"list links of {space.kernel_name}", space.refresh)
        # vlans before macvlans: a macvlan's parent may be a vlan
        for link in sorted(self.plan.links, key=lambda l: (l.kind != "vlan", l.namespace != HOST_NS)):
            self.sync_link(link)

    def sync_link(self, link: Link) -> None:
        host = self.space(HOST_NS)
        space = self.space(link.namespace)
        where = f"{link.kind} link {link.name} in {space.kernel_name}"
        if link.kind == "vlan" and self.target.emulated_vlans:
            if link.name not in host.links:
                raise ApplyError(f"host {self.plan.host}: {where}: the sandbox has no emulating link")
            return
        parent = self.parent_index(link, where)
        current = space.links.get(link.name)
        if current is None:
            self.create_link(link, parent, host, space, where)
            self.report.note("created", where)
        elif not space.owned_whole and current.alias != self.mark:
            if self.found_as_planned(current, link, parent):
                return  # the machine's own 802.1Q sub-interface: used as found, as Docker does; never changed
            foreign_vlan = link.kind == "vlan" and not _marked_by_mvlab(current)
            raise ApplyError(f"host {self.plan.host}: {where}: exists and is not mvlab's "
                             f"(ifalias {current.alias!r})"
                             + (f", and is not VLAN {link.vid} of {link.parent}, up" if foreign_vlan else ""))
        elif self.matches(current, link, parent):
            self.fix_link(space, current, link, where)
        else:
            self.do(space, rtnl.link_del(current.index, link.name))
            self.create_link(link, parent, host, space, where)
            self.report.note("changed", f"{where} (recreated)")
        if link.kind == "macvlan" and link.mode != "passthru":
            self.ensure_promiscuous(link.parent)

    def parent_index(self, link: Link, where: str) -> int:
        host = self.space(HOST_NS)
        allowed = self.target.allowed_nics
        own_vlans = {l.name for l in self.plan.links if l.kind == "vlan"}
        if allowed is not None and link.parent not in allowed and link.parent not in own_vlans:
            raise ApplyError(f"host {self.plan.host}: {where}: parent {link.parent} is not an allowed NIC")
        index = host.index(link.parent)
        if index is None:
            raise ApplyError(f"host {self.plan.host}: {where}: parent {link.parent} does not exist")
        return index

    def found_as_planned(self, current: rtnl.LinkState, link: Link, parent: int) -> bool:
        """An unmarked VLAN sub-interface of the machine (made by its admin) that is the planned one, up."""
        return (link.kind == "vlan" and not _marked_by_mvlab(current) and current.up
                and self.matches(current, link, parent))

    @staticmethod
    def matches(current: rtnl.LinkState, link: Link, parent: int) -> bool:
        if current.kind != link.kind or current.parent != parent:
            return False
        if link.kind == "vlan":
            return current.vlan_id == link.vid
        return current.macvlan_mode == link.mode

    def create_link(self, link: Link, parent: int, host: _Namespace, space: _Namespace, where: str) -> None:
        """Make `link` inside `space` (IFLA_NET_NS_FD: its name never meets the host's links), marked.

        The kernel ignores IFLA_IFALIAS on creation, so a link meant for the host namespace is born in
        the deployment's staging namespace, marked there, then moved: a crash never leaves an
        unmarked link among the host's. A container namespace is the deployment's as a whole.
        """
        birth = self.staging() if space is host else space
        with _ns_fd(birth.kernel_name) as fd:
            request = rtnl.link_add(link.name, link.kind, parent=parent, mac=_own_mac(link), netns_fd=fd, up=True,
                                    macvlan_mode=link.mode, vlan_id=link.vid)
            do_requests(host.rt, self.plan.host, space.kernel_name, [request])
        self.do(birth, rtnl.link_set(name=link.name, alias=self.mark))
        if birth is not space:
            with _ns_fd(space.kernel_name) as fd:
                self.do(birth, rtnl.link_set(name=link.name, netns_fd=fd))
            self.do(space, rtnl.link_set(name=link.name, up=True))  # a move takes a link down
        self.call(f"list links of {space.kernel_name}", space.refresh)

    def staging(self) -> _Namespace:
        name = _staging_ns(self.plan.deployment, self.plan.host)
        if name not in self.spaces:
            netns.remove(name)  # whatever a crashed apply left half-made there
            created, rt = self.call(f"create namespace {name}", netns.create_rtnl, name)
            self.spaces[name] = _Namespace(name, rt, owned_whole=True)
            self.spaces[name].links = {"lo": rtnl.fresh_loopback()}
        return self.spaces[name]

    def fix_link(self, space: _Namespace, current: rtnl.LinkState, link: Link, where: str) -> None:
        fixes = {}
        if current.alias != self.mark:
            fixes["alias"] = self.mark
        if _own_mac(link) and current.address != link.mac:
            fixes["mac"] = link.mac
        if not current.up:
            fixes["up"] = True
        if fixes:
            self.do(space, rtnl.link_set(index=current.index, **fixes))
            self.report.note("changed", f"{where} ({', '.join(sorted(fixes))})")
            self.call(f"list links of {space.kernel_name}", space.refresh)

    def ensure_promiscuous(self, parent: str) -> None:
        """Parents of macvlans receive frames for many MACs; set promisc where mvlab may change the link."""
        host = self.space(HOST_NS)
        link = host.links[parent]
        if link.flags & rtnl.IFF_PROMISC or not self.marked(link):
            return
        self.do(host, rtnl.link_set(index=link.index, promisc=True))
        self.report.note("changed", f"link {parent} promiscuous")
        self.call(f"list links of {host.kernel_name}", host.refresh)

    def sync_addresses(self) -> None:
        wanted: dict[tuple[str, str], set[str]] = {}
        for link in self.plan.links:
            wanted.setdefault((self.kernel_ns(link.namespace), link.name), set()).update(link.addresses)
        for entry in self.plan.host_addresses:
            wanted.setdefault((self.target.host_ns, entry.link), set()).add(entry.address)
        for (kernel_name, name), goal in wanted.items():
            space = self.spaces[kernel_name]
            if name not in space.links:
                raise ApplyError(f"host {self.plan.host}: address on {name} in {kernel_name}: no such link")
            # a real host's NIC is not mvlab's: the design may name an address it already holds, never add one
            missing = set() if self.may_change(space, name) else goal - self.held_addresses(space, name)
            if missing:
                raise ApplyError(f"host {self.plan.host}: address {', '.join(sorted(missing))} on {name} "
                                 f"in {kernel_name}: the link is not mvlab's, so mvlab does not add it (give "
                                 f"the machine that address, or leave it out of the design)")
        for space in self.spaces.values():
            mine = {link.index: name for name, link in space.links.items()
                    if name != "lo" and self.may_change(space, name)}
            have: dict[int, set[str]] = {index: set() for index in mine}
            existing = [] if space.fresh else self.call(f"list addresses of {space.kernel_name}", space.rt.addresses)
            for entry in existing:
                if entry.index in have and not _is_link_local(entry.address):
                    have[entry.index].add(str(ipaddress.ip_interface(entry.address)))
            requests, notes = [], []
            for index, name in mine.items():
                goal = wanted.get((space.kernel_name, name), set())
                for address in sorted(have[index] - goal):
                    requests.append(rtnl.addr(False, index, address))
                    notes.append(("removed", f"address {address} on {name} in {space.kernel_name}"))
                for address in sorted(goal - have[index]):
                    requests.append(rtnl.addr(True, index, address))
                    notes.append(("created", f"address {address} on {name} in {space.kernel_name}"))
            self.do(space, *requests)
            for kind, what in notes:
                self.report.note(kind, what)

    def held_addresses(self, space: _Namespace, name: str) -> set[str]:
        index = space.links[name].index
        entries = self.call(f"list addresses of {space.kernel_name}", space.rt.addresses)
        return {str(ipaddress.ip_interface(e.address)) for e in entries if e.index == index}

    def sync_routes(self) -> None:
        wanted: dict[str, list[tuple]] = {name: [] for name in self.spaces}
        for route in self.plan.routes:
            space = self.space(route.namespace)
            wanted[space.kernel_name].append(self.route_key(space, route))
        foreign: set[str] = set()  # host routes through links not mvlab's (allowed prefixes)
        if self.foreign_routes is not None:
            host = self.space(HOST_NS)
            planned = wanted[host.kernel_name]
            foreign = {key[1] for key in planned if self.leaves_foreign(host, key, planned)}
            if not foreign <= self.foreign_routes:
                self.keep_foreign_routes(self.foreign_routes | foreign)  # before they exist: a crash still knows them
        for kernel_name, space in self.spaces.items():
            missing = list(wanted[kernel_name])
            requests, notes = [], []
            existing = [] if space.fresh else self.call(f"list routes of {kernel_name}", space.rt.routes)
            for entry in existing:
                if entry.proto != MVLAB_ROUTE_PROTO or entry.table != MAIN_TABLE or not self.route_is_ours(space, entry):
                    continue
                found = next((key for key in missing if _route_satisfies(entry, key)), None)
                if found is not None:
                    missing.remove(found)
                    continue
                requests.append(rtnl.route(False, entry.dst, gateway=entry.gateway, oif=entry.oif,
                                           proto=MVLAB_ROUTE_PROTO))
                notes.append(("removed", f"route {_show_route(entry.dst, entry.gateway, entry.oif)} in {kernel_name}"))
            for family, dst, via, oif in missing:
                requests.append(rtnl.route(True, dst, gateway=via, oif=oif, proto=MVLAB_ROUTE_PROTO))
                notes.append(("created", f"route {_show_route(dst, via, oif)} in {kernel_name}"))
            self.do(space, *requests)
            for kind, what in notes:
                self.report.note(kind, what)
        if self.foreign_routes is not None and self.foreign_routes != foreign:
            self.keep_foreign_routes(foreign)

    def keep_foreign_routes(self, destinations: set[str]) -> None:
        with MachineState.edit(self.target.host_ns) as state:
            state.routes[self.ns_mark] = sorted(destinations)
        self.foreign_routes = destinations

    def leaves_foreign(self, space: _Namespace, key: tuple, planned: list[tuple]) -> bool:
        """Check a route of the machine's own namespace, among the `planned` ones: ApplyError naming
        the route and why, when it is refused; True when it leaves through a link mvlab did not make
        (to an allowed prefix)."""
        family, dst, via, oif = key
        network = ipaddress.ip_network(dst)
        route = f"host {self.plan.host}: route to {dst}" + (f" via {via}" if via else "") + " refused"
        if network.prefixlen == 0:
            raise ApplyError(f"{route}: a default route would take all of this machine's traffic")
        covered = sorted(a for a in self.protected() if ipaddress.ip_address(a) in network)
        if covered:
            raise ApplyError(f"{route}: it covers {covered[0]}, on this agent's own way to its broker")
        if oif is None:  # where the kernel will send to `via`: a planned link route (a shim's) or what it has now
            gateway = ipaddress.ip_address(via)
            on_link = sorted((ipaddress.ip_network(to).prefixlen, dev) for _, to, hop, dev in planned
                             if hop is None and gateway in ipaddress.ip_network(to))
            if on_link:
                oif = on_link[-1][1]
            else:
                [lookup] = self.call(f"route to {via} in {space.kernel_name}", space.rt.route_get, [via])
                oif = None if lookup is None else lookup.oif
        link = next((link for link in space.links.values() if link.index == oif), None)
        if link is not None and self.marked(link):
            return False
        allowed = self.target.allowed_routes
        if any(network.version == prefix.version and network.subnet_of(prefix) for prefix in allowed):
            return True
        raise ApplyError(
            f"{route}: it leaves through {link.name if link else 'no link'}, which mvlab did not make, and "
            f"{dst} is in none of this agent's --allowed-routes ({', '.join(map(str, allowed)) or 'none given'})"
        )

    def protected(self) -> set[str]:
        """The broker's addresses and the gateways this machine reaches them through."""
        if self._protected is None:
            space = self.space(HOST_NS)
            addresses = sorted(self.target.protected)
            lookups = self.call(f"routes to the broker in {space.kernel_name}", space.rt.route_get, addresses)
            self._protected = set(addresses) | {found.gateway for found in lookups if found and found.gateway}
        return self._protected

    def route_key(self, space: _Namespace, route: Route) -> tuple:
        if route.dst == "default":
            family = 10 if route.via and ":" in route.via else 2
            dst = "0.0.0.0/0" if family == 2 else "::/0"
        else:
            dst = route.dst
            family = 10 if ":" in dst else 2
        oif = None
        if route.dev is not None:
            oif = space.index(route.dev)
            if oif is None:
                raise ApplyError(f"host {self.plan.host}: route to {route.dst}: no link {route.dev} "
                                 f"in {space.kernel_name}")
        return (family, dst, route.via, oif)

    def route_is_ours(self, space: _Namespace, entry: rtnl.RouteState) -> bool:
        if space.owned_whole or self.foreign_routes is not None and entry.dst in self.foreign_routes:
            return True
        return any(link.index == entry.oif and self.marked(link) for link in space.links.values())

    def sync_sysctls(self) -> None:
        wanted: dict[str, dict[str, str]] = {}
        for ns in self.plan.namespaces:
            # a container namespace is the deployment's: one that stopped routing stops forwarding
            # (a fresh one starts at the kernel's 0 anyway)
            if ns.forwarding or not self.space(ns.name).fresh:
                wanted[self.kernel_ns(ns.name)] = dict.fromkeys(FORWARDING_SYSCTLS, "1" if ns.forwarding else "0")
        for sysctl in self.plan.sysctls:
            wanted.setdefault(self.kernel_ns(sysctl.namespace), {})[sysctl.key] = sysctl.value
        if self.target.on_machine:
            self.keep_machine_sysctls(wanted.get(self.target.host_ns, {}))
        for kernel_name, values in sorted(wanted.items()):
            known = self.spaces[kernel_name].sysctls
            if all(known.get(key) == value for key, value in values.items()):
                continue
            changed = self.call(f"sysctls in {kernel_name}", netns.run_in, kernel_name, _write_sysctls, values)
            for key in changed:
                self.report.note("changed", f"sysctl {key}={values[key]} in {kernel_name}")

    def keep_machine_sysctls(self, values: dict[str, str]) -> None:
        """Hold the machine's sysctls this plan sets, keeping the value each had before mvlab first
        set it; let go of those it no longer sets (back to that value when no other host holds them)."""
        host = self.target.host_ns
        with MachineState.edit(host) as state:
            held = state.held(self.ns_mark)
            new = [key for key in values if key not in held]
            if new:
                state.hold(self.ns_mark, self.call(f"sysctls in {host}", netns.run_in, host, _read_sysctls, new))
            back = state.release(self.ns_mark, [key for key in held if key not in values])
            _restore_sysctls(back, host, self.report)

    def sync_masquerade(self) -> None:
        by_ns: dict[str, list] = {}
        for rule in self.plan.masquerade:
            by_ns.setdefault(self.kernel_ns(rule.namespace), []).append(rule)
        for ns in self.plan.namespaces:
            kernel_name = self.kernel_ns(ns.name)
            rules = by_ns.get(kernel_name, [])
            if not rules and (self.spaces[kernel_name].fresh or self.spaces[kernel_name].has_table is False):
                continue
            try:
                outcome = sync_masquerade(kernel_name, self.plan.deployment, rules)
            except (OSError, RuntimeError) as exc:
                raise ApplyError(f"host {self.plan.host}: masquerade in {kernel_name}: {exc}") from exc
            if outcome:
                self.report.note(outcome, f"masquerade table in {kernel_name}")


def _inspect() -> tuple[socket.socket, dict[str, str], bool]:
    """Inside a container namespace, in one visit: a netlink socket, its forwarding sysctls, its NAT table."""
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, netns.NETLINK_ROUTE)
    return sock, _read_sysctls(FORWARDING_SYSCTLS), has_table()


def _read_sysctls(keys) -> dict[str, str]:
    """Inside a namespace: the value of each sysctl."""
    values = {}
    for key in keys:
        with open(netns.sysctl_path(key)) as f:
            values[key] = f.read().strip()
    return values


def _restore_sysctls(values: dict[str, str], ns: str, report: ApplyReport) -> None:
    """Put sysctls of the machine's namespace back to the values they had before mvlab set them."""
    if not values:
        return
    changed = retry(f"sysctls in {ns}", report.host, netns.run_in, ns, _write_sysctls, values)
    for key in changed:
        report.note("changed", f"sysctl {key} back to {values[key]} in {ns}")


def _write_sysctls(values: dict[str, str]) -> list[str]:
    """Inside a namespace: set each sysctl that differs; return the keys changed."""
    changed = []
    for key, value in sorted(values.items()):
        path = netns.sysctl_path(key)
        with open(path) as f:
            if f.read().strip() == value:
                continue
        with open(path, "w") as f:
            f.write(value)
        changed.append(key)
    return changed


def _route_satisfies(entry: rtnl.RouteState, key: tuple) -> bool:
    """Does the kernel's route hold plan route `key`? (the kernel always names a device)"""
    family, dst, via, oif = key
    return (entry.family, entry.dst, entry.gateway) == (family, dst, via) and (oif is None or entry.oif == oif)


def _show_route(dst: str, via: str | None, oif: int | None) -> str:
    return dst + (f" via {via}" if via else "") + (f" oif {oif}" if oif is not None else "")


def _own_mac(link: Link) -> str | None:
    """The MAC to give the link: a passthru macvlan wears its parent's (setting it would change the parent's)."""
    return None if link.mode == "passthru" else link.mac


@contextmanager
def _ns_fd(name: str):
    fd = os.open(netns.ns_path(name), os.O_RDONLY | os.O_CLOEXEC)
    try:
        yield fd
    finally:
        os.close(fd)


def _staging_ns(deployment: str, host: str) -> str:
    """Where host-namespace links are born and marked (a dot: never a container's name)."""
    return netns_name(deployment, f"{host}.staging")


def _container_namespaces(deployment: str) -> list[str]:
    """The deployment's container/router namespaces here (sandbox host and fabric names hold a dot)."""
    prefix = netns_name(deployment, "")
    return [name for name in netns.list_namespaces(prefix) if "." not in name[len(prefix):]]


def _namespace_host_mark(name: str) -> str | None:
    """The `mvlab:<dep>@<host>` on lo of namespace `name`, or None if unmarked (half-made)."""
    with netns.rtnl(name) as rt:
        return next((link.alias for link in rt.links() if link.name == "lo"), None)


def apply_plan(plan: HostPlan, target: Target, emit: Emit | None = None) -> ApplyReport:
    """Make the kernel at `target` hold exactly what `plan` asks for; return what changed."""
    plan = HostPlan.model_validate(plan.model_dump())  # validated again on the agent side
    return _Reconciler(plan, target, emit).run()


def teardown(deployment: str, target: Target, emit: Emit | None = None, hosts=()) -> ApplyReport:
    """Remove every namespace, link and host route of `deployment` at `target` and put back the
    machine's sysctls it changed; nothing else.

    `hosts`: the design hosts this agent serves; a namespace another host's apply marked (several
    agents or sandbox hosts sharing one machine's /run/netns) is left to that host. Empty: every
    host's. Everything is tried; then ApplyError names each object still there and why.
    """
    hosts = sorted(hosts)
    report = ApplyReport(deployment, ",".join(hosts))
    mine = {None, *(_ns_mark(deployment, host) for host in hosts)}
    errors: dict[str, str] = {}

    def event(status: str, detail: str) -> None:
        if emit is not None:
            for host in hosts:
                emit(StepEvent(deployment=deployment, host=host, step="teardown", status=status, detail=detail[:2000]))

    def attempt(what: str, fn: Callable, *args) -> bool:
        try:
            fn(*args)
        except (ApplyError, OSError) as exc:
            errors[what] = str(exc)
            return False
        return True

    def ours(name: str) -> bool:
        return name not in target.claimed_elsewhere and (not hosts or _namespace_host_mark(name) in mine)

    def left() -> list[str]:
        found = [f"namespace {name}" for name in _container_namespaces(deployment)
                 if not netns.exists(name) or ours(name)]
        if netns.exists(target.host_ns):
            with netns.rtnl(target.host_ns) as rt:
                found += [f"link {link.name} in {target.host_ns}" for link in rt.links() if link.alias == mark]
        if target.on_machine:
            with MachineState.edit(target.host_ns) as state:
                for holder in _holders(deployment, hosts, state):
                    found += [f"route to {dst} in {target.host_ns}" for dst in state.routes.get(holder, [])]
                    found += [f"sysctl {key} in {target.host_ns}" for key in state.held(holder)]
        return found

    mark = owner_mark(deployment)
    event("started", "")
    for name in _container_namespaces(deployment):
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
    with netns.rtnl(target.host_ns) as rt:
        owned = [link for link in rt.links() if link.alias == mark]
        do_requests(rt, report.host, target.host_ns, [rtnl.link_del(link.index, link.name) for link in owned])
        for link in owned:
            report.note("removed", f"link {link.name} in {target.host_ns}")
        if not target.on_machine:
            return
        with MachineState.edit(target.host_ns) as state:
            holders = _holders(deployment, hosts, state)
            kept = {dst for holder in holders for dst in state.routes.pop(holder, [])}
            foreign = [entry for entry in rt.routes() if entry.proto == MVLAB_ROUTE_PROTO and entry.dst in kept]
            do_requests(rt, report.host, target.host_ns, [
                rtnl.route(False, entry.dst, gateway=entry.gateway, oif=entry.oif, proto=MVLAB_ROUTE_PROTO)
                for entry in foreign
            ])
            for entry in foreign:
                report.note("removed", f"route {_show_route(entry.dst, entry.gateway, entry.oif)} in {target.host_ns}")
            back = {}
            for holder in holders:
                back.update(state.release(holder, state.held(holder)))
            _restore_sysctls(back, target.host_ns, report)


def _holders(deployment: str, hosts: list[str], state: MachineState) -> list[str]:
    """Who holds what `deployment` changed in a machine's namespace for `hosts` (all of its hosts if none)."""
    if hosts:
        return [_ns_mark(deployment, host) for host in hosts]
    prefix = _ns_mark(deployment, "")
    return sorted(holder for holder in state.holders() if holder.startswith(prefix))


__all__ = ["ApplyError", "ApplyReport", "Target", "apply_plan", "teardown", "MVLAB_ROUTE_PROTO"]
