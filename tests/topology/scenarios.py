"""Designs of the classic macvlan tutorial scenarios, as dicts `make_design` takes, with knobs to turn."""

from __future__ import annotations

NET10 = {"parent": "eth1", "subnet": "10.0.0.0/24"}


def one_host(mode: str = "bridge", hairpin: bool = False, **host) -> dict:
    """host1 with eth1 on a switch, two containers on one macvlan network of eth1."""
    return dict(
        hosts={"host1": {"nics": ["eth1"], **host}},
        segments={"sw": {"ports": ["host1.eth1"], "hairpin": hairpin}},
        networks={"n": {**NET10, "mode": mode}},
        containers={
            "a": {"host": "host1", "networks": {"n": {"ip": "10.0.0.10"}}},
            "b": {"host": "host1", "networks": {"n": {"ip": "10.0.0.11"}}},
        },
    )


def two_hosts(mode: str, vlans=(), parent="eth1", **segment) -> dict:
    return dict(
        hosts={"host1": {"nics": ["eth1"]}, "host2": {"nics": ["eth1"]}},
        segments={"sw": {"ports": ["host1.eth1", "host2.eth1"], "vlans": list(vlans), **segment}},
        networks={"n": {"parent": parent, "subnet": "10.0.0.0/24", "mode": mode}},
        containers={
            "a": {"host": "host1", "networks": {"n": {"ip": "10.0.0.10"}}},
            "b": {"host": "host2", "networks": {"n": {"ip": "10.0.0.11"}}},
        },
    )


def passthru_parent_address(hairpin: bool = False) -> dict:
    """`two_hosts("passthru")` and two more hosts on the wire; host1 and host3 hold an address on eth1,
    host4 has a shim. host1's eth1 is the parent of a's passthru child, host3's of none."""
    parts = two_hosts("passthru", hairpin=hairpin)
    parts["hosts"] |= {"host3": {"nics": ["eth1"]}, "host4": {"nics": ["eth1"]}}
    parts["segments"]["sw"]["ports"] += ["host3.eth1", "host4.eth1"]
    parts["hosts"]["host1"]["addresses"] = {"eth1": "10.0.0.1/24"}
    parts["hosts"]["host3"]["addresses"] = {"eth1": "10.0.0.3/24"}
    parts["hosts"]["host4"]["shim"] = {"network": "n", "ip": "10.0.0.250"}
    return parts


def vlans_and_router_host(forwarding: bool, gateways: bool = True) -> dict:
    """Two VLANs on one wire; host3 holds an address on each and maybe forwards."""
    gw10 = {"gateway": "172.16.10.1"} if gateways else {}
    gw20 = {"gateway": "172.16.20.1"} if gateways else {}
    return dict(
        hosts={
            "host1": {"nics": ["enp0s8"]},
            "host2": {"nics": ["enp0s8"]},
            "host3": {
                "nics": ["enp0s8"],
                "forwarding": forwarding,
                "addresses": {"enp0s8.100": "172.16.10.1/24", "enp0s8.200": "172.16.20.1/24"},
            },
        },
        segments={"lan": {"ports": ["host1.enp0s8", "host2.enp0s8", "host3.enp0s8"], "vlans": [100, 200]}},
        networks={
            "mac10": {"parent": "enp0s8.100", "subnet": "172.16.10.0/24", **gw10},
            "mac20": {"parent": "enp0s8.200", "subnet": "172.16.20.0/24", **gw20},
        },
        containers={
            "d1": {"host": "host1", "networks": {"mac10": {"ip": "172.16.10.10"}}},
            "d2": {"host": "host1", "networks": {"mac20": {"ip": "172.16.20.10"}}},
            "d4": {"host": "host2", "networks": {"mac20": {"ip": "172.16.20.11"}}},
        },
    )


def router_design(masquerade: str | None, server_gateway: bool = False) -> dict:
    uplink = {"parent": "eth2", "subnet": "10.2.0.0/24"}
    if server_gateway:
        uplink["gateway"] = "10.2.0.1"
    router = {"host": "host1", "networks": {"inside": {"ip": "10.1.0.1"}, "uplink": {"ip": "10.2.0.1"}}}
    if masquerade:
        router["masquerade"] = masquerade
    return dict(
        hosts={"host1": {"nics": ["eth1", "eth2"]}},
        networks={
            "inside": {"parent": "eth1", "subnet": "10.1.0.0/24", "gateway": "10.1.0.1"},
            "uplink": uplink,
        },
        containers={
            "client": {"host": "host1", "networks": {"inside": {"ip": "10.1.0.10"}}},
            "server": {"host": "host1", "networks": {"uplink": {"ip": "10.2.0.20"}}},
        },
        routers={"r1": router},
    )


def with_ipv6(parts: dict, uplink_gateway: bool) -> dict:
    """`router_design` with an IPv6 subnet on both networks; r1 holds ::1 of each."""
    parts["networks"]["inside"].update(ipv6_subnet="fd00:1::/64", ipv6_gateway="fd00:1::1")
    parts["networks"]["uplink"]["ipv6_subnet"] = "fd00:2::/64"
    if uplink_gateway:
        parts["networks"]["uplink"]["ipv6_gateway"] = "fd00:2::1"
    parts["routers"]["r1"]["networks"]["inside"]["ipv6"] = "fd00:1::1"
    parts["routers"]["r1"]["networks"]["uplink"]["ipv6"] = "fd00:2::1"
    return parts


def near_miss_routes() -> dict:
    """`router_design` with IPv6 and routes beside those the namespaces already hold, all of which
    the kernel accepts: a shorter and a longer prefix than a connected subnet, a host route to an
    own address, an IPv6 route to a connected prefix (metric 1024 beside the kernel's 256), a
    shorter prefix than the shim's."""
    parts = with_ipv6(router_design(None, server_gateway=True), uplink_gateway=True)
    parts["containers"]["client"]["routes"] = [
        {"to": "10.1.0.0/23", "via": "10.1.0.1"},
        {"to": "10.1.0.0/25", "via": "10.1.0.1"},
        {"to": "10.1.0.10/32", "via": "10.1.0.1"},
        {"to": "fd00:1::/64", "via": "fd00:1::1"},
    ]
    parts["hosts"]["host1"]["shim"] = {"network": "uplink", "ip": "10.2.0.250"}
    parts["hosts"]["host1"]["routes"] = [
        {"to": "10.2.0.0/23", "via": "10.2.0.1"},
        {"to": "10.1.0.0/24", "via": "10.2.0.1"},
    ]
    return parts


def route_via_own_address() -> dict:
    """`router_design` where the client routes the uplink's subnet via its own address: the kernel reads
    that as a route straight out of the client's link, so the client asks its own wire for each address
    of the uplink, and r1 answers for its uplink address (the weak host model)."""
    parts = router_design(None, server_gateway=True)
    parts["containers"]["client"]["routes"] = [{"to": "10.2.0.0/24", "via": "10.1.0.10"}]
    return parts
