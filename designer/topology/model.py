"""The design schema (`apiVersion: mvlab/v1`): what a design file may say, as typed data.

Only the shape of each element is checked here (unknown keys, types, formats);
rules that relate elements to each other live in `validate.py`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from contract.plan import MacvlanMode, check_ifname, check_name

MAC_TEXT_RE = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")


def _rule(check: Callable[[str], str], hint: str) -> AfterValidator:
    """`check` as a field validator whose error also says what to do (`ctx["hint"]`)."""

    def validate(value: str) -> str:
        try:
            return check(value)
        except ValueError as err:
            raise PydanticCustomError(
                "invalid_value", "{reason}", {"reason": str(err), "hint": hint}
            ) from None

    return AfterValidator(validate)


def _ip(value: str) -> str:
    return str(ipaddress.ip_address(value))


def _cidr_host(value: str) -> str:
    """An address with its prefix length, as a host or router holds it (172.16.10.1/24)."""
    if "/" not in value:
        raise ValueError(f"{value!r} needs a prefix length, like 172.16.10.1/24")
    return str(ipaddress.ip_interface(value))


def _network(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError as err:
        raise ValueError(f"{value!r} is not a network address with a prefix ({err})") from None


def _route_target(value: str) -> str:
    return value if value == "default" else _network(value)


def _mac(value: str) -> str:
    if not MAC_TEXT_RE.match(value):
        raise ValueError(f"{value!r} is not a MAC address")
    return value.lower()


Name = Annotated[str, _rule(check_name, "use lowercase letters, digits, '_' and '-', like host1 or mac10")]
IfName = Annotated[
    str, _rule(check_ifname, "use at most 15 letters, digits, '_', '.' or '-', like enp0s8 or enp0s8.100")
]
IpAddress = Annotated[str, _rule(_ip, "write one address, like 172.16.10.10")]
HostInterface = Annotated[
    str, _rule(_cidr_host, "write the address with its prefix length, like 172.16.10.1/24")
]
Network = Annotated[
    str, _rule(_network, "write the network address with its prefix length, like 172.16.10.0/24")
]
RouteTarget = Annotated[str, _rule(_route_target, "write a network like 10.0.0.0/8, or default")]
MacAddress = Annotated[
    str, _rule(_mac, "write six two-digit hex octets separated by ':', in quotes, like \"02:00:00:00:20:0b\"")
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RouteSpec(Strict):
    """An extra static route: `to` a network (or `default`) `via` a next hop."""

    to: RouteTarget
    via: IpAddress


class Shim(Strict):
    """A bridge-mode macvlan of the host itself on `network`, so the host reaches its own children."""

    network: Name
    ip: IpAddress


class Host(Strict):
    nics: list[IfName] = Field(min_length=1)
    forwarding: bool = False
    addresses: dict[IfName, HostInterface] = {}
    shim: Shim | None = None
    routes: list[RouteSpec] = []


class Segment(Strict):
    """The wire or switch between NICs (`host.nic`); `vlans` are the tags it carries."""

    ports: list[str] = Field(min_length=1)
    vlans: list[Annotated[int, Field(ge=1, le=4094)]] = []
    hairpin: bool = False


class MacvlanNetwork(Strict):
    """A Docker-style macvlan network: `parent` is a NIC or `NIC.VID`."""

    parent: IfName
    mode: MacvlanMode = "bridge"
    subnet: Network
    gateway: IpAddress | None = None
    ip_range: Network | None = None
    aux_addresses: dict[str, IpAddress] = {}
    ipv6_subnet: Network | None = None
    ipv6_gateway: IpAddress | None = None


class Attachment(Strict):
    """An endpoint's leg on a network; addresses left out come from IPAM."""

    ip: IpAddress | None = None
    mac: MacAddress | None = None
    ipv6: IpAddress | None = None


class Container(Strict):
    host: Name
    networks: dict[Name, Attachment] = Field(min_length=1)
    routes: list[RouteSpec] = []


class Router(Strict):
    """A namespace with legs on several networks and forwarding on."""

    host: Name
    networks: dict[Name, Attachment] = Field(min_length=2)
    routes: list[RouteSpec] = []
    masquerade: Name | None = None  # the network whose leg traffic leaves through, NATed


class Position(Strict):
    x: float
    y: float


class Design(Strict):
    api_version: Literal["mvlab/v1"] = Field(alias="apiVersion")
    kind: Literal["Design"]
    name: Name
    description: str = ""
    hosts: dict[Name, Host] = Field(min_length=1)
    segments: dict[Name, Segment] = {}
    networks: dict[Name, MacvlanNetwork] = {}
    containers: dict[Name, Container] = {}
    routers: dict[Name, Router] = {}
    layout: dict[str, Position] = {}

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
