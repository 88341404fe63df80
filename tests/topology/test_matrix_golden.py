"""The predicted matrix of every example, reasons and paths included, is its golden file
(tests/golden/matrices/<example>.json): a change to a verdict, a TTL or a reason shows as a diff.
Designs kept beside the goldens (tests/golden/matrices/*.yaml) add what no example shows: IPv6.

After a deliberate change, rewrite them with
`MVLAB_UPDATE_GOLDEN=1 bin/test tests/topology/test_matrix_golden.py` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from designer.topology.ipam import allocate
from designer.topology.matrix import Matrix
from designer.topology.predict import predict
from designer.topology.yamlio import load_design
from tests.golden_files import assert_golden

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "matrices"
DESIGNS = sorted((ROOT / "examples").glob("*.yaml")) + sorted(GOLDEN.glob("*.yaml"))


def matrix_text(matrix: Matrix) -> str:
    """The matrix JSON the API serves, one endpoint, pair or reason a line (diffs stay readable)."""
    lists = matrix.model_dump(mode="json")
    blocks = [
        f'"{key}": [\n' + ",\n".join(f"  {json.dumps(item)}" for item in items) + "\n]"
        for key, items in lists.items()
    ]
    return "{\n" + ",\n".join(blocks) + "\n}\n"


@pytest.mark.parametrize("example", DESIGNS, ids=lambda p: p.stem)
def test_the_predicted_matrix_of_every_example_is_its_golden_file(example):
    design = load_design(example.read_text()).design
    matrix = predict(design, allocate(design))
    text = matrix_text(matrix)
    assert Matrix.model_validate_json(text) == matrix  # the golden file is the served JSON, as it reads back
    assert_golden(GOLDEN / f"{example.stem}.json", text)


def test_the_goldens_say_why_in_every_case_the_examples_teach():
    """Guards that the goldens hold reasons at all: each example's teaching point has its rule,
    and the IPv6 pairs have theirs."""
    matrices = {path.stem: json.loads(path.read_text()) for path in GOLDEN.glob("*.json")}
    rules = {name: {r["rule"] for r in m["reasons"]} for name, m in matrices.items()}
    assert {"routed"} <= rules["two-vlans-routed"] and {"reply-no-route"} <= rules["two-vlans-routed"]
    assert {"bridge", "segment", "no-shim"} <= rules["host-isolation-shim"]
    assert {"private", "hairpin"} <= rules["private-vepa"]
    assert {"routed"} <= rules["router-namespace"]
    v6 = matrices["ipv6-reasons"]
    v6_rules = {v6["reasons"][p["reason"]]["rule"] for p in v6["pairs"] if ":" in p["dst_ip"]}
    assert {"routed", "reply-no-route", "private", "no-shim", "bridge", "segment"} <= v6_rules
