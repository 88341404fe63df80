"""Which pings of a design will succeed, and with which reply TTL, as the Linux kernel decides.

The model, step by step:

* **L2 domains.** A host link `NIC` or `NIC.VID` sits in the domain (segment, VID or
  untagged) of the segment that has `host.NIC` as a port; a NIC on no segment, or a VID
  the segment does not carry, is a domain of its own on that host.
* **Macvlan rules** between two interfaces of one host on the SAME parent link: two
  bridge-mode children talk inside the host; private children never talk to their
  siblings; a passthru child is alone on its parent; every other pair (vepa, bridge
  with vepa, and the parent itself with any of its children, private ones too) talks
  only when the segment sends frames back (`hairpin: true`). So a host cannot reach
  its own children through the parent on an ordinary switch; its bridge-mode `shim`
  can. A private child's own broadcasts come back only to itself, so its ARP for the
  parent goes unanswered; it still reaches the parent through a hairpin switch for the
  one address the parent's namespace asked it from: every matrix has that namespace probe
  the child, and its request leaves the neighbour entry behind, but only when its route to
  the child leaves through that parent (with two equal connected routes, the first made
  wins). Interfaces on different parents, or on different hosts, talk when they share an
  L2 domain.
* **Passthru parents.** A passthru child wears its parent's MAC, and the kernel hands it
  every unicast frame the parent receives: a host address on that parent link gets the
  broadcasts but never a reply or a ping, so it reaches nothing and nothing reaches it,
  hairpin or not. Only that very link: the kernel hands tagged frames to its `NIC.VID`
  links before the macvlan handler sees them.
* **Source mode.** The kernel hands a source-mode child only frames from the source
  MACs it lists, and a design cannot list any, so a source-mode leg talks to nothing,
  siblings or not. (The issue first guessed "like vepa"; the sandbox shows otherwise.)
* **Routing** in every namespace: the connected subnets of its addresses, its static
  routes (a `via` must be on a connected subnet, as the kernel demands; a `via` that is
  the namespace's own IPv4 address makes a route straight out of the link holding it,
  as the kernel reads it; a `via` leaves through the longest connected or link route that
  holds it, e.g. a shim's /25 over a host address's /24), the default route of
  `namespaces.py`. Longest prefix wins; among equal ones the first made: connected routes
  before static ones, and a host's connected routes in the order its links were made (NICs
  by name, then its `NIC.VID` links, then its shim).
* **Neighbours** answer ARP for any address they hold on any interface (the kernel's
  weak host model, `arp_ignore=0`), as long as the request reaches one of their
  interfaces at L2, a host link that holds no address included.
* **Forwarding.** Routers and hosts with `forwarding: true` forward, each forward
  taking one off the TTL; others drop what is not theirs. A router's masquerade rewrites
  the source of what it forwards out of its masquerade leg, and undoes it on the reply.
* **A ping** needs the request to reach the node holding `dst_ip` and the reply (from
  `dst_ip` to the request's source as it arrived) to come back to the source. Its reply
  TTL is 64 minus the forwards on the reply path.

IPv6 follows the same rules with three differences: neighbour discovery answers only
for an address of the interface asked (no weak host), forwarding needs IPv6 forwarding
(which `compile.py` turns on with IPv4's), and masquerading is IPv4 only.

Every pair also gets the reason the walk found (`Trace`): the rule of the wire that joined or
parted the last two interfaces, or the node that had no route or did not forward, and the
forwarders passed; pairs with the same reason share one entry of the matrix's `reasons`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import NamedTuple

from designer.topology.ipam import Allocation
from designer.topology.matrix import Endpoint, Hop, Matrix, Pair, Reason
from designer.topology.model import Design
from designer.topology.namespaces import Interface, NamespaceSpec, namespaces, split_link

INITIAL_TTL = 64  # Linux's default TTL and IPv6 hop limit
IP = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNet = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Port:
    """An interface as the wire sees it."""

    node: str
    iface: Interface
    host: str
    domain: tuple
    hairpin: bool
    stolen: bool  # a host link whose passthru child takes every unicast frame it receives
    network: str | None = field(default=None, compare=False)  # the design network it is on, if known
    # ports alike for the wire rules and their sentences (host, parent, mode, domain, network) share it
    kind: int = field(default=0, compare=False)

    def reaches(self, other: Port) -> bool:
        """Whether a frame from this interface arrives at `other` (and back)."""
        if self.domain != other.domain or "source" in (self.iface.mode, other.iface.mode):
            return False
        if self.stolen or other.stolen:
            return False
        if self.host != other.host or self.iface.parent != other.iface.parent:
            return True
        modes = {self.iface.mode, other.iface.mode}
        if "passthru" in modes or ("private" in modes and None not in modes):
            return False
        if modes == {"bridge"}:
            return True
        return self.hairpin


@dataclass(frozen=True)
class RouteEntry:
    dst: IPNet
    port: Port
    via: IP | None


@dataclass
class Node:
    spec: NamespaceSpec
    ports: list[Port]
    routes: list[RouteEntry] = field(default_factory=list)
    local: set[IP] = field(default_factory=set)

    def lookup(self, dst: IP) -> RouteEntry | None:
        best: RouteEntry | None = None
        for route in self.routes:
            if dst in route.dst and (best is None or route.dst.prefixlen > best.dst.prefixlen):
                best = route
        return best

    def source_for(self, route: RouteEntry, dst: IP) -> IP | None:
        """The source address the kernel picks for a packet leaving through `route`."""
        target = route.via or dst
        own = [a for a in route.port.iface.inet if a.version == dst.version]
        for address in own:
            if target in address.network:
                return address.ip
        if own:
            return own[0].ip
        return min((a for a in self.local if a.version == dst.version), default=None)

    def masquerades(self, port: Port, src: IP) -> IP | None:
        """The address `src` is rewritten to when a forwarded packet leaves through `port`."""
        for out_link, source in self.spec.masquerade:
            if out_link == port.iface.name and src in ipaddress.ip_network(source) and port.iface.ipv4:
                return port.iface.ipv4[0].ip  # nft's `ip` family: IPv6 is never masqueraded
        return None


@dataclass(frozen=True)
class Nat:
    node: str
    private: IP
    public: IP


Why = tuple[str, str]  # (rule, sentence)
HopSeen = tuple[str, str, str | None]  # (node, in link, out link or None where it stopped)


class Walk(NamedTuple):
    """Where a packet went: the node it arrived at (`stop` empty) or was dropped at (`stop` says
    why); the forwarders it passed and each wire it crossed as (sending port, receiving port).
    One tuple per walk: a matrix makes two walks per pair."""

    node: str
    forwards: int
    src: IP  # its source as it arrived (rewritten by masquerades)
    nats: tuple[Nat, ...]  # the masquerades it passed, for its reply to undo
    hops: tuple[HopSeen, ...]
    wires: tuple[tuple[Port, Port], ...]
    stop: Why | None = None


class Trace(NamedTuple):
    """A ping's verdict (`ttl` None: it fails) and why."""

    ttl: int | None
    rule: str
    text: str
    hops: tuple[HopSeen, ...] = ()
    networks: tuple[str, ...] = ()


class KernelModel:
    """Every namespace of a design with its ports and routes; answers `ping`."""

    def __init__(self, design: Design, specs: list[NamespaceSpec]):
        self.nodes: dict[str, Node] = {}
        passthru = {(s.host, i.parent) for s in specs for i in s.interfaces if i.mode == "passthru"}
        kinds: dict[tuple, int] = {}
        for spec in specs:
            interfaces = _host_links(design, spec, specs) if spec.kind == "host" else spec.interfaces
            ports = [_port(design, spec, iface, passthru, kinds) for iface in interfaces]
            node = Node(spec, ports)
            node.local = {a.ip for p in ports for a in p.iface.inet}
            node.routes = _routes(node)
            self.nodes[spec.endpoint] = node
        self._direct: dict[tuple[int, int], Trace] = {}  # _direct_trace's answer per pair of port kinds
        self._crossed: dict[tuple, tuple[str, ...]] = {}  # _networks' answer per kinds of wires crossed
        self._unanswered: dict[tuple[int, IP], Why] = {}  # _unheard's answer per sending port (by id)
        self._subnets: dict[IP, str] = {}  # _network_of's answers
        self.holders: dict[IP, list[Node]] = {}
        for node in self.nodes.values():
            for address in sorted(node.local, key=lambda a: (a.version, a)):
                self.holders.setdefault(address, []).append(node)

    def ping(self, src: str, dst_ip: str) -> int | None:
        """The reply TTL of a ping from endpoint `src` to `dst_ip`, or None when it fails."""
        return self.trace(src, dst_ip).ttl

    def trace(self, src: str, dst_ip: str) -> Trace:
        """A ping from endpoint `src` to `dst_ip`: its reply TTL (None when it fails) and why."""
        dst = ipaddress.ip_address(dst_ip)
        node = self.nodes[src]
        route = node.lookup(dst)
        source = None if route is None else node.source_for(route, dst)
        if dst in node.local:
            return Trace(INITIAL_TTL, "own-address", f"{dst} is an address of {src} itself, TTL 64")
        if route is None:
            return Trace(None, "no-route", f"blocked: no route to {self._network_of(dst)} on {src}")
        if source is None:
            return Trace(None, "no-source", f"blocked: {src} has no IPv{dst.version} address to send from")
        request = self._walk(src, source, dst, ())
        if request.stop is not None:
            rule, text = request.stop
            return Trace(None, rule, f"blocked: {text}", request.hops, self._networks(request.wires))
        holder = request.node
        reply = self._walk(holder, dst, request.src, request.nats)
        if not request.hops and not reply.hops and reply.stop is None and reply.node == src:
            return self._direct_trace(*request.wires[-1])
        networks = self._networks(request.wires)
        if reply.stop is not None:
            rule, text = reply.stop
            return Trace(
                None,
                f"reply-{rule}",
                f"blocked: the reply from {holder} is lost: {text}",
                request.hops,
                networks,
            )
        if reply.node != src:
            elsewhere = f"blocked: the reply of {holder} goes to {reply.node}"
            return Trace(None, "reply-elsewhere", elsewhere, request.hops, networks)
        ttl = INITIAL_TTL - reply.forwards
        if not request.hops:
            text = f"the request goes direct, its reply is routed by {self._forwarders(reply.hops)}"
            text += f", TTL {ttl}"
            return Trace(ttl, "routed", text, (), networks)
        text = f"routed by {self._forwarders(request.hops)}, TTL {ttl}"
        back = tuple(hop[0] for hop in reversed(reply.hops))
        if back != tuple(hop[0] for hop in request.hops):
            text += f"; the reply {'through ' + self._forwarders(reply.hops) if back else 'direct'}"
        return Trace(ttl, "routed", text, request.hops, networks)

    def _direct_trace(self, a: Port, b: Port) -> Trace:
        """The trace of a ping that crosses only the wire from `a` to `b` (and back): the same for
        every pair of ports of the same kinds, so kept per pair of kinds."""
        found = self._direct.get((a.kind, b.kind))
        if found is None:
            rule, text = _together(a, b)
            text = f"{text}: direct, TTL {INITIAL_TTL}"
            trace = Trace(INITIAL_TTL, rule, text, (), self._networks(((a, b),)))
            found = self._direct[a.kind, b.kind] = trace
        return found

    def _networks(self, wires: tuple[tuple[Port, Port], ...]) -> tuple[str, ...]:
        """The design networks of the wires a packet crossed, each once, in order (kept per kinds
        of ports crossed: many pairs cross alike)."""
        key = tuple((a.kind, b.kind) for a, b in wires)
        found = self._crossed.get(key)
        if found is None:
            named = (a.network or b.network for a, b in wires)
            found = self._crossed[key] = tuple(dict.fromkeys(n for n in named if n is not None))
        return found

    def _forwarders(self, hops: tuple[HopSeen, ...]) -> str:
        """`r1 and host3 (ip_forward)`: the nodes of `hops`, a host's forwarding and NAT named."""
        names = []
        for name, _, out in hops:
            spec = self.nodes[name].spec
            notes = ["ip_forward"] if spec.kind == "host" else []
            if any(link == out for link, _ in spec.masquerade):
                notes.append("masquerade")
            names.append(f"{name} ({', '.join(notes)})" if notes else name)
        return " and ".join(names)

    def _network_of(self, address: IP) -> str:
        """The subnet `address` is on, as its holder has it (the address itself when no one holds it)."""
        found = self._subnets.get(address)
        if found is None:
            held = (
                own.network
                for node in self.holders.get(address, ())
                for port in node.ports
                for own in port.iface.inet
                if own.ip == address
            )
            found = self._subnets[address] = str(next(held, address))
        return found

    def _walk(self, start: str, src: IP, dst: IP, undo: tuple[Nat, ...]) -> Walk:
        """Where a packet from `start` ends up; `undo` are the NATs its replies pass back through.
        (Tuples grow by concatenation: most walks cross one wire and pass no forwarder.)"""
        pending = list(undo)
        done: tuple[Nat, ...] = ()
        hops: tuple[HopSeen, ...] = ()
        wires: tuple[tuple[Port, Port], ...] = ()
        name, forwards, came = start, 0, None  # came: the port it arrived on; None where it was sent
        while forwards < INITIAL_TTL:
            node = self.nodes[name]
            if pending and pending[-1].node == name and dst == pending[-1].public:
                dst = pending.pop().private
            elif dst in node.local:
                return Walk(name, forwards, src, done, hops, wires)
            if came is not None:  # received from the wire: only a forwarding node passes it on
                if not node.spec.forwarding:
                    why = ("not-forwarding", f"{name} received it for {dst} but does not forward")
                    break
                forwards += 1
            route = node.lookup(dst)
            if route is None:
                why = ("no-route", f"no route to {self._network_of(dst)} on {name}")
                break
            if came is not None and (public := node.masquerades(route.port, src)) is not None:
                done += (Nat(name, src, public),)
                src = public
            heard = self._neighbour(route.port, route.via or dst)
            if heard is None:
                why = self._unheard(route.port, route.via or dst)
                break
            if came is not None:
                hops += ((name, came.iface.name, route.port.iface.name),)
            wires += ((route.port, heard),)
            name, came = heard.node, heard
        else:
            why = ("loop", f"a routing loop: no hop limit left for {dst}")
            return Walk(name, forwards, src, done, hops, wires, why)
        if came is not None:  # where it stopped
            hops += ((name, came.iface.name, None),)
        return Walk(name, forwards, src, done, hops, wires, why)

    def _neighbour(self, out: Port, address: IP) -> Port | None:
        """The port that answers ARP (IPv4: for an address on any interface of its node) or
        neighbour discovery (IPv6: only for an address on the interface asked) on the wire of `out`."""
        holders = [n for n in self.holders.get(address, ()) if n.spec.endpoint != out.node]
        for node in holders:
            for p in node.ports:
                if self._hears(out, p, address) and any(a.ip == address for a in p.iface.inet):
                    return p
        if address.version == 6:
            return None
        for node in holders:
            for p in node.ports:
                if self._hears(out, p, address):
                    return p
        return None

    def _unheard(self, out: Port, address: IP) -> Why:
        """Why no one answers `out`'s neighbour request for `address` (`_neighbour` found no one);
        kept per port and address, as one silent wire fails many pairs."""
        key = (id(out), address)
        found = self._unanswered.get(key)
        if found is None:
            found = self._unanswered[key] = self._silence(out, address)
        return found

    def _silence(self, out: Port, address: IP) -> Why:
        """The rule and sentence of `_unheard`."""
        holders = [n for n in self.holders.get(address, ()) if n.spec.endpoint != out.node]
        holding = [p for n in holders for p in n.ports if any(a.ip == address for a in p.iface.inet)]
        if not holding:
            return "no-neighbour", f"no one holds {address}, the next hop of {out.node} on {out.iface.name}"
        for p in (p for n in holders for p in n.ports):
            if self._hears(out, p, address):  # its node has the address, but on another interface
                return "ipv6-nd", (
                    f"{p.node} holds {address} on another interface than the one "
                    f"{out.node} reaches (IPv6 neighbour discovery answers only for its own)"
                )
        target = holding[0]
        if out.reaches(target):
            return "private-arp", (
                f"a private child's neighbour request for its parent link "
                f"{target.host}.{target.iface.name} goes unanswered"
            )
        return _apart(out, target)

    def _hears(self, out: Port, port: Port, address: IP) -> bool:
        """Whether `out` finds `address` at `port`: they reach each other, and, for a private child
        and its own parent link, the parent's namespace asked for the child first (a private
        child's broadcasts come back only to itself; what it knows of its parent is the sender
        of the parent's request to it, which every matrix's probe from the parent makes)."""
        if not out.reaches(port):
            return False
        if not (
            out.iface.mode == "private"
            and port.iface.mode is None
            and port.host == out.host
            and port.iface.name == out.iface.parent
        ):
            return True
        parent = self.nodes[port.node]
        for child in out.iface.inet:
            route = parent.lookup(child.ip)
            if (
                route is not None
                and route.port == port
                and route.via in (None, child.ip)
                and parent.source_for(route, child.ip) == address
            ):
                return True
        return False


def _port(
    design: Design,
    spec: NamespaceSpec,
    iface: Interface,
    passthru: set[tuple[str, str]],
    kinds: dict[tuple, int],
) -> Port:
    """`passthru`: the (host, parent link) of every passthru child; `kinds` numbers the kinds of port."""
    stolen = iface.mode is None and (spec.host, iface.name) in passthru
    nic, vid = split_link(iface.parent)
    port_name = f"{spec.host}.{nic}"
    network = iface.network or _design_network(design, iface)
    domain: tuple = ("", spec.host, nic, vid)
    hairpin = False
    for name in sorted(design.segments):
        segment = design.segments[name]
        if port_name in segment.ports and (vid is None or vid in segment.vlans):
            domain, hairpin = (name, vid), segment.hairpin
            break
    kind = kinds.setdefault((spec.host, iface.parent, iface.mode, domain, network, stolen), len(kinds))
    return Port(spec.endpoint, iface, spec.host, domain, hairpin, stolen, network, kind)


def _design_network(design: Design, iface: Interface) -> str | None:
    """The design network whose subnet holds an address of a host link (None: no such network)."""
    for address in iface.inet:
        for name, net in design.networks.items():
            subnets = (net.subnet, net.ipv6_subnet)
            if any(s is not None and address.ip in ipaddress.ip_network(s) for s in subnets):
                return name
    return None


def _where(port: Port) -> str:
    """`host1.enp0s8 on segment lan, VLAN 100`: the wire of a port, for a sentence."""
    nic, vid = split_link(port.iface.parent)
    tag = f", VLAN {vid}" if vid is not None else ""
    segment = f"on segment {port.domain[0]}" if port.domain[0] else "on no segment"
    return f"{port.host}.{nic} {segment}{tag}"


def _together(a: Port, b: Port) -> Why:
    """The rule by which a frame from `a` reaches `b` (Port.reaches said yes)."""
    if a.host == b.host and a.iface.parent == b.iface.parent:
        if {a.iface.mode, b.iface.mode} == {"bridge"}:
            return "bridge", f"macvlan bridge mode: children of {a.iface.parent} on {a.host} reach each other"
        return "hairpin", f"segment {a.domain[0]} sends frames back (hairpin) to {a.host}.{a.iface.parent}"
    nic, vid = split_link(a.iface.parent)
    tag = f", VLAN {vid}" if vid is not None else ""
    wire = f"segment {a.domain[0]}" if a.domain[0] else f"link {a.host}.{nic}"
    return "segment", f"same L2 {wire}{tag}"


def _apart(a: Port, b: Port) -> Why:
    """The rule by which a frame from `a` does not reach `b` (Port.reaches said no)."""
    if a.domain != b.domain:
        if a.domain[0] and a.domain[0] == b.domain[0]:
            return "vlan", f"different VLANs ({_where(a)}; {_where(b)}) and no router"
        return "no-segment", f"no L2 segment joins them ({_where(a)}; {_where(b)})"
    for port in (a, b):
        if port.iface.mode == "source":
            return "source-mode", (
                f"macvlan source mode: {port.host}.{port.iface.name} takes frames "
                f"only from the MACs it lists, and a design lists none"
            )
        if port.stolen:
            return "passthru-parent", (
                f"the passthru child of {port.host}.{port.iface.name} takes every frame that link receives"
            )
    modes = {a.iface.mode, b.iface.mode}
    parent = f"{a.host}.{a.iface.parent}"
    if "passthru" in modes:
        return "passthru", f"a passthru child is alone on its parent {parent}"
    if "private" in modes and None not in modes:
        return "private", f"private mode isolates children of the same parent {parent}"
    if None in modes:
        hairpin = f"segment {a.domain[0]}" if a.domain[0] else "no segment"
        return "no-shim", (
            f"a macvlan child and its parent host do not talk through {parent} "
            f"(no shim; {hairpin} does not hairpin)"
        )
    mode = next(m for m in sorted(modes, key=str) if m != "bridge")
    return mode, f"{mode} mode: children of {parent} talk only through a hairpin switch"


def _host_links(design: Design, spec: NamespaceSpec, specs: list[NamespaceSpec]) -> list[Interface]:
    """A host's links in the order the kernel made them and their connected routes: its NICs, then
    its `NIC.VID` links (mvlab makes those), then its shim; links without an address included, as
    they answer ARP for the host's addresses on other links (weak host model)."""
    named = {iface.name: iface for iface in spec.interfaces}
    parents = {iface.parent for s in specs if s.host == spec.host for iface in s.interfaces}
    for link in sorted(set(design.hosts[spec.host].nics) | parents | set(named)):
        named.setdefault(link, Interface(link, link))
        named.setdefault(split_link(link)[0], Interface(split_link(link)[0], split_link(link)[0]))
    return sorted(
        named.values(), key=lambda i: (i.mode is not None, split_link(i.parent)[1] is not None, i.name)
    )


def _routes(node: Node) -> list[RouteEntry]:
    routes = [RouteEntry(a.network, port, None) for port in node.ports for a in port.iface.inet]
    by_name = {port.iface.name: port for port in node.ports}
    for route in node.spec.routes:
        dst = route.network
        if route.dev is not None:
            if route.dev in by_name:
                routes.append(RouteEntry(dst, by_name[route.dev], None))
            continue
        via = ipaddress.ip_address(route.via)
        holder = next((p for p in node.ports if any(a.ip == via for a in p.iface.inet)), None)
        connected = max(
            (r for r in routes if r.via is None and via in r.dst),  # the first longest
            key=lambda r: r.dst.prefixlen,
            default=None,
        )
        if holder is not None:  # the kernel reads a route via an own address as one straight out of its link
            routes.append(RouteEntry(dst, holder, None))
        elif connected is not None and via.version == dst.version:
            routes.append(RouteEntry(dst, connected.port, via))
    return routes


def endpoints(specs: list[NamespaceSpec]) -> list[Endpoint]:
    """Containers, routers and hosts that hold at least one address (IPv4 ones first)."""
    return [Endpoint(name=s.endpoint, host=s.host, addresses=s.addresses) for s in specs if s.addresses]


def predict(design: Design, allocation: Allocation) -> Matrix:
    """Every source endpoint against every address of every other endpoint, each with its reason."""
    specs = namespaces(design, allocation)
    kernel = KernelModel(design, specs)
    listed = endpoints(specs)
    pairs = []
    reasons: dict[Trace, int] = {}  # -> index in the matrix's reasons (the TTL is in the text)
    for src in listed:
        for dst in listed:
            if dst.name == src.name:
                continue
            for address in dst.addresses:
                trace = kernel.trace(src.name, address)
                index = reasons.setdefault(trace, len(reasons))
                pairs.append(
                    Pair(
                        src=src.name,
                        dst=dst.name,
                        dst_ip=address,
                        expected=trace.ttl is not None,
                        expected_ttl=trace.ttl,
                        reason=index,
                    )
                )
    return Matrix(endpoints=listed, pairs=pairs, reasons=[_reason(trace) for trace in reasons])


def _reason(trace: Trace) -> Reason:
    path = [Hop(node=node, iif=iif, oif=oif) for node, iif, oif in trace.hops]
    return Reason(rule=trace.rule, text=trace.text, path=path, networks=list(trace.networks))
