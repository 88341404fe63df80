"""A small synchronous rtnetlink client on a socket that lives in one namespace.

Why not `pyroute2.IPRoute` for the hot path (measured on this machine): its
asyncio machinery costs about a millisecond per request, its message classes
0.1-0.2 ms to encode one request, and decoding a full link dump (every statistic,
every IPv6 devconf) a quarter of a millisecond per link; deploying hundreds of
endpoints must cost a couple of milliseconds each. So the few message kinds mvlab
sends are packed here with `struct` (layouts from <linux/rtnetlink.h>,
<linux/if_link.h>, <linux/if_addr.h>), several travel in one datagram, and
replies are read by a minimal decoder that takes only the attributes mvlab
compares. pyroute2 stays the library for everything else (IPRoute handles,
constants, errors). The socket's namespace was fixed when it was made (see
`agent.netns.netlink_socket`), so an `Rtnl` may be used from any thread: it can
never talk to another namespace.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import struct
import threading
from dataclasses import dataclass

from pyroute2.netlink import NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST
from pyroute2.netlink.exceptions import NetlinkError
from pyroute2.netlink.rtnl import (
    RTM_DELADDR,
    RTM_DELLINK,
    RTM_DELNEIGH,
    RTM_DELROUTE,
    RTM_GETADDR,
    RTM_GETLINK,
    RTM_GETROUTE,
    RTM_NEWADDR,
    RTM_NEWLINK,
    RTM_NEWNEIGH,
    RTM_NEWROUTE,
    RTM_SETLINK,
)

NLMSG_ERROR, NLMSG_DONE = 2, 3
IFF_UP, IFF_PROMISC = 0x1, 0x100
MACVLAN_MODES = {"private": 1, "vepa": 2, "bridge": 4, "passthru": 8, "source": 16}
MACVLAN_MODE_NAMES = {v: k for k, v in MACVLAN_MODES.items()}
# Broadcasts a macvlan parent queues for its children (the kernel's default is 1000, and it drops
# what comes beyond): every ARP request on the wire passes through there, and resolving every
# next hop of a large design at once (`agent.neighbours`) sends them faster than the children
# take them. The parent uses the largest any child asks for; a queued frame costs about 1 KiB.
MACVLAN_BC_QUEUE_LEN = 8192
RT_SCOPE_UNIVERSE, RT_SCOPE_LINK, RT_SCOPE_NOWHERE = 0, 253, 255
RTN_UNICAST = 1
NUD_PERMANENT = 0x80
NLM_F_REPLACE = 0x100
RECV_BUFFER = 1 << 20  # the socket's queue
DATAGRAM = 1 << 16  # the largest reply datagram read at once (the kernel's dump chunks are 32 KiB at most)
_HDR = struct.Struct("=IHHII")
_ATTR = struct.Struct("=HH")
_IFINFO = struct.Struct("=BBHiII")
_CREATE = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
_CHANGE = NLM_F_REQUEST | NLM_F_ACK
_DUMP = NLM_F_REQUEST | NLM_F_DUMP


@dataclass(frozen=True)
class LinkState:
    index: int
    name: str
    flags: int
    alias: str | None
    address: str | None
    parent: int | None  # IFLA_LINK
    master: int | None
    kind: str | None
    macvlan_mode: str | None
    vlan_id: int | None
    hairpin: bool | None = None  # a bridge port's hairpin mode; None: not a bridge port

    @property
    def up(self) -> bool:
        return bool(self.flags & IFF_UP)


@dataclass(frozen=True)
class RouteLookup:
    """The kernel's answer to `ip route get DST`: how a packet to `dst` would leave."""

    dst: str
    type: int  # RTN_UNICAST, RTN_LOCAL (2), ...
    oif: int | None
    gateway: str | None
    prefsrc: str | None

    @property
    def next_hop(self) -> str:
        return self.gateway or self.dst


@dataclass(frozen=True)
class AddrState:
    index: int
    family: int
    address: str  # "10.0.0.1/24"
    scope: int


@dataclass(frozen=True)
class RouteState:
    family: int
    dst: str  # "10.0.0.0/24", "0.0.0.0/0"
    gateway: str | None
    oif: int | None
    proto: int
    table: int
    type: int


LOOPBACK_IFINDEX = 1  # <net/flow.h>: lo is always index 1 of its namespace


def fresh_loopback() -> LinkState:
    """lo as every new network namespace holds it: down, no alias."""
    return LinkState(LOOPBACK_IFINDEX, "lo", 0x8, None, "00:00:00:00:00:00", None, None, None, None, None)


def _attrs(data: bytes, start: int, end: int) -> dict[int, memoryview | bytes]:
    found = {}
    while start + 4 <= end:
        length, kind = _ATTR.unpack_from(data, start)
        if length < 4:
            break
        found[kind & 0x3FFF] = data[start + 4 : start + length]
        start += (length + 3) & ~3
    return found


def _str(raw) -> str:
    return bytes(raw).split(b"\0", 1)[0].decode()


def _u32(raw) -> int:
    return struct.unpack_from("=I", raw)[0]


def _mac(raw) -> str:
    return ":".join(f"{b:02x}" for b in bytes(raw))


def _ip(family: int, raw) -> str:
    return str(ipaddress.ip_address(bytes(raw)))


def _link(data: bytes, offset: int, length: int) -> LinkState:
    _, _, _, index, flags, _ = struct.unpack_from("=BBHiII", data, offset + 16)
    a = _attrs(data, offset + 32, offset + length)
    kind = mode = vid = hairpin = None
    if 18 in a:  # IFLA_LINKINFO
        info = _attrs(a[18], 0, len(a[18]))
        kind = _str(info[1]) if 1 in info else None
        if 5 in info and 4 in info and _str(info[4]) == "bridge":  # IFLA_INFO_SLAVE_DATA of a bridge port
            port = _attrs(info[5], 0, len(info[5]))
            hairpin = bool(port[4][0]) if 4 in port else None  # IFLA_BRPORT_MODE
        if 2 in info and kind in ("macvlan", "vlan"):
            sub = _attrs(info[2], 0, len(info[2]))
            if kind == "macvlan" and 1 in sub:
                mode = MACVLAN_MODE_NAMES.get(_u32(sub[1]))
            if kind == "vlan" and 1 in sub:
                vid = struct.unpack_from("=H", sub[1])[0]
    return LinkState(
        index=index,
        name=_str(a[3]),
        flags=flags,
        alias=_str(a[20]) if 20 in a else None,
        address=_mac(a[1]) if 1 in a else None,
        parent=_u32(a[5]) if 5 in a else None,
        master=_u32(a[10]) if 10 in a else None,
        kind=kind,
        macvlan_mode=mode,
        vlan_id=vid,
        hairpin=hairpin,
    )


def _addr(data: bytes, offset: int, length: int) -> AddrState:
    family, prefixlen, _, scope, index = struct.unpack_from("=BBBBI", data, offset + 16)
    a = _attrs(data, offset + 24, offset + length)
    raw = a.get(2, a.get(1))  # IFA_LOCAL for IPv4 peers, else IFA_ADDRESS
    return AddrState(index=index, family=family, address=f"{_ip(family, raw)}/{prefixlen}", scope=scope)


def _route(data: bytes, offset: int, length: int) -> RouteState:
    family, dst_len, _, _, table, proto, _, rtype, _ = struct.unpack_from("=BBBBBBBBI", data, offset + 16)
    a = _attrs(data, offset + 28, offset + length)
    if 15 in a:  # RTA_TABLE
        table = _u32(a[15])
    dst = _ip(family, a[1]) if 1 in a else ("0.0.0.0" if family == socket.AF_INET else "::")
    return RouteState(
        family=family,
        dst=f"{dst}/{dst_len}",
        gateway=_ip(family, a[5]) if 5 in a else None,
        oif=_u32(a[4]) if 4 in a else None,
        proto=proto,
        table=table,
        type=rtype,
    )


def _lookup(dst: str, data: bytes, offset: int, length: int) -> RouteLookup:
    family, _, _, _, _, _, _, rtype, _ = struct.unpack_from("=BBBBBBBBI", data, offset + 16)
    a = _attrs(data, offset + 28, offset + length)
    return RouteLookup(
        dst=dst,
        type=rtype,
        oif=_u32(a[4]) if 4 in a else None,  # RTA_OIF
        gateway=_ip(family, a[5]) if 5 in a else None,  # RTA_GATEWAY
        prefsrc=_ip(family, a[7]) if 7 in a else None,  # RTA_PREFSRC
    )


def _packed(address: str) -> tuple[int, bytes]:
    """(family, packed) of a validated address, without ipaddress' cost (hot: once per pair)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return family, socket.inet_pton(family, address)


def _route_get(dst: str) -> Request:
    family, packed = _packed(dst)
    body = struct.pack("=BBBBBBBBI", family, len(packed) * 8, 0, 0, 0, 0, 0, 0, 0) + _nlas((1, packed))
    return Request(RTM_GETROUTE, NLM_F_REQUEST, body, f"look up the route to {dst}")


def _nla(kind: int, payload: bytes) -> bytes:
    """One netlink attribute, padded to 4 bytes."""
    raw = _ATTR.pack(4 + len(payload), kind) + payload
    return raw + b"\0" * (-len(raw) % 4)


def _nlas(*items: tuple[int, bytes] | None) -> bytes:
    return b"".join(_nla(kind, payload) for kind, payload in filter(None, items))


def _cstr(value: str) -> bytes:
    return value.encode() + b"\0"


def _pack_u32(value: int) -> bytes:
    return struct.pack("=I", value)


def _ifinfo(index: int = 0, flags: int = 0, change: int = 0) -> bytes:
    return _IFINFO.pack(socket.AF_UNSPEC, 0, 0, index, flags, change)


class Request:
    """One request: the body after the netlink header; `what` names it in errors."""

    def __init__(self, msg_type: int, flags: int, body: bytes, what: str):
        self.type, self.flags, self.body, self.what = msg_type, flags, body, what
        self.removal = msg_type in (RTM_DELLINK, RTM_DELADDR, RTM_DELROUTE, RTM_DELNEIGH)
        self.creation = bool(flags & NLM_F_EXCL)

    def encode(self, seq: int) -> bytes:
        return _HDR.pack(16 + len(self.body), self.type, self.flags, seq, 0) + self.body


class RequestError(NetlinkError):
    """The kernel refused requests of a batch: `failures` pairs each with its errno."""

    def __init__(self, failures: list[tuple[Request, int]]):
        request, code = failures[0]
        super().__init__(code)
        self.what = request.what
        self.failures = failures


class Rtnl:
    def __init__(self, sock: socket.socket):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECV_BUFFER)
        sock.bind((0, 0))
        self.sock = sock
        self.seq = 0
        self.lock = threading.Lock()
        self.buffer = bytearray(DATAGRAM)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Rtnl:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- transport -----------------------------------------------------------------

    def do(self, *requests: Request) -> None:
        """Send all `requests` in one datagram; the kernel runs each in turn and acks each.

        Raises RequestError listing every request it refused.
        """
        if not requests:
            return
        with self.lock:
            first = self.seq + 1
            self.sock.send(b"".join(r.encode(first + i) for i, r in enumerate(requests)))
            self.seq += len(requests)
            pending = set(range(first, self.seq + 1))
            failures = []
            while pending:
                data = self._receive()
                offset = 0
                while offset + 16 <= len(data):
                    length, mtype, _, seq, _ = _HDR.unpack_from(data, offset)
                    if mtype == NLMSG_ERROR and seq in pending:
                        pending.discard(seq)
                        code = -struct.unpack_from("=i", data, offset + 16)[0]
                        if code:
                            failures.append((requests[seq - first], code))
                    offset += (length + 3) & ~3
            if failures:
                raise RequestError(sorted(failures, key=lambda f: requests.index(f[0])))

    def _receive(self) -> bytes:
        size = self.sock.recv_into(self.buffer, DATAGRAM, socket.MSG_TRUNC)
        if size > DATAGRAM:
            raise OSError(errno.EMSGSIZE, f"a netlink reply of {size} bytes does not fit {DATAGRAM}")
        return bytes(self.buffer[:size])

    def _dump(self, request: Request, decode) -> list:
        with self.lock:
            self.seq += 1
            seq = self.seq
            self.sock.send(request.encode(seq))
            found = []
            while True:
                data = self._receive()
                offset = 0
                while offset + 16 <= len(data):
                    length, mtype, _, mseq, _ = _HDR.unpack_from(data, offset)
                    if mseq == seq:
                        if mtype == NLMSG_DONE:
                            return found
                        if mtype == NLMSG_ERROR:
                            code = -struct.unpack_from("=i", data, offset + 16)[0]
                            raise RequestError([(request, code)])
                        found.append(decode(data, offset, length))
                    offset += (length + 3) & ~3

    # ---- queries -------------------------------------------------------------------

    def route_get(self, destinations: list[str], chunk: int = 256) -> list[RouteLookup | None]:
        """`ip route get` for each destination, many per datagram; None where the kernel has no route."""
        found: list[RouteLookup | None] = []
        for start in range(0, len(destinations), chunk):
            found.extend(self._route_get_chunk(destinations[start : start + chunk]))
        return found

    def _route_get_chunk(self, destinations: list[str]) -> list[RouteLookup | None]:
        with self.lock:
            first = self.seq + 1
            self.sock.send(b"".join(_route_get(dst).encode(first + i) for i, dst in enumerate(destinations)))
            self.seq += len(destinations)
            answers: dict[int, RouteLookup | None] = {}
            while len(answers) < len(destinations):
                data = self._receive()
                offset = 0
                while offset + 16 <= len(data):
                    length, mtype, _, seq, _ = _HDR.unpack_from(data, offset)
                    if first <= seq <= self.seq:
                        if mtype == NLMSG_ERROR:
                            answers[seq] = None
                        elif mtype == RTM_NEWROUTE:
                            answers[seq] = _lookup(destinations[seq - first], data, offset, length)
                    offset += (length + 3) & ~3
            return [answers[first + i] for i in range(len(destinations))]

    def links(self) -> list[LinkState]:
        body = _ifinfo() + _nlas((29, _pack_u32(1 << 3)))  # IFLA_EXT_MASK: RTEXT_FILTER_SKIP_STATS
        return self._dump(Request(RTM_GETLINK, _DUMP, body, "list links"), _link)

    def addresses(self) -> list[AddrState]:
        return self._dump(Request(RTM_GETADDR, _DUMP, bytes(8), "list addresses"), _addr)

    def routes(self) -> list[RouteState]:
        return self._dump(Request(RTM_GETROUTE, _DUMP, bytes(12), "list routes"), _route)


# ---- request builders -------------------------------------------------------------


def link_add(
    name: str,
    kind: str,
    *,
    parent: int | None = None,
    mac: str | None = None,
    netns_fd: int | None = None,
    up: bool = False,
    macvlan_mode: str | None = None,
    vlan_id: int | None = None,
    peer: tuple[str, int | None] | None = None,
) -> Request:
    """RTM_NEWLINK. `peer` (veth): (name, namespace fd or None). `netns_fd`: make it there directly."""
    data = _nlas(
        (1, _pack_u32(MACVLAN_MODES[macvlan_mode]))
        if macvlan_mode is not None
        else None,  # IFLA_MACVLAN_MODE
        (7, _pack_u32(MACVLAN_BC_QUEUE_LEN)) if kind == "macvlan" else None,  # IFLA_MACVLAN_BC_QUEUE_LEN
        (1, struct.pack("=H", vlan_id)) if vlan_id is not None else None,  # IFLA_VLAN_ID
        (1, _ifinfo() + _nlas((3, _cstr(peer[0])), (28, _pack_u32(peer[1])) if peer[1] is not None else None))
        if peer is not None
        else None,  # VETH_INFO_PEER
    )
    info = _nlas((1, _cstr(kind)), (2, data) if data else None)  # IFLA_INFO_KIND, IFLA_INFO_DATA
    body = _ifinfo(flags=IFF_UP if up else 0, change=IFF_UP if up else 0) + _nlas(
        (3, _cstr(name)),  # IFLA_IFNAME
        (18, info),  # IFLA_LINKINFO
        (5, _pack_u32(parent)) if parent is not None else None,  # IFLA_LINK
        (1, bytes.fromhex(mac.replace(":", ""))) if mac is not None else None,  # IFLA_ADDRESS
        (28, _pack_u32(netns_fd)) if netns_fd is not None else None,  # IFLA_NET_NS_FD
    )
    return Request(RTM_NEWLINK, _CREATE, body, f"create {kind} link {name}")


def link_set(
    *,
    index: int = 0,
    name: str | None = None,
    alias: str | None = None,
    up: bool | None = None,
    promisc: bool | None = None,
    mac: str | None = None,
    master: int | None = None,
    netns_fd: int | None = None,
) -> Request:
    """RTM_SETLINK of the link `index` (or, with index 0, the link called `name`); `netns_fd` moves it."""
    flags = change = 0
    for flag, wanted in ((IFF_UP, up), (IFF_PROMISC, promisc)):
        if wanted is not None:
            change |= flag
            flags |= flag if wanted else 0
    body = _ifinfo(index, flags, change) + _nlas(
        (3, _cstr(name)) if name is not None and not index else None,  # IFLA_IFNAME
        (20, alias.encode()) if alias is not None else None,  # IFLA_IFALIAS
        (1, bytes.fromhex(mac.replace(":", ""))) if mac is not None else None,  # IFLA_ADDRESS
        (10, _pack_u32(master)) if master is not None else None,  # IFLA_MASTER
        (28, _pack_u32(netns_fd)) if netns_fd is not None else None,  # IFLA_NET_NS_FD
    )
    return Request(RTM_SETLINK, _CHANGE, body, f"change link {name or index}")


def bridge_port_set(index: int, *, hairpin: bool) -> Request:
    """A bridge port's settings (`ip link set dev X type bridge_slave hairpin on|off`)."""
    slave = _nlas((4, struct.pack("=B", int(hairpin))))  # IFLA_BRPORT_MODE
    info = _nlas((4, _cstr("bridge")), (5, slave))  # IFLA_INFO_SLAVE_KIND, IFLA_INFO_SLAVE_DATA
    return Request(RTM_NEWLINK, _CHANGE, _ifinfo(index) + _nlas((18, info)), f"set hairpin of port {index}")


def link_del(index: int, name: str = "") -> Request:
    return Request(RTM_DELLINK, _CHANGE, _ifinfo(index), f"remove link {name or index}")


def addr(add: bool, index: int, address: str, nodad: bool = True) -> Request:
    iface = ipaddress.ip_interface(address)
    family = socket.AF_INET if iface.version == 4 else socket.AF_INET6
    flags = 0x02 if iface.version == 6 and nodad else 0  # IFA_F_NODAD: usable at once, as a container's is
    raw = iface.ip.packed
    body = struct.pack("=BBBBI", family, iface.network.prefixlen, flags, 0, index) + _nlas((2, raw), (1, raw))
    return Request(
        RTM_NEWADDR if add else RTM_DELADDR,
        _CREATE if add else _CHANGE,
        body,
        f"{'add' if add else 'remove'} address {address}",
    )


def route(
    add: bool, dst: str, *, gateway: str | None = None, oif: int | None = None, proto: int, table: int = 254
) -> Request:
    network = ipaddress.ip_network(dst)
    family = socket.AF_INET if network.version == 4 else socket.AF_INET6
    scope = (RT_SCOPE_UNIVERSE if gateway else RT_SCOPE_LINK) if add else RT_SCOPE_NOWHERE
    body = struct.pack(
        "=BBBBBBBBI", family, network.prefixlen, 0, 0, min(table, 255), proto, scope, RTN_UNICAST, 0
    ) + _nlas(
        (15, _pack_u32(table)),  # RTA_TABLE
        (1, network.network_address.packed) if network.prefixlen else None,  # RTA_DST
        (5, ipaddress.ip_address(gateway).packed) if gateway else None,  # RTA_GATEWAY
        (4, _pack_u32(oif)) if oif is not None else None,  # RTA_OIF
    )
    return Request(
        RTM_NEWROUTE if add else RTM_DELROUTE,
        _CREATE if add else _CHANGE,
        body,
        f"{'add' if add else 'remove'} route {dst}" + (f" via {gateway}" if gateway else ""),
    )


def neighbour(add: bool, index: int, address: str, mac: str | None = None) -> Request:
    """RTM_NEWNEIGH of a permanent entry (replacing whatever the kernel had), or RTM_DELNEIGH."""
    family, packed = _packed(address)
    body = struct.pack("=BBHiHBB", family, 0, 0, index, NUD_PERMANENT if add else 0, 0, 0) + _nlas(
        (1, packed),  # NDA_DST
        (2, bytes.fromhex(mac.replace(":", ""))) if add and mac else None,  # NDA_LLADDR
    )
    if add:
        return Request(
            RTM_NEWNEIGH,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE,
            body,
            f"pin neighbour {address} at {mac} on link {index}",
        )
    return Request(RTM_DELNEIGH, _CHANGE, body, f"unpin neighbour {address} on link {index}")
