"""validate() on any design the schema accepts: it answers with issues, it never crashes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from designer.topology.validate import validate
from tests.topology.design_strategies import designs


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(designs)
def test_validate_never_crashes_and_every_issue_names_a_path(design):
    for issue in validate(design):
        assert issue.severity in ("error", "warning")
        assert issue.path and issue.message and issue.hint
