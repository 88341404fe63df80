"""What an agent is asked to build, and what it reports of its machine.

A `HostPlan` is everything one host must hold for one deployment; the designer
compiles it from a design, the agent reconciles the kernel towards it and sends
events back (`contract.events`). A `SandboxFabric` describes the wires between hosts
when a lab sandbox emulates them on one machine; `HostFacts` and `Room` ride on the
agent's heartbeat. Everything here is plain data (JSON through pydantic), with no Django
import, and it is validated a second time on the agent side: names and addresses are
checked by the models themselves.

Namespaces in a plan are *logical*: `HOST_NS` ("") is the host's own namespace
(the machine's root namespace on a real host, the host's emulated namespace in a
sandbox); any other name is a container or router namespace, which the agent
creates as `mvl-<deployment>-<name>`.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

PLAN_VERSION = 1
HOST_NS = ""
OWNER_PREFIX = "mvlab:"
NETNS_PREFIX = "mvl-"

IFNAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
DEPLOYMENT_RE = re.compile(r"^[a-z0-9]{1,12}$")
MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")

MacvlanMode = Literal["bridge", "private", "vepa", "passthru", "source"]
ALLOWED_SYSCTLS = frozenset(
    {
        "net.ipv4.ip_forward",
        "net.ipv6.conf.all.forwarding",
        "net.ipv4.conf.all.rp_filter",
        "net.ipv4.conf.default.rp_filter",
    }
)


def netns_name(deployment: str, namespace: str) -> str:
    """The kernel name of a logical namespace of a deployment."""
    return f"{NETNS_PREFIX}{deployment}-{namespace}"


def owner_mark(deployment: str) -> str:
    """The ifalias every link made for `deployment` carries."""
    return f"{OWNER_PREFIX}{deployment}"


def check_ifname(value: str) -> str:
    if not IFNAME_RE.match(value) or value in {".", ".."}:
        raise ValueError(
            f"{value!r} is not a usable interface name: 1-15 characters of letters, digits, '_', '.', '-'"
        )
    return value


def check_name(value: str) -> str:
    if not NAME_RE.match(value):
        raise ValueError(
            f"{value!r} is not a usable name: lowercase letters, digits, '_' and '-', "
            "starting with a letter or digit, at most 32"
        )
    return value


Name = Annotated[str, AfterValidator(check_name)]
IfName = Annotated[str, AfterValidator(check_ifname)]
IpAddress = Annotated[str, AfterValidator(lambda v: str(ipaddress.ip_address(v)))]
IpInterface = Annotated[str, AfterValidator(lambda v: str(ipaddress.ip_interface(v)))]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Namespace(Strict):
    """A container or router namespace the agent creates on this host."""

    name: Name
    forwarding: bool = False


class Link(Strict):
    """A link the agent makes and owns.

    kind `vlan`: an 802.1Q sub-interface `name` of `parent` with `vid`, in the host
    namespace (emulated by a veth into the VLAN's bridge inside a sandbox).
    kind `macvlan`: created on `parent` (a link of the host namespace) with `mode`,
    then moved into `namespace` and given `name`, `mac` and `addresses`.
    """

    name: str
    namespace: str = HOST_NS
    kind: Literal["vlan", "macvlan"]
    parent: str
    vid: int | None = Field(default=None, ge=1, le=4094)
    mode: MacvlanMode | None = None
    mac: str | None = None
    addresses: tuple[str, ...] = ()

    @field_validator("name", "parent")
    @classmethod
    def _ifname(cls, v: str) -> str:
        return check_ifname(v)

    @field_validator("namespace")
    @classmethod
    def _ns(cls, v: str) -> str:
        return v if v == HOST_NS else check_name(v)

    @field_validator("mac")
    @classmethod
    def _mac(cls, v: str | None) -> str | None:
        if v is None:
            return v
        v = v.lower()
        if not MAC_RE.match(v):
            raise ValueError(f"{v!r} is not a MAC address like 02:42:ac:10:0a:0a")
        if int(v[:2], 16) & 1 or v == "00:00:00:00:00:00":
            raise ValueError(f"{v!r} is multicast or zero; a link needs a unicast MAC")
        return v

    @field_validator("addresses")
    @classmethod
    def _addresses(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(str(ipaddress.ip_interface(a)) for a in v)

    @model_validator(mode="after")
    def _kind_fields(self) -> Link:
        if self.kind == "vlan" and (self.vid is None or self.mode is not None or self.namespace != HOST_NS):
            raise ValueError(f"vlan link {self.name}: needs vid, no mode, and lives in the host namespace")
        if self.kind == "macvlan" and (self.mode is None or self.vid is not None):
            raise ValueError(f"macvlan link {self.name}: needs mode and no vid")
        return self


class HostAddress(Strict):
    """An address the host itself holds on one of its links (a NIC or a sub-interface)."""

    link: IfName
    address: IpInterface


class Route(Strict):
    namespace: str = HOST_NS
    dst: str  # a CIDR, or "default"
    via: str | None = None
    dev: str | None = None

    @field_validator("dst")
    @classmethod
    def _dst(cls, v: str) -> str:
        return v if v == "default" else str(ipaddress.ip_network(v, strict=True))

    @field_validator("via")
    @classmethod
    def _via(cls, v: str | None) -> str | None:
        return None if v is None else str(ipaddress.ip_address(v))

    @model_validator(mode="after")
    def _target(self) -> Route:
        if self.via is None and self.dev is None:
            raise ValueError(f"route to {self.dst}: needs via or dev")
        return self


class Sysctl(Strict):
    namespace: str = HOST_NS
    key: str
    value: str

    @field_validator("key")
    @classmethod
    def _key(cls, v: str) -> str:
        if v not in ALLOWED_SYSCTLS:
            raise ValueError(f"sysctl {v!r} is not one the agent sets; allowed: {sorted(ALLOWED_SYSCTLS)}")
        return v


class Masquerade(Strict):
    """Source NAT of `source` leaving `out_link` of a router namespace."""

    namespace: Name
    out_link: IfName
    source: Annotated[str, AfterValidator(lambda v: str(ipaddress.ip_network(v, strict=True)))]


class Probe(Strict):
    """One ping the host runs: from endpoint `src` (in `namespace`) to `dst_ip` of endpoint `dst`."""

    src: str
    namespace: str = HOST_NS
    dst: str
    dst_ip: IpAddress
    expected: bool
    expected_ttl: int | None = None


class HostPlan(Strict):
    version: Literal[1] = PLAN_VERSION
    deployment: str
    host: Name
    nics: tuple[IfName, ...] = ()  # parents the plan needs on this host
    namespaces: tuple[Namespace, ...] = ()
    links: tuple[Link, ...] = ()
    host_addresses: tuple[HostAddress, ...] = ()
    routes: tuple[Route, ...] = ()
    sysctls: tuple[Sysctl, ...] = ()
    masquerade: tuple[Masquerade, ...] = ()
    probes: tuple[Probe, ...] = ()

    @field_validator("deployment")
    @classmethod
    def _deployment(cls, v: str) -> str:
        if not DEPLOYMENT_RE.match(v):
            raise ValueError(f"deployment {v!r}: 1-12 lowercase letters or digits")
        return v

    @model_validator(mode="after")
    def _references(self) -> HostPlan:
        known = {HOST_NS} | {ns.name for ns in self.namespaces}
        for item in (*self.links, *self.routes, *self.sysctls, *self.masquerade, *self.probes):
            if item.namespace not in known:
                raise ValueError(f"{type(item).__name__} refers to unknown namespace {item.namespace!r}")
        return self


class SegmentPort(Strict):
    host: Name
    nic: IfName


class Segment(Strict):
    """A wire or switch between NICs; `vlans` are the 802.1Q ids it carries tagged."""

    name: Name
    ports: tuple[SegmentPort, ...]
    vlans: tuple[Annotated[int, Field(ge=1, le=4094)], ...] = ()
    hairpin: bool = False


class SandboxFabric(Strict):
    """The wires of a design, for a lab sandbox that emulates all its hosts on one machine."""

    deployment: str
    hosts: tuple[Name, ...]
    segments: tuple[Segment, ...] = ()


class NicFacts(Strict):
    name: str
    state: str
    mac: str | None
    promiscuous: bool
    addresses: tuple[str, ...] = ()


class HostFacts(Strict):
    """What an agent reports of its machine with every heartbeat."""

    agent: str
    kernel: str
    macvlan: bool
    vlan_8021q: bool
    bridge: bool
    veth: bool
    ipvlan: bool
    nics: tuple[NicFacts, ...] = ()


class TableRoom(Strict):
    """One neighbour table of the machine (every namespace shares it): its cap, what counts against
    the cap now, and how many free entries an mvlab probe needs to start."""

    cap: int
    in_use: int
    probe_needs: int

    @property
    def free(self) -> int:
        return max(0, self.cap - self.in_use)


class Room(Strict):
    """What a lab agent's machine has free, sent with every heartbeat; the site places sandboxes by it."""

    memory_available: int  # bytes, MemAvailable within the agent cgroup's limit (agent.room)
    memory_total: int  # bytes, MemTotal or that limit, the smaller
    neighbours: dict[Literal["ipv4", "ipv6"], TableRoom]
    sandboxes: int  # lab sandboxes on the machine now (fabric namespaces)
