"""Golden files (as netlab does): `golden/<case>.yaml` must give exactly the lines of `golden/<case>.errors`.

The lines are what `lab validate` prints on stderr. After a deliberate change of wording, regenerate
with `MVLAB_UPDATE_GOLDEN=1 bin/test tests/topology/test_golden.py` (tests.golden_files) and review
the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from designer.topology.issues import DesignError
from designer.topology.validate import validate
from designer.topology.yamlio import load_design
from tests.golden_files import assert_golden

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(GOLDEN.glob("*.yaml"))


def reported_lines(path: Path) -> list[str]:
    try:
        loaded = load_design(path.read_text())
        issues = validate(loaded.design, loaded.lines)
    except DesignError as err:
        issues = err.issues
    return [issue.format(path.name) for issue in issues]


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_golden(case):
    lines = reported_lines(case)
    assert_golden(case.with_suffix(".errors"), "".join(line + "\n" for line in lines))
    assert lines, "a golden case must show at least one issue"
