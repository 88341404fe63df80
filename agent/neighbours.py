"""Resolve every next hop the probes will need, then pin the answers for the probe's duration.

Why: the kernel keeps one neighbour table for all namespaces of a machine, capped by
`gc_thresh3` (1024 by default). An all-pairs probe of one flat network of N endpoints
needs about N*(N-1) entries; past the cap new entries fail, live pairs look dead and
every other namespace on the machine, the machine's own included, stops resolving.
Permanent entries are exempt from the cap (Linux 4.19+), so:

1. discover: in each namespace mvlab probes from, ask the kernel how it would send to
   every address of the matrix (`ip route get`): the (link, next hop) pairs it needs;
2. resolve: send, from that link, the ARP request or neighbour solicitation the kernel
   itself would send, through a packet socket (so the requester makes no table entry),
   and take the first answer, as the kernel does; a next hop nobody answers costs no
   entry at all, so dead pairs are free. The answering kernel does make an entry for
   the requester; mvlab pins it at once (it is what that kernel learned), and paces
   its requests so that such entries never outnumber its window of the machine's budget
   (`agent.neighbour_budget`); a next hop already learned that way needs no request;
3. pin: every answer becomes a permanent entry. A next hop nobody answered within the
   probe deadline is not pinned: a probe whose source namespace would send to it first is
   not sent at all (`Resolution.unresolved`: the kernel's ARP would fail, nothing would
   leave), and on its link the kernel's resolution fails at once for the probe's duration
   (`agent.unanswered`), so a namespace that forwards to it drops the packet, as after a
   failed resolution, instead of queueing it;
4. unpin: after the probes, every entry pinned here is removed, and so is every FAILED
   entry an unanswered next hop left.

What this hides is stated in docs/agent-kernel.md ("Probing at any size").
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import ipaddress
import selectors
import socket
import struct
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from agent import netns, rtnl, unanswered
from agent.neighbour_budget import PinRegistry

ETH_P_ARP, ETH_P_IPV6 = 0x0806, 0x86DD
ARP_REQUEST, ARP_REPLY = 1, 2
ND_SOLICIT, ND_ADVERT, IPPROTO_ICMPV6 = 135, 136, 58
SO_ATTACH_FILTER = 26
BROADCAST = b"\xff" * 6
QUIET = 0.002  # a window of requests is done when no answer came for this long...
WINDOW_WAIT = 0.02  # ...or after this long, plus the time the receivers need for it (`_pace_from`),
DRAIN_WAIT = 0.5  # at most this long
# Past `tries` rounds, one more while the last one found answers: those requests, or theirs, were
# lost (dropped by a receiver, see `_pace_from`), as the kernel's own would be; at most:
MORE_ROUNDS = 3
PIN_CHUNK = 256
GONE = {errno.ENOENT, errno.ENODEV, errno.ESRCH}
CLOSERS = 64  # closing a packet socket waits for an RCU grace period (~10 ms): close them side by side

# Classic BPF: keep only ARP replies / ICMPv6 neighbour advertisements (offsets from the network header).
_ARP_REPLIES = [(0x28, 0, 0, 6), (0x15, 0, 1, ARP_REPLY), (0x06, 0, 0, 0xFFFF), (0x06, 0, 0, 0)]
_ADVERTS = [
    (0x30, 0, 0, 6),
    (0x15, 0, 3, IPPROTO_ICMPV6),
    (0x30, 0, 0, 40),
    (0x15, 0, 1, ND_ADVERT),
    (0x06, 0, 0, 0xFFFF),
    (0x06, 0, 0, 0),
]


def _attach_filter(sock: socket.socket, program: list[tuple[int, int, int, int]]) -> None:
    code = b"".join(struct.pack("HBBI", *insn) for insn in program)
    buffer = ctypes.create_string_buffer(code)
    sock.setsockopt(
        socket.SOL_SOCKET, SO_ATTACH_FILTER, struct.pack("HL", len(program), ctypes.addressof(buffer))
    )


def _mac_bytes(mac: str) -> bytes:
    return bytes.fromhex(mac.replace(":", ""))


def _mac_text(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


@dataclass(eq=False)
class _View:
    """One namespace as the resolver sees it: its links, addresses and sockets (made inside it)."""

    ns: str
    rt: rtnl.Rtnl
    arp: socket.socket
    nd: socket.socket
    links: dict[int, rtnl.LinkState]
    local: dict[str, int]  # address -> link index
    link_local: dict[int, str]  # link index -> an IPv6 link-local address on it

    def close_packet_sockets(self) -> None:
        self.arp.close()
        self.nd.close()


def _open_view(ns: str) -> _View:
    def inside() -> _View:
        rt = rtnl.Rtnl(socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, netns.NETLINK_ROUTE))
        arp = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ARP))
        nd = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IPV6))
        for sock, program in ((arp, _ARP_REPLIES), (nd, _ADVERTS)):
            _attach_filter(sock, program)
            sock.setblocking(False)
        links = {link.index: link for link in rt.links()}
        local, link_local = {}, {}
        for entry in rt.addresses():
            address = entry.address.split("/")[0]
            local[address] = entry.index
            if address.startswith("fe80:"):
                link_local.setdefault(entry.index, address)
        return _View(ns, rt, arp, nd, links, local, link_local)

    return netns.run_in(ns, inside)


@dataclass(eq=False)
class _Key:
    """A neighbour one namespace needs: the next hop `ip` on link `index`, asked for from `source`."""

    view: _View
    index: int
    ip: str
    source: str | None
    family: int
    mac: str | None = None  # the first answer
    sent: int = 0
    asked: tuple[float, int] = (0.0, 0)  # when its window was sent, and its place in that window
    answered_at: float = 0.0
    destinations: list[str] = field(default_factory=list)  # the matrix addresses it is the first hop to

    @property
    def where(self) -> tuple[str, int, str]:
        return (self.view.ns, self.index, self.ip)


def discover(views: list[_View], addresses: Iterable[str]) -> list[_Key]:
    """The (link, next hop) pairs the kernel would use, in each namespace, to reach each address."""
    wanted = sorted({str(ipaddress.ip_address(a)) for a in addresses})  # as the kernel writes them
    keys: dict[tuple[str, int, str], _Key] = {}
    for view in views:
        remote = [a for a in wanted if a not in view.local]
        for destination, lookup in zip(remote, view.rt.route_get(remote), strict=True):
            if lookup is None or lookup.type != rtnl.RTN_UNICAST or lookup.oif not in view.links:
                continue
            link = view.links[lookup.oif]
            if lookup.oif == rtnl.LOOPBACK_IFINDEX or not link.address or link.address == "00:00:00:00:00:00":
                continue
            family = socket.AF_INET6 if ":" in lookup.dst else socket.AF_INET
            source = _request_source(view, lookup, family)
            where = (view.ns, lookup.oif, lookup.next_hop)
            if where not in keys and (family == socket.AF_INET or source is not None):
                keys[where] = _Key(view, lookup.oif, lookup.next_hop, source, family)
            if where in keys:
                keys[where].destinations.append(destination)
    return list(keys.values())


def _request_source(view: _View, lookup: rtnl.RouteLookup, family: int) -> str | None:
    """The sender address the kernel would put in its request (the packet's source if on that link)."""
    if family == socket.AF_INET:
        return lookup.prefsrc
    if lookup.prefsrc is not None and view.local.get(lookup.prefsrc) == lookup.oif:
        return lookup.prefsrc
    return view.link_local.get(lookup.oif)


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _request(key: _Key) -> tuple[socket.socket, bytes, int, bytes]:
    """(socket, frame payload, ethertype, destination MAC) of the request the kernel would send."""
    mac = _mac_bytes(key.view.links[key.index].address)
    if key.family == socket.AF_INET:
        source = socket.inet_aton(key.source) if key.source else bytes(4)
        payload = (
            struct.pack("!HHBBH", 1, 0x0800, 6, 4, ARP_REQUEST)
            + mac
            + source
            + bytes(6)
            + socket.inet_aton(key.ip)
        )
        return key.view.arp, payload, ETH_P_ARP, BROADCAST
    target = ipaddress.IPv6Address(key.ip).packed
    source = ipaddress.IPv6Address(key.source).packed
    group = bytes.fromhex("ff0200000000000000000001ff") + target[13:]
    icmp = struct.pack("!BBHI", ND_SOLICIT, 0, 0, 0) + target + struct.pack("!BB", 1, 1) + mac
    pseudo = source + group + struct.pack("!I", len(icmp)) + bytes(3) + bytes([IPPROTO_ICMPV6])
    icmp = icmp[:2] + struct.pack("!H", _checksum(pseudo + icmp)) + icmp[4:]
    header = struct.pack("!IHBB", 6 << 28, len(icmp), IPPROTO_ICMPV6, 255) + source + group
    return key.view.nd, header + icmp, ETH_P_IPV6, b"\x33\x33" + group[12:]


@dataclass(frozen=True)
class _Answer:
    """An answer heard in `view` on link `index`: `responder_ip` is at `responder_mac`; the
    responder learned `requester_ip` at `requester_mac` from the request."""

    view: _View
    index: int
    responder_ip: str
    responder_mac: str
    requester_ip: str | None
    requester_mac: str


def _parse(view: _View, family: int, data: bytes, address: tuple) -> _Answer | None:
    ifname, _, pkttype, _, frame_source = address
    index = next((i for i, link in view.links.items() if link.name == ifname), None)
    if index is None or pkttype == socket.PACKET_OUTGOING:
        return None
    if family == socket.AF_INET:
        if len(data) < 28 or struct.unpack_from("!HHBBH", data) != (1, 0x0800, 6, 4, ARP_REPLY):
            return None
        requester = socket.inet_ntoa(data[24:28])
        return _Answer(
            view,
            index,
            socket.inet_ntoa(data[14:18]),
            _mac_text(data[8:14]),
            None if requester == "0.0.0.0" else requester,
            _mac_text(data[18:24]),
        )
    if len(data) < 64 or data[6] != IPPROTO_ICMPV6 or data[40] != ND_ADVERT:
        return None
    mac, offset = frame_source[:6], 64
    while offset + 8 <= len(data) and data[offset + 1]:
        if data[offset] == 2:  # target link-layer address
            mac = data[offset + 2 : offset + 8]
        offset += data[offset + 1] * 8
    own = view.links[index].address or ""
    return _Answer(
        view,
        index,
        str(ipaddress.IPv6Address(data[48:64])),
        _mac_text(mac),
        str(ipaddress.IPv6Address(data[24:40])),
        own,
    )


class _Pins:
    """Permanent entries this prober made, by namespace, so that each is removed afterwards."""

    def __init__(self, registry: PinRegistry):
        self.registry = registry
        self.made: dict[str, set[tuple[int, str]]] = defaultdict(set)  # ns -> {(link, ip)}

    def pin(self, entries: dict[_View, list[tuple[int, str, str]]]) -> None:
        added = []
        for view, wanted in entries.items():
            fresh = [(i, ip, mac) for i, ip, mac in wanted if (i, ip) not in self.made[view.ns]]
            for start in range(0, len(fresh), PIN_CHUNK):
                chunk = fresh[start : start + PIN_CHUNK]
                view.rt.do(*(rtnl.neighbour(True, i, ip, mac) for i, ip, mac in chunk))
                self.made[view.ns].update((i, ip) for i, ip, _ in chunk)
                added.extend(ip for _, ip, _ in chunk)
        self._register(added, +1)

    def _register(self, addresses: list[str], sign: int) -> None:
        v6 = sum(":" in ip for ip in addresses)
        for family, count in ((socket.AF_INET, len(addresses) - v6), (socket.AF_INET6, v6)):
            if count:
                self.registry.add(family, sign * count)

    def unpin(self, views: dict[str, _View]) -> None:
        removed = []
        for ns, made in self.made.items():
            _remove(views[ns], made)
            removed.extend(ip for _, ip in made)
        self.made.clear()
        self._register(removed, -1)


def _remove(view: _View, entries: Iterable[tuple[int, str]]) -> None:
    """Delete these neighbour entries of `view`, those already gone included."""
    items = sorted(entries)
    for start in range(0, len(items), PIN_CHUNK):
        chunk = items[start : start + PIN_CHUNK]
        try:
            view.rt.do(*(rtnl.neighbour(False, i, ip) for i, ip in chunk))
        except rtnl.RequestError as err:
            if any(code not in GONE for _, code in err.failures):
                raise


@dataclass
class Resolution:
    """What resolving cost: next hops needed, answered, learned from answers, requests sent."""

    next_hops: int = 0
    answered: int = 0
    learned: int = 0
    requests: int = 0
    windows: int = 0
    pinned: int = 0
    seconds: float = 0.0  # discover, resolve and pin
    resolve_seconds: float = 0.0
    per_request: float = 0.0  # the receivers' slowest pace seen, in seconds per request
    window_size: int = 0  # the smallest window granted
    rounds: int = 0  # of requests to the next hops not answered yet
    # (namespace, address) whose first hop nobody answered: the kernel sends nothing there
    unresolved: frozenset[tuple[str, str]] = frozenset()


class _Resolver:
    def __init__(self, keys: list[_Key], views: list[_View], pins: _Pins, deadline: float, tries: int):
        self.keys, self.pins, self.deadline, self.tries = keys, pins, deadline, tries
        self.index = {key.where: key for key in keys}
        self.by_mac: dict[str, list[tuple[_View, int]]] = defaultdict(list)
        for view in views:
            for link in view.links.values():
                if link.address:
                    self.by_mac[link.address].append((view, link.index))
        self.sockets = {view.arp: (view, socket.AF_INET) for view in views} | {
            view.nd: (view, socket.AF_INET6) for view in views
        }
        self.families = {key.family for key in keys}
        self.report = Resolution(next_hops=len(keys))
        self.pace = 0.0  # seconds per request the receivers took, as the last window with answers told

    def run(self) -> Resolution:
        started = time.monotonic()
        with selectors.DefaultSelector() as self.selector:
            for sock in self.sockets:
                self.selector.register(sock, selectors.EVENT_READ)
            for rounds in range(1, self.tries * MORE_ROUNDS + 1):
                round_started = time.monotonic()
                todo = [key for key in self.keys if key.mac is None]
                self.report.rounds = rounds
                start = 0
                while start < len(todo):
                    with self.pins.registry.turn():
                        window = self._window()
                        batch = [key for key in todo[start : start + window] if key.mac is None]
                        sent = time.monotonic()
                        self._send(batch)
                        drain = min(DRAIN_WAIT, len(batch) * self.pace)
                        self._settle(WINDOW_WAIT + drain, drained=sent + drain, window=batch)
                        self._pace_from(batch)
                    start += window
                if not todo:
                    break
                self._settle(round_started + self.deadline / self.tries - time.monotonic(), until_all=True)
                if rounds >= self.tries and all(key.mac is None for key in todo):
                    break  # the last round found nothing: no request was lost, the rest never answer
        self.report.answered = sum(key.mac is not None for key in self.keys)
        self.report.resolve_seconds = time.monotonic() - started
        return self.report

    def _window(self) -> int:
        """Requests this prober may have unsettled now: the least any table it asks of allows."""
        window = min(self.pins.registry.wait_for_room(family).window for family in self.families)
        self.report.window_size = min(window, self.report.window_size or window)
        return window

    def _pace_from(self, batch: list[_Key]) -> None:
        """How long the receivers take per request, at the slowest a window's later half tells: a
        host's macvlan parent hands each broadcast to every child from a queue (`bc_queue_len`,
        1000 frames by default, 8192 on mvlab's own macvlans), in order, and drops what comes
        beyond. Answers pace the next window by themselves; requests nobody answers do not, so a
        window with some waits for the time its requests need, those included."""
        paces = [
            (key.answered_at - key.asked[0]) / (key.asked[1] + 1)
            for key in batch[len(batch) // 2 :]
            if key.mac is not None and key.answered_at
        ]
        if paces:
            self.pace = min(max(paces), DRAIN_WAIT / len(batch))
            self.report.per_request = max(self.report.per_request, self.pace)

    def _send(self, keys: list[_Key]) -> None:
        self.report.windows += 1
        started = time.monotonic()
        for place, key in enumerate(keys):
            key.asked = (started, place)
            sock, payload, ethertype, destination = _request(key)
            try:
                sock.sendto(payload, (key.view.links[key.index].name, ethertype, 0, 0, destination))
            except OSError as err:
                if err.errno not in (errno.ENOBUFS, errno.EAGAIN, errno.ENETDOWN, errno.ENXIO):
                    raise
            key.sent += 1
            self.report.requests += 1

    def _settle(
        self, longest: float, until_all: bool = False, drained: float = 0.0, window: list[_Key] = ()
    ) -> None:
        """Take answers until none came for QUIET (after `drained`, unless every key of `window` is
        answered; or, `until_all`, until all are in) or `longest` has passed; then pin what the
        answering kernels learned."""
        deadline = time.monotonic() + max(0.0, longest)
        learned: dict[_View, list[tuple[int, str, str]]] = defaultdict(list)
        while True:
            now = time.monotonic()
            left = deadline - now
            if left <= 0 or (until_all and all(key.mac is not None for key in self.keys)):
                break
            if drained > now and all(key.mac is not None for key in window):
                drained = now
            ready = self.selector.select(left if until_all else min(left, max(QUIET, drained - now)))
            if not ready and not until_all and time.monotonic() >= drained:
                break
            for selected, _ in ready:
                self._drain(selected.fileobj, learned)
        self.pins.pin(learned)

    def _drain(self, sock: socket.socket, learned: dict[_View, list[tuple[int, str, str]]]) -> None:
        view, family = self.sockets[sock]
        while True:
            try:
                data, address = sock.recvfrom(2048)
            except BlockingIOError:
                return
            answer = _parse(view, family, data, address)
            if answer is None:
                continue
            key = self.index.get((view.ns, answer.index, answer.responder_ip))
            if key is not None and key.mac is None:
                key.mac = answer.responder_mac
                key.answered_at = time.monotonic()
            if answer.requester_ip is None:
                continue
            for responder, index in self.by_mac.get(answer.responder_mac, ()):
                if answer.responder_ip in responder.local:
                    learned[responder].append((index, answer.requester_ip, answer.requester_mac))
                    reverse = self.index.get((responder.ns, index, answer.requester_ip))
                    if reverse is not None and reverse.mac is None:
                        reverse.mac = answer.requester_mac
                        self.report.learned += 1


@contextlib.contextmanager
def pinned(
    namespaces: Iterable[str], addresses: Iterable[str], deadline: float, tries: int
) -> Iterator[Resolution]:
    """Resolve and pin every next hop `namespaces` need to reach `addresses`; unpin on exit.

    The machine's own namespace (`netns.MACHINE`) is never touched: what it sends
    resolves as the kernel always does.
    """
    registry = PinRegistry()
    pins = _Pins(registry)
    views: dict[str, _View] = {}
    dead: dict[_View, set[tuple[int, str]]] = defaultdict(set)
    started = time.monotonic()
    try:
        for ns in sorted(set(namespaces) - {netns.MACHINE}):
            views[ns] = _open_view(ns)
        try:
            keys = discover(list(views.values()), addresses)
            report = _Resolver(keys, list(views.values()), pins, deadline, tries).run()
        finally:
            _close_all(view.close_packet_sockets for view in views.values())
        forward: dict[_View, list[tuple[int, str, str]]] = defaultdict(list)
        failing: dict[str, set[unanswered.Link]] = defaultdict(set)
        for key in keys:
            if key.mac is not None:
                forward[key.view].append((key.index, key.ip, key.mac))
            else:
                dead[key.view].add((key.index, key.ip))
                failing[key.view.ns].add((key.view.links[key.index].name, key.family))
        pins.pin(forward)
        for view, entries in dead.items():  # an entry left from before would be used (STALE) or wait
            _remove(view, entries)
        report.unresolved = frozenset(
            (key.view.ns, d) for key in keys if key.mac is None for d in key.destinations
        )
        report.pinned = sum(len(made) for made in pins.made.values())
        report.seconds = time.monotonic() - started
        with unanswered.failing_at_once(failing):
            yield report
    finally:
        try:
            pins.unpin(views)
            for view, entries in dead.items():  # the FAILED entries the probes made
                _remove(view, entries)
        finally:
            for view in views.values():
                view.rt.close()
            registry.close()


def _close_all(closers: Iterable) -> None:
    with ThreadPoolExecutor(CLOSERS) as pool:
        list(pool.map(lambda close: close(), closers))
