"""dump → load gives the same design, and load → dump → load → dump the same text (canonical YAML)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from designer.topology.model import Design
from designer.topology.yamlio import dump_design, load_design

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.yaml"))

names = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,10}", fullmatch=True)
nics = st.from_regex(r"(eth|enp0s)[0-9]{1,2}", fullmatch=True)
links = st.one_of(nics, st.builds(lambda nic, vid: f"{nic}.{vid}", nics, st.integers(1, 4094)))
ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(str)
subnets = st.builds(lambda a, p: str(__import__("ipaddress").ip_network(f"{a}/{p}", strict=False)), ipv4, st.integers(8, 30))
macs = st.from_regex(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}", fullmatch=True)
coordinates = st.floats(allow_nan=False, allow_infinity=False, width=32)

attachments = st.fixed_dictionaries({}, optional={"ip": ipv4, "mac": macs, "ipv6": ipv6})
routes = st.lists(st.fixed_dictionaries({"to": st.one_of(st.just("default"), subnets), "via": ipv4}), max_size=2)
hosts = st.fixed_dictionaries(
    {"nics": st.lists(nics, min_size=1, max_size=3)},
    optional={
        "forwarding": st.booleans(),
        "addresses": st.dictionaries(links, st.builds(lambda a, p: f"{a}/{p}", ipv4, st.integers(8, 32)), max_size=2),
        "shim": st.fixed_dictionaries({"network": names, "ip": ipv4}),
        "routes": routes,
    },
)
networks = st.fixed_dictionaries(
    {"parent": links, "subnet": subnets},
    optional={
        "mode": st.sampled_from(["bridge", "private", "vepa", "passthru", "source"]),
        "gateway": ipv4,
        "ip_range": subnets,
        "aux_addresses": st.dictionaries(names, ipv4, max_size=2),
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
            st.text(min_size=1, max_size=12), st.fixed_dictionaries({"x": coordinates, "y": coordinates}), max_size=3
        ),
    },
).map(Design.model_validate)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(designs)
def test_dump_then_load_gives_the_same_design_and_text(design):
    text = dump_design(design)
    again = load_design(text).design
    assert again == design
    assert dump_design(again) == text


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_round_trip(path):
    design = load_design(path.read_text()).design
    text = dump_design(design)
    assert load_design(text).design == design
    assert dump_design(load_design(text).design) == text


def test_canonical_text_of_the_design_md_example():
    design = load_design((Path(__file__).parents[2] / "examples" / "two-vlans-routed.yaml").read_text()).design
    text = dump_design(design)
    assert text.startswith("apiVersion: mvlab/v1\nkind: Design\nname: two-vlans-routed\nhosts:\n  host1:\n")
    assert "    nics: [enp0s8]\n    shim: {network: mac10, ip: 172.16.10.250}\n" in text
    assert "  mac20: {parent: enp0s8.200, subnet: 172.16.20.0/24, gateway: 172.16.20.1}\n" in text
    assert 'networks: {mac20: {ip: 172.16.20.11, mac: "02:00:00:00:20:0b"}}' in text
    assert "mode: bridge" not in text  # defaults are left out
    assert "routers" not in text


def test_layout_survives_a_round_trip():
    text = (Path(__file__).parents[2] / "examples" / "bridge-one-host.yaml").read_text()
    text += "layout:\n  host1: {x: 10, y: 20.5}\n  c1: {x: -3.25, y: 0}\n"
    design = load_design(dump_design(load_design(text).design)).design
    assert design.layout["c1"].x == -3.25 and design.layout["host1"].y == 20.5
    assert "layout:\n  host1: {x: 10.0, y: 20.5}\n  c1: {x: -3.25, y: 0.0}\n" in dump_design(design)
