"""Probe every pair at once: raw ICMP echo from inside each source namespace.

Each source namespace gets one raw ICMP socket (ICMPv6 too when a probe needs
it), made by a short-lived thread that has entered that namespace: a socket keeps
the namespace it was made in, so one selector loop in the calling thread then
sends every echo request and matches every reply. Raw sockets are used because
new namespaces refuse unprivileged ICMP ("ping") sockets.

A probe is tried `tries` times inside its `timeout`; it is observed when an echo
reply from its destination address answers any try, with the round-trip time
measured from the kernel's receive timestamp and the reply's IP TTL (hop limit
for IPv6). Probes that get no reply all time out together, so a matrix full of
dead pairs costs about one timeout, not one per pair. A probe whose first hop nobody
answered while its next hops were resolved (`agent.neighbours`) is not sent: the
kernel would send nothing either, and it is observed dead at once.
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import ipaddress
import itertools
import random
import selectors
import socket
import struct
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from agent import neighbours, netns
from agent.neighbour_budget import TableFull
from agent.rtnl import RequestError
from contract.events import ProbeEvent
from contract.plan import Probe

Emit = Callable[[ProbeEvent], None]
Job = tuple[str, Probe]  # (namespace as agent.netns names it, probe)

ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST = 0, 8
ICMPV6_ECHO_REQUEST, ICMPV6_ECHO_REPLY = 128, 129
SOL_RAW = 255
ICMP_FILTER = 1  # <linux/icmp.h>: bitmask of ICMP types a raw socket drops
ICMP6_FILTER = 1  # <linux/icmpv6.h>: 256-bit mask of ICMPv6 types a raw socket drops
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # <asm-generic/socket.h>: struct timespec per packet
RECEIVE_BUFFER = 8 << 20
SENDS_PER_ROUND = 64  # then drain replies: a slow sender must never starve the receiver
PAYLOAD = b"mvlab-probe-0123"
# sendto errors that lose only this try: the socket's queue is full, typically of earlier
# requests waiting for a neighbour (a gateway) that never answers
LOST_SEND = frozenset({errno.EAGAIN, errno.ENOBUFS})


class ProbeSetupError(RuntimeError):
    """A source namespace could not be entered or a socket could not be made in it."""


@dataclass(frozen=True)
class SendRecord:
    """One echo request as it left: which job, which try, when (time.monotonic())."""

    job: int
    attempt: int
    at: float


def _raw_socket(family: int) -> socket.socket:
    if family == socket.AF_INET:
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        sock.setsockopt(SOL_RAW, ICMP_FILTER, struct.pack("I", 0xFFFFFFFF ^ (1 << ICMP_ECHO_REPLY)))
    else:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        words = [0xFFFFFFFF] * 8
        words[ICMPV6_ECHO_REPLY >> 5] ^= 1 << (ICMPV6_ECHO_REPLY & 31)
        sock.setsockopt(socket.IPPROTO_ICMPV6, ICMP6_FILTER, struct.pack("8I", *words))
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER)
    except PermissionError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    sock.setblocking(False)
    return sock


def open_sockets(wanted: Iterable[tuple[str, int]]) -> dict[tuple[str, int], socket.socket]:
    """Raw ICMP sockets, one per (namespace, address family), each made inside its namespace."""
    made: dict[tuple[str, int], socket.socket] = {}
    try:
        for namespace, family in sorted(set(wanted)):
            try:
                made[(namespace, family)] = netns.run_in(namespace, _raw_socket, family)
            except OSError as err:
                raise ProbeSetupError(f"cannot probe from namespace {namespace!r}: {err}") from err
    except BaseException:
        for sock in made.values():
            sock.close()
        raise
    return made


def _ones_complement_sum(data: bytes) -> int:
    return sum(struct.unpack(f"!{len(data) // 2}H", data))


_ECHO_SUM = (ICMP_ECHO_REQUEST << 8) + _ones_complement_sum(PAYLOAD)  # the header words that never change


def _echo_request(family: int, ident: int, seq: int) -> bytes:
    if family == socket.AF_INET6:  # the kernel fills in the ICMPv6 checksum
        return struct.pack("!BBHHH", ICMPV6_ECHO_REQUEST, 0, 0, ident, seq) + PAYLOAD
    total = _ECHO_SUM + ident + seq
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return struct.pack("!BBHHH", ICMP_ECHO_REQUEST, 0, ~total & 0xFFFF, ident, seq) + PAYLOAD


@dataclass(frozen=True)
class _Reply:
    source: bytes  # packed address
    ident: int
    seq: int
    ttl: int | None
    received_ns: int | None  # kernel receive time, CLOCK_REALTIME


def _parse_reply(family: int, data: bytes, ancdata: list, address: tuple) -> _Reply | None:
    received_ns = hops = None
    for level, kind, value in ancdata:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            seconds, nanos = struct.unpack("qq", value[:16])
            received_ns = seconds * 1_000_000_000 + nanos
        elif level == socket.IPPROTO_IPV6 and kind == socket.IPV6_HOPLIMIT:
            hops = struct.unpack("i", value[:4])[0]
    if family == socket.AF_INET:
        if len(data) < 20 or data[0] >> 4 != 4:
            return None
        header = (data[0] & 0x0F) * 4
        icmp = data[header:]
        if len(icmp) < 8 or icmp[0] != ICMP_ECHO_REPLY:
            return None
        ident, seq = struct.unpack("!HH", icmp[4:8])
        return _Reply(data[12:16], ident, seq, data[8], received_ns)
    if len(data) < 8 or data[0] != ICMPV6_ECHO_REPLY:
        return None
    ident, seq = struct.unpack("!HH", data[4:8])
    source = socket.inet_pton(socket.AF_INET6, address[0].split("%", 1)[0])
    return _Reply(source, ident, seq, hops, received_ns)


@dataclass
class _Pending:
    host: str
    probe: Probe
    sock_key: tuple[str, int]  # (namespace, address family)
    ident: int
    dst_packed: bytes
    sent_ns: dict[int, int] = field(default_factory=dict)  # attempt -> CLOCK_REALTIME at send
    result: ProbeEvent | None = None


def probe_all(
    jobs: list[Job],
    deployment: str,
    host: str,
    emit: Emit,
    timeout: float = 1.0,
    tries: int = 3,
    sends: list[SendRecord] | None = None,
) -> list[ProbeEvent]:
    """Run every probe of one host concurrently; emit each result as it is known; return them in job order.

    `jobs` pairs the namespace each probe is sent from (a /run/netns name, or
    `agent.netns.MACHINE`) with the probe. Each probe gets `tries` echo requests
    spread over its `timeout`; if `sends` is given, every echo request sent is
    recorded there (`SendRecord.job` is the index in `jobs`).
    """
    return probe_hosts({host: jobs}, deployment, emit, timeout, tries, sends)[host]


def probe_hosts(
    jobs_by_host: dict[str, list[Job]],
    deployment: str,
    emit: Emit,
    timeout: float = 1.0,
    tries: int = 3,
    sends: list[SendRecord] | None = None,
    pin_neighbours: bool = True,
    unresolved: frozenset[tuple[str, str]] = frozenset(),
) -> dict[str, list[ProbeEvent]]:
    """`probe_all` for several hosts in one loop (a sandbox emulates them all on one machine).

    `SendRecord.job` counts the jobs of all hosts in turn, in the order of `jobs_by_host`.
    Unless `pin_neighbours` is False (benchmarks show why not), every next hop the
    probes need is resolved and pinned first (`agent.neighbours`), so that the
    machine-wide neighbour table can neither overflow nor be filled by the probes.
    A caller that pinned them itself passes its `Resolution.unresolved` instead.
    """
    if timeout <= 0 or tries < 1:
        raise ValueError("probe timeout must be positive and tries at least 1")
    jobs = [
        (host, (namespace, _family(probe)), probe)
        for host, host_jobs in jobs_by_host.items()
        for namespace, probe in host_jobs
    ]
    results: dict[str, list[ProbeEvent]] = {host: [] for host in jobs_by_host}
    if not jobs:
        return results
    sockets = open_sockets(key for _, key, _ in jobs)
    try:
        with _neighbours_pinned(jobs, timeout, tries, pin_neighbours) as found:
            events = _ProbeLoop(
                jobs, sockets, deployment, emit, timeout, tries, sends, found | unresolved
            ).run()
    finally:
        for sock in sockets.values():
            sock.close()
    for (host, _, _), event in zip(jobs, events, strict=True):
        results[host].append(event)
    return results


@contextlib.contextmanager
def _neighbours_pinned(jobs, timeout: float, tries: int, pin: bool):
    """Yield the (namespace, address) pairs whose first hop nobody answered (none when not pinning)."""
    with contextlib.ExitStack() as stack:
        unresolved: frozenset[tuple[str, str]] = frozenset()
        if pin:
            try:
                unresolved = stack.enter_context(
                    neighbours.pinned(
                        {key[0] for _, key, _ in jobs}, {probe.dst_ip for _, _, probe in jobs}, timeout, tries
                    )
                ).unresolved
            except (TableFull, RequestError, OSError) as err:
                raise ProbeSetupError(f"cannot resolve the probes' next hops: {err}") from err
        yield unresolved


def _family(probe: Probe) -> int:
    return socket.AF_INET6 if ":" in probe.dst_ip else socket.AF_INET  # dst_ip is a validated address


class _ProbeLoop:
    """One selector loop over every source socket: sends on a schedule, matches replies."""

    def __init__(self, jobs, sockets, deployment, emit, timeout, tries, sends, unresolved=frozenset()):
        self.deployment, self.emit = deployment, emit
        self.timeout, self.tries, self.sends = timeout, tries, sends
        self.sockets = sockets
        self.by_ident: dict[tuple[str, int], dict[int, int]] = {key: {} for key in sockets}
        next_ident = {key: random.randrange(0x10000) for key in sockets}
        self.pending: list[_Pending] = []
        for index, (host, key, probe) in enumerate(jobs):
            ident = next_ident[key]
            if len(self.by_ident[key]) >= 0x10000:
                raise ValueError(f"more than 65536 probes from namespace {key[0]!r} at once")
            self.by_ident[key][ident] = index
            next_ident[key] = (ident + 1) & 0xFFFF
            self.pending.append(_Pending(host, probe, key, ident, socket.inet_pton(key[1], probe.dst_ip)))
        self.unfinished = len(self.pending)
        self.order = itertools.count()
        unsent = {
            index
            for index, (_, (namespace, _), probe) in enumerate(jobs)
            if (namespace, str(ipaddress.ip_address(probe.dst_ip))) in unresolved
        }
        self.unsent = sorted(unsent)  # their first hop never answered: observed dead without a send
        self.first_tries = deque(i for i in range(len(self.pending)) if i not in unsent)  # all due now
        self.retries: list[tuple[float, int, int, int]] = []  # heap of (due, order, job, attempt)
        self.deadlines: deque[tuple[float, int]] = deque()  # in first-send order, so in time order

    def run(self) -> list[ProbeEvent]:
        with selectors.DefaultSelector() as selector:
            for key, sock in self.sockets.items():
                selector.register(sock, selectors.EVENT_READ, key)
            for index in self.unsent:
                self._finish(index, observed=False)
            while self.unfinished:
                more_due = self._send_due()
                for selected, _ in selector.select(0.0 if more_due else self._until_next_event()):
                    self._drain(selected.data)
                self._expire_due()  # only after draining: a reply already received always counts
        return [p.result for p in self.pending]

    def _send_due(self) -> bool:
        """Send up to a round of due echo requests, due retries first; True when more are due."""
        for _ in range(SENDS_PER_ROUND):
            if self.retries and self.retries[0][0] <= time.monotonic():
                _, _, index, attempt = heapq.heappop(self.retries)
            elif self.first_tries:
                index, attempt = self.first_tries.popleft(), 0
            else:
                return False
            if self.pending[index].result is None:
                self._send(index, attempt)
        return bool(self.first_tries) or (bool(self.retries) and self.retries[0][0] <= time.monotonic())

    def _until_next_event(self) -> float:
        due = [queue[0][0] for queue in (self.retries, self.deadlines) if queue]
        return max(0.0, min(due) - time.monotonic()) if due else 0.0

    def _expire_due(self) -> None:
        now = time.monotonic()
        while self.deadlines and self.deadlines[0][0] <= now:
            _, index = self.deadlines.popleft()
            if self.pending[index].result is None:
                self._finish(index, observed=False)

    def _send(self, index: int, attempt: int) -> None:
        pending = self.pending[index]
        sock = self.sockets[pending.sock_key]
        packet = _echo_request(pending.sock_key[1], pending.ident, attempt)
        now, sent_ns = time.monotonic(), time.time_ns()  # before sendto: a veth may answer inside it
        if attempt == 0:
            step = self.timeout / self.tries
            for later in range(1, self.tries):
                heapq.heappush(self.retries, (now + later * step, next(self.order), index, later))
            self.deadlines.append((now + self.timeout, index))
        try:
            sock.sendto(packet, (pending.probe.dst_ip, 0))
        except OSError as err:
            if err.errno not in LOST_SEND:  # no route, unreachable network: nothing to wait for
                self._finish(index, observed=False)
            return
        pending.sent_ns[attempt] = sent_ns
        if self.sends is not None:
            self.sends.append(SendRecord(index, attempt, now))

    def _drain(self, key: tuple[str, int]) -> None:
        sock = self.sockets[key]
        table = self.by_ident[key]
        while True:
            try:
                data, ancdata, _, address = sock.recvmsg(2048, 256)
            except BlockingIOError:
                return
            reply = _parse_reply(key[1], data, ancdata, address)
            if reply is None or reply.ident not in table:
                continue
            index = table[reply.ident]
            pending = self.pending[index]
            sent_ns = pending.sent_ns.get(reply.seq)
            if pending.result is not None or sent_ns is None or reply.source != pending.dst_packed:
                continue
            received_ns = reply.received_ns or time.time_ns()
            self._finish(index, observed=True, rtt_ms=max(0.0, (received_ns - sent_ns) / 1e6), ttl=reply.ttl)

    def _finish(
        self, index: int, observed: bool, rtt_ms: float | None = None, ttl: int | None = None
    ) -> None:
        pending = self.pending[index]
        probe = pending.probe
        pending.result = ProbeEvent.model_construct(  # every field comes from a validated Probe
            deployment=self.deployment,
            host=pending.host,
            src=probe.src,
            dst=probe.dst,
            dst_ip=probe.dst_ip,
            expected=probe.expected,
            observed=observed,
            rtt_ms=None if rtt_ms is None else round(rtt_ms, 3),
            ttl=ttl,
        )
        self.unfinished -= 1
        self.emit(pending.result)
