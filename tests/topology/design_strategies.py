"""Hypothesis strategies for designs of a valid shape (anything the schema accepts), not necessarily
sensible."""

from __future__ import annotations

import ipaddress

from hypothesis import strategies as st

from designer.topology.model import Design

# a small shared pool makes references resolve often, so the semantic rules get exercised
names = st.one_of(
    st.sampled_from(["a", "b", "c"]), st.from_regex(r"[a-z0-9][a-z0-9_-]{0,10}", fullmatch=True)
)
nics = st.one_of(st.just("eth1"), st.from_regex(r"(eth|enp0s)[0-9]{1,2}", fullmatch=True))
links = st.one_of(nics, st.builds(lambda nic, vid: f"{nic}.{vid}", nics, st.integers(1, 4094)))
ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(str)
subnets = st.builds(
    lambda a, p: str(ipaddress.ip_network(f"{a}/{p}", strict=False)), ipv4, st.integers(8, 30)
)
ipv6_subnets = st.builds(
    lambda a, p: str(ipaddress.ip_network(f"{a}/{p}", strict=False)), ipv6, st.integers(48, 126)
)
any_ip = st.one_of(ipv4, ipv6)
macs = st.from_regex(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}", fullmatch=True)
coordinates = st.floats(allow_nan=False, allow_infinity=False, width=32)

attachments = st.fixed_dictionaries({}, optional={"ip": any_ip, "mac": macs, "ipv6": any_ip})
routes = st.lists(
    st.fixed_dictionaries({"to": st.one_of(st.just("default"), subnets), "via": ipv4}), max_size=2
)
hosts = st.fixed_dictionaries(
    {"nics": st.lists(nics, min_size=1, max_size=3)},
    optional={
        "forwarding": st.booleans(),
        "addresses": st.dictionaries(
            links, st.builds(lambda a, p: f"{a}/{p}", ipv4, st.integers(8, 32)), max_size=2
        ),
        "shim": st.fixed_dictionaries({"network": names, "ip": ipv4}),
        "routes": routes,
    },
)
networks = st.fixed_dictionaries(
    {"parent": links, "subnet": st.one_of(subnets, subnets, ipv6_subnets)},
    optional={
        "mode": st.sampled_from(["bridge", "private", "vepa", "passthru", "source"]),
        "gateway": any_ip,
        "ip_range": st.one_of(subnets, ipv6_subnets),
        "aux_addresses": st.dictionaries(names, any_ip, max_size=2),
        "ipv6_subnet": st.one_of(ipv6_subnets, subnets),
        "ipv6_gateway": any_ip,
    },
)
containers = st.fixed_dictionaries(
    {"host": names, "networks": st.dictionaries(names, attachments, min_size=1, max_size=2)},
    optional={"routes": routes},
)
routers = st.fixed_dictionaries(
    {"host": names, "networks": st.dictionaries(names, attachments, min_size=2, max_size=3)},
    optional={"masquerade": names},
)
designs = st.fixed_dictionaries(
    {
        "apiVersion": st.just("mvlab/v1"),
        "kind": st.just("Design"),
        "name": names,
        "hosts": st.dictionaries(names, hosts, min_size=1, max_size=3),
    },
    optional={
        "description": st.text(max_size=40),
        "segments": st.dictionaries(
            names,
            st.fixed_dictionaries(
                {"ports": st.lists(names, min_size=1, max_size=3)},
                optional={"vlans": st.lists(st.integers(1, 4094), max_size=3), "hairpin": st.booleans()},
            ),
            max_size=2,
        ),
        "networks": st.dictionaries(names, networks, max_size=3),
        "containers": st.dictionaries(names, containers, max_size=3),
        "routers": st.dictionaries(names, routers, max_size=2),
        "layout": st.dictionaries(
            st.text(min_size=1, max_size=12),
            st.fixed_dictionaries({"x": coordinates, "y": coordinates}),
            max_size=3,
        ),
    },
).map(Design.model_validate)
