"""dump → load gives the same design, and load → dump → load → dump the same text (canonical YAML)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from designer.topology.model import Design
from designer.topology.yamlio import dump_design, load_design
from tests.topology.design_strategies import designs

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.yaml"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(designs)
def test_dump_then_load_gives_the_same_design_and_text(design):
    text = dump_design(design)
    again = load_design(text).design
    assert again == design, text
    assert dump_design(again) == text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30), st.text(min_size=1, max_size=10))
@example("\x85  ", "<<")
@example("a: b\n  c", "::1")
def test_free_text_survives(description, layout_key):
    """Descriptions and layout keys may hold anything: NEL, line breaks, `<<`, quotes, colons."""
    design = Design.model_validate(
        {
            "apiVersion": "mvlab/v1",
            "kind": "Design",
            "name": "t",
            "description": description,
            "hosts": {"h": {"nics": ["eth1"]}},
            "layout": {layout_key: {"x": 1, "y": 2}},
        }
    )
    text = dump_design(design)
    assert load_design(text).design == design, text
    assert dump_design(load_design(text).design) == text


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_round_trip(path):
    design = load_design(path.read_text()).design
    text = dump_design(design)
    assert load_design(text).design == design
    assert dump_design(load_design(text).design) == text


def test_canonical_text_of_the_design_md_example():
    design = load_design(
        (Path(__file__).parents[2] / "examples" / "two-vlans-routed.yaml").read_text()
    ).design
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
