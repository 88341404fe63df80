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
  those through the deployment's links are its own.

Applying the same plan twice changes nothing the second time (`ApplyReport`).
"""

from __future__ import annotations

import errno
import ipaddress
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from agent import netns
from agent.masquerade import sync_masquerade
from agent.plan import (
    HOST_NS,
    NETNS_PREFIX,
    HostPlan,
    Link,
    Route,
    StepEvent,
    netns_name,
    owner_mark,
)

MVLAB_ROUTE_PROTO = 251  # unassigned in iproute2 rt_protos
IFF_UP = 0x1
IFF_PROMISC = 0x100
IFA_F_NODAD = 0x02
MAIN_TABLE = 254
TRANSIENT = frozenset({errno.EBUSY, errno.EAGAIN, errno.ENOBUFS, errno.EINTR})
RETRIES = 5

Emit = Callable[[StepEvent], None]


class ApplyError(RuntimeError):
    """A step failed; the message names the object, the host and the kernel's error."""


@dataclass(frozen=True)
class Target:
    """Where a plan's host namespace (HOST_NS) is.

    `host_ns` is a namespace name, or `netns.MACHINE` on a real host. On a real
    host `allowed_nics` lists the only links that may be parents; in a sandbox it
    is None and `emulated_vlans` says the plan's vlan links are veths the sandbox
    made. `claimed_elsewhere`: namespaces other hosts of the same sandbox hold.
    """

    host_ns: str
    allowed_nics: frozenset[str] | None = None
    emulated_vlans: bool = False
    claimed_elsewhere: frozenset[str] = frozenset()

    @classmethod
    def machine(cls, allowed_nics) -> "Target":
        return cls(host_ns=netns.MACHINE, allowed_nics=frozenset(allowed_nics))

    @classmethod
    def sandbox_host(cls, host_ns: str, claimed_elsewhere=frozenset()) -> "Target":
        return cls(host_ns=host_ns, emulated_vlans=True, claimed_elsewhere=frozenset(claimed_elsewhere))


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


def retry(what: str, host: str, fn: Callable, *args, **kwargs):
    """Run one netlink call, retrying transient kernel errors with backoff."""
    for attempt in range(RETRIES):
        try:
            return fn(*args, **kwargs)
        except NetlinkError as exc:
            if exc.code in TRANSIENT and attempt < RETRIES - 1:
                time.sleep(0.005 * 2**attempt)
                continue
            raise ApplyError(f"host {host}: {what}: kernel said {os.strerror(exc.code)} (errno {exc.code})") from exc
        except OSError as exc:
            raise ApplyError(f"host {host}: {what}: {exc}") from exc


def _linkinfo(msg, name):
    info = msg.get_attr("IFLA_LINKINFO")
    if info is None:
        return None
    if name == "kind":
        return info.get_attr("IFLA_INFO_KIND")
    data = info.get_attr("IFLA_INFO_DATA")
    return None if data is None or isinstance(data, (str, bytes)) else data.get_attr(name)


def _ns_mark(deployment: str, host: str) -> str:
    return f"{owner_mark(deployment)}@{host}"


def _is_link_local(address: str) -> bool:
    return ipaddress.ip_interface(address).ip.is_link_local and ":" in address


class _Namespace:
    """One namespace being reconciled: its handle and a snapshot of its links."""

    def __init__(self, kernel_name: str, ipr: IPRoute, owned_whole: bool):
        self.kernel_name = kernel_name
        self.ipr = ipr
        self.owned_whole = owned_whole  # a container namespace: everything in it is the deployment's
        self.links: dict[str, object] = {}

    def refresh(self) -> None:
        self.links = {link.get_attr("IFLA_IFNAME"): link for link in self.ipr.get_links()}

    def index(self, name: str) -> int | None:
        link = self.links.get(name)
        return None if link is None else link["index"]


class _Reconciler:
    def __init__(self, plan: HostPlan, target: Target, emit: Emit | None):
        self.plan = plan
        self.target = target
        self.emit = emit
        self.mark = owner_mark(plan.deployment)
        self.report = ApplyReport(plan.deployment, plan.host)
        self.spaces: dict[str, _Namespace] = {}

    # ---- plumbing ----------------------------------------------------------------

    def step(self, name: str, fn: Callable[[], None]) -> None:
        self._event(name, "started")
        before = len(self.report.actions)
        try:
            fn()
        except ApplyError as exc:
            self._event(name, "failed", str(exc))
            raise
        self._event(name, "done", "; ".join(self.report.actions[before:]))

    def _event(self, step: str, status: str, detail: str = "") -> None:
        if self.emit is not None:
            self.emit(StepEvent(deployment=self.plan.deployment, host=self.plan.host, step=step,
                                status=status, detail=detail[:2000]))

    def call(self, what: str, fn: Callable, *args, **kwargs):
        return retry(what, self.plan.host, fn, *args, **kwargs)

    def kernel_ns(self, logical: str) -> str:
        return self.target.host_ns if logical == HOST_NS else netns_name(self.plan.deployment, logical)

    def space(self, logical: str) -> _Namespace:
        return self.spaces[self.kernel_ns(logical)]

    def open_space(self, kernel_name: str, owned_whole: bool) -> _Namespace:
        ipr = self.call(f"open namespace {kernel_name}", netns.handle, kernel_name)
        space = _Namespace(kernel_name, ipr, owned_whole)
        self.spaces[kernel_name] = space
        space.refresh()
        return space

    def close(self) -> None:
        for space in self.spaces.values():
            space.ipr.close()
        self.spaces.clear()

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
        for nic in self.plan.nics:
            if self.target.allowed_nics is not None and nic not in self.target.allowed_nics:
                raise ApplyError(
                    f"host {self.plan.host}: NIC {nic} is not in this agent's allowed_nics "
                    f"{sorted(self.target.allowed_nics)}"
                )
            if nic not in host.links:
                raise ApplyError(f"host {self.plan.host}: NIC {nic} does not exist in {self.target.host_ns}")

    def sync_namespaces(self) -> None:
        dep, mine = self.plan.deployment, _ns_mark(self.plan.deployment, self.plan.host)
        wanted = {netns_name(dep, ns.name) for ns in self.plan.namespaces}
        for name in _container_namespaces(dep):
            mark = _namespace_host_mark(name)
            if name in wanted and mark not in (None, mine):
                netns.remove(name)  # the container moved here from another host of the sandbox
                self.report.note("removed", f"namespace {name} (held by {mark})")
            elif name not in wanted and name not in self.target.claimed_elsewhere and mark in (None, mine):
                netns.remove(name)
                self.report.note("removed", f"namespace {name}")
        for name in sorted(wanted):
            if self.call(f"create namespace {name}", netns.create, name):
                self.report.note("created", f"namespace {name}")
            self.ensure_loopback(self.open_space(name, owned_whole=True))

    def ensure_loopback(self, space: _Namespace) -> None:
        lo = space.links["lo"]
        mark = _ns_mark(self.plan.deployment, self.plan.host)
        fixes = {}
        if lo.get_attr("IFLA_IFALIAS") != mark:
            fixes["ifalias"] = mark
        if not lo["flags"] & IFF_UP:
            fixes["state"] = "up"
        if fixes:
            self.call(f"set lo of {space.kernel_name}", space.ipr.link, "set", index=lo["index"], **fixes)

    def sync_links(self) -> None:
        wanted: dict[str, set[str]] = {}
        for link in self.plan.links:
            wanted.setdefault(self.kernel_ns(link.namespace), set()).add(link.name)
        for space in self.spaces.values():
            for name, msg in list(space.links.items()):
                if name == "lo" or name in wanted.get(space.kernel_name, set()):
                    continue
                if space.owned_whole or msg.get_attr("IFLA_IFALIAS") == self.mark:
                    self.call(f"remove link {name} in {space.kernel_name}", space.ipr.link, "del", index=msg["index"])
                    self.report.note("removed", f"link {name} in {space.kernel_name}")
            space.refresh()
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
        if current is not None:
            alias = current.get_attr("IFLA_IFALIAS")
            if not space.owned_whole and alias != self.mark:
                raise ApplyError(f"host {self.plan.host}: {where}: exists and is not mvlab's (ifalias {alias!r})")
            if self.matches(current, link, parent):
                self.fix_link(space, current, link, where)
                return
            self.call(f"remove {where}", space.ipr.link, "del", index=current["index"])
            space.refresh()
            self.create_link(link, parent, host, space, where)
            self.report.note("changed", f"{where} (recreated)")
            return
        self.create_link(link, parent, host, space, where)
        self.report.note("created", where)

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

    def matches(self, msg, link: Link, parent: int) -> bool:
        if _linkinfo(msg, "kind") != link.kind or msg.get_attr("IFLA_LINK") != parent:
            return False
        if link.kind == "vlan":
            return _linkinfo(msg, "IFLA_VLAN_ID") == link.vid
        return _linkinfo(msg, "IFLA_MACVLAN_MODE") == link.mode

    def create_link(self, link: Link, parent: int, host: _Namespace, space: _Namespace, where: str) -> None:
        spec = {"ifname": link.name, "kind": link.kind, "link": parent, "state": "up"}
        if link.kind == "vlan":
            spec["vlan_id"] = link.vid
        else:
            spec["macvlan_mode"] = link.mode
        if link.mac:
            spec["address"] = link.mac
        if space is not host:
            fd = os.open(netns.ns_path(space.kernel_name), os.O_RDONLY | os.O_CLOEXEC)
            spec["net_ns_fd"] = fd
        try:
            self.call(f"create {where}", host.ipr.link, "add", **spec)
        finally:
            if space is not host:
                os.close(fd)
        # the kernel ignores IFLA_IFALIAS on creation: mark right after
        index = space.ipr.link_lookup(ifname=link.name)
        if not index:
            raise ApplyError(f"host {self.plan.host}: {where}: vanished right after creation")
        self.call(f"mark {where}", space.ipr.link, "set", index=index[0], ifalias=self.mark)
        space.refresh()
        if link.kind == "macvlan" and link.mode != "passthru":
            self.ensure_promiscuous(link.parent)

    def fix_link(self, space: _Namespace, msg, link: Link, where: str) -> None:
        fixes = {}
        if msg.get_attr("IFLA_IFALIAS") != self.mark:
            fixes["ifalias"] = self.mark
        if link.mac and msg.get_attr("IFLA_ADDRESS") != link.mac:
            fixes["address"] = link.mac
        if not msg["flags"] & IFF_UP:
            fixes["state"] = "up"
        if fixes:
            self.call(f"fix {where}", space.ipr.link, "set", index=msg["index"], **fixes)
            self.report.note("changed", f"{where} ({', '.join(sorted(fixes))})")
            space.refresh()
        if link.kind == "macvlan" and link.mode != "passthru":
            self.ensure_promiscuous(link.parent)

    def ensure_promiscuous(self, parent: str) -> None:
        """Parents of macvlans receive frames for many MACs; set promisc where mvlab may change the link."""
        host = self.space(HOST_NS)
        msg = host.links[parent]
        if msg["flags"] & IFF_PROMISC or not self.marked(msg):
            return
        self.call(f"set {parent} promiscuous", host.ipr.link, "set", index=msg["index"],
                  flags=IFF_PROMISC, change=IFF_PROMISC)
        self.report.note("changed", f"link {parent} promiscuous")
        host.refresh()

    def may_change(self, space: _Namespace, name: str) -> bool:
        return space.owned_whole or self.marked(space.links[name])

    def sync_addresses(self) -> None:
        wanted: dict[tuple[str, str], set[str]] = {}
        for link in self.plan.links:
            wanted.setdefault((self.kernel_ns(link.namespace), link.name), set()).update(link.addresses)
        for entry in self.plan.host_addresses:
            wanted.setdefault((self.target.host_ns, entry.link), set()).add(entry.address)
        for space in self.spaces.values():
            for name in space.links:
                if name != "lo" and self.may_change(space, name):
                    wanted.setdefault((space.kernel_name, name), set())
        for (kernel_name, name), addresses in sorted(wanted.items()):
            space = self.spaces[kernel_name]
            if name not in space.links:
                raise ApplyError(f"host {self.plan.host}: address on {name} in {kernel_name}: no such link")
            if not self.may_change(space, name):
                raise ApplyError(f"host {self.plan.host}: address on {name} in {kernel_name}: "
                                 f"the link is not mvlab's, so mvlab does not change it")
            self.sync_link_addresses(space, name, addresses)

    def sync_link_addresses(self, space: _Namespace, name: str, wanted: set[str]) -> None:
        index = space.index(name)
        have = {}
        for msg in space.ipr.get_addr(index=index):
            address = f"{msg.get_attr('IFA_ADDRESS')}/{msg['prefixlen']}"
            if msg["family"] == 2 and msg.get_attr("IFA_LOCAL"):
                address = f"{msg.get_attr('IFA_LOCAL')}/{msg['prefixlen']}"
            address = str(ipaddress.ip_interface(address))
            if not _is_link_local(address):
                have[address] = msg
        for address in sorted(set(have) - wanted):
            iface = ipaddress.ip_interface(address)
            self.call(f"remove address {address} from {name} in {space.kernel_name}", space.ipr.addr, "del",
                      index=index, address=str(iface.ip), prefixlen=iface.network.prefixlen)
            self.report.note("removed", f"address {address} on {name} in {space.kernel_name}")
        for address in sorted(wanted - set(have)):
            iface = ipaddress.ip_interface(address)
            extra = {"flags": IFA_F_NODAD} if iface.version == 6 else {}
            self.call(f"add address {address} to {name} in {space.kernel_name}", space.ipr.addr, "add",
                      index=index, address=str(iface.ip), prefixlen=iface.network.prefixlen, **extra)
            self.report.note("created", f"address {address} on {name} in {space.kernel_name}")

    def sync_routes(self) -> None:
        wanted: dict[str, list[tuple]] = {name: [] for name in self.spaces}
        for route in self.plan.routes:
            space = self.space(route.namespace)
            wanted[space.kernel_name].append(self.route_key(space, route))
        for kernel_name, space in self.spaces.items():
            missing = list(wanted[kernel_name])
            for family in (2, 10):
                for msg in space.ipr.get_routes(family=family, table=MAIN_TABLE):
                    if msg["proto"] != MVLAB_ROUTE_PROTO or not self.route_is_ours(space, msg):
                        continue
                    spec = _route_spec(msg)
                    found = next((key for key in missing if _route_satisfies(spec, key)), None)
                    if found is not None:
                        missing.remove(found)
                        continue
                    self.call(f"remove route {spec} in {kernel_name}", space.ipr.route, "del", **spec)
                    self.report.note("removed", f"route {spec['dst']} in {kernel_name}")
            for key in missing:
                family, dst, via, oif = key
                spec = {"dst": dst, "proto": MVLAB_ROUTE_PROTO, "table": MAIN_TABLE, "family": family}
                if via:
                    spec["gateway"] = via
                if oif is not None:
                    spec["oif"] = oif
                self.call(f"add route {_show_route(key)} in {kernel_name}", space.ipr.route, "add", **spec)
                self.report.note("created", f"route {_show_route(key)} in {kernel_name}")

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

    def route_is_ours(self, space: _Namespace, msg) -> bool:
        if space.owned_whole:
            return True
        oif = msg.get_attr("RTA_OIF")
        return any(link["index"] == oif and self.marked(link) for link in space.links.values())

    def marked(self, msg) -> bool:
        """Carries this deployment's mark: exactly (made by apply) or with a suffix (made by the sandbox)."""
        alias = msg.get_attr("IFLA_IFALIAS") or ""
        return alias == self.mark or alias.startswith(self.mark + ":")

    def sync_sysctls(self) -> None:
        wanted: dict[str, dict[str, str]] = {}
        for ns in self.plan.namespaces:
            if ns.forwarding:
                wanted.setdefault(self.kernel_ns(ns.name), {}).update(
                    {"net.ipv4.ip_forward": "1", "net.ipv6.conf.all.forwarding": "1"})
        for sysctl in self.plan.sysctls:
            wanted.setdefault(self.kernel_ns(sysctl.namespace), {})[sysctl.key] = sysctl.value
        for kernel_name, values in sorted(wanted.items()):
            changed = self.call(f"sysctls in {kernel_name}", netns.run_in, kernel_name, _write_sysctls, values)
            for key in changed:
                self.report.note("changed", f"sysctl {key}={values[key]} in {kernel_name}")

    def sync_masquerade(self) -> None:
        by_ns: dict[str, list] = {}
        for rule in self.plan.masquerade:
            by_ns.setdefault(self.kernel_ns(rule.namespace), []).append(rule)
        # nft costs a process per namespace: only routers can hold an mvlab table
        for ns in self.plan.namespaces:
            kernel_name = self.kernel_ns(ns.name)
            rules = by_ns.get(kernel_name, [])
            if not rules and not ns.forwarding:
                continue
            try:
                outcome = sync_masquerade(kernel_name, self.plan.deployment, rules)
            except (OSError, RuntimeError) as exc:
                raise ApplyError(f"host {self.plan.host}: masquerade in {kernel_name}: {exc}") from exc
            if outcome:
                self.report.note(outcome, f"masquerade table in {kernel_name}")


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


def _route_satisfies(spec: dict, key: tuple) -> bool:
    """Does the kernel's route `spec` hold plan route `key`? (the kernel always names a device)"""
    family, dst, via, oif = key
    return (spec["family"], spec["dst"], spec.get("gateway")) == (family, dst, via) and (
        oif is None or spec.get("oif") == oif
    )


def _route_spec(msg) -> dict:
    family = msg["family"]
    dst = msg.get_attr("RTA_DST") or ("0.0.0.0" if family == 2 else "::")
    spec = {"dst": f"{dst}/{msg['dst_len']}", "family": family, "table": MAIN_TABLE, "proto": MVLAB_ROUTE_PROTO}
    if msg.get_attr("RTA_GATEWAY"):
        spec["gateway"] = msg.get_attr("RTA_GATEWAY")
    if msg.get_attr("RTA_OIF"):
        spec["oif"] = msg.get_attr("RTA_OIF")
    return spec


def _show_route(key: tuple) -> str:  # for messages
    _, dst, via, oif = key
    return dst + (f" via {via}" if via else "") + (f" oif {oif}" if oif is not None else "")


def _container_namespaces(deployment: str) -> list[str]:
    """The deployment's container/router namespaces here (sandbox host and fabric names hold a dot)."""
    prefix = netns_name(deployment, "")
    return [name for name in netns.list_namespaces(prefix) if "." not in name[len(prefix):]]


def _namespace_host_mark(name: str) -> str | None:
    """The `mvlab:<dep>@<host>` on lo of namespace `name`, or None if unmarked (half-made)."""
    ipr = netns.handle(name)
    try:
        lo = ipr.get_links(ipr.link_lookup(ifname="lo")[0])[0]
        return lo.get_attr("IFLA_IFALIAS")
    finally:
        ipr.close()


def apply_plan(plan: HostPlan, target: Target, emit: Emit | None = None) -> ApplyReport:
    """Make the kernel at `target` hold exactly what `plan` asks for; return what changed."""
    plan = HostPlan.model_validate(plan.model_dump())  # validated again on the agent side
    return _Reconciler(plan, target, emit).run()


def teardown(deployment: str, target: Target, emit: Emit | None = None, host: str = "") -> ApplyReport:
    """Remove every namespace and link of `deployment` at `target`, and nothing else."""
    report = ApplyReport(deployment, host)
    mark = owner_mark(deployment)

    def event(status: str, detail: str = "") -> None:
        if emit is not None:
            emit(StepEvent(deployment=deployment, host=host, step="teardown", status=status, detail=detail))

    event("started")
    try:
        for name in _container_namespaces(deployment):
            if name in target.claimed_elsewhere:
                continue
            netns.remove(name)
            report.note("removed", f"namespace {name}")
        ipr = netns.handle(target.host_ns)
        try:
            for link in ipr.get_links():
                if link.get_attr("IFLA_IFALIAS") == mark:
                    retry(f"remove link {link.get_attr('IFLA_IFNAME')}", host, ipr.link, "del", index=link["index"])
                    report.note("removed", f"link {link.get_attr('IFLA_IFNAME')} in {target.host_ns}")
        finally:
            ipr.close()
    except (ApplyError, OSError) as exc:
        event("failed", str(exc))
        raise
    event("done", "; ".join(report.actions))
    return report


__all__ = ["ApplyError", "ApplyReport", "Target", "apply_plan", "teardown", "MVLAB_ROUTE_PROTO", "NETNS_PREFIX"]
