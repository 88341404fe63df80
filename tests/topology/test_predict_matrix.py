"""The matrix JSON of DESIGN.md, and probe results merged into it."""

from __future__ import annotations

from contract.events import ProbeEvent
from designer.topology.matrix import merge_observed
from tests.topology.factory import TWO_VLANS, make_design, matrix_of


def test_the_json_has_exactly_the_design_md_shape_with_one_pair_per_source_and_address():
    matrix = matrix_of(make_design(**TWO_VLANS))
    data = matrix.model_dump(mode="json")
    assert set(data) == {"endpoints", "pairs", "reasons"}  # DESIGN.md's, and the reasons pairs share
    assert data["endpoints"][0] == {"name": "d1", "host": "host1", "addresses": ["172.16.10.10"]}
    names = [e["name"] for e in data["endpoints"]]
    assert names == ["d1", "d2", "d3", "d4", "host1", "host3"]  # host2 holds no address
    for pair in data["pairs"]:
        assert set(pair) == {
            "src",
            "dst",
            "dst_ip",
            "expected",
            "observed",
            "rtt_ms",
            "ttl",
            "expected_ttl",
            "reason",
        }
        assert pair["observed"] is None and pair["rtt_ms"] is None and pair["ttl"] is None
    addresses = sum(len(e["addresses"]) for e in data["endpoints"])
    per_source = {e["name"]: addresses - len(e["addresses"]) for e in data["endpoints"]}
    assert len(data["pairs"]) == sum(per_source.values())
    assert {(p["src"], p["dst_ip"]) for p in data["pairs"]} >= {
        ("host1", "172.16.20.1"),
        ("d4", "172.16.10.250"),
    }


def event(src, dst, dst_ip, observed, ttl=None, rtt=None):
    return ProbeEvent(
        deployment="dep1",
        host="host1",
        src=src,
        dst=dst,
        dst_ip=dst_ip,
        expected=True,
        observed=observed,
        ttl=ttl,
        rtt_ms=rtt,
    )


def test_probe_results_fill_their_pairs_and_leave_the_others_open():
    matrix = matrix_of(make_design(**TWO_VLANS))
    merged = merge_observed(
        matrix,
        [
            event("d1", "d4", "172.16.20.11", False),
            event("d1", "d4", "172.16.20.11", True, ttl=63, rtt=0.21),  # the latest result wins
            event("d1", "ghost", "10.9.9.9", True),  # not in this design: ignored
        ],
    )
    pair = merged.pair("d1", "172.16.20.11")
    assert (pair.expected, pair.observed, pair.ttl, pair.rtt_ms, pair.expected_ttl) == (
        True,
        True,
        63,
        0.21,
        63,
    )
    assert merged.pair("d2", "172.16.10.10").observed is None
    assert matrix.pair("d1", "172.16.20.11").observed is None  # the prediction itself is untouched
    assert len(merged.pairs) == len(matrix.pairs)
