"""Validation of a design beyond its shape: every rule runs, every issue is collected.

`validate` returns errors and warnings together; a design is usable when none of them is
an error. Each rule lives in `designer/topology/checks/` and reports what it finds into
one `Report`, so one run lists everything that is wrong, as netlab does. Address
exhaustion is found by allocating the addresses (IPAM) itself, once the addresses the
design gives are consistent.
"""

from __future__ import annotations

from collections.abc import Mapping

from designer.topology.checks.addresses import check_addresses
from designer.topology.checks.context import Facts, Report
from designer.topology.checks.host_routes import check_host_routes
from designer.topology.checks.macs import check_macs
from designer.topology.checks.names import check_names
from designer.topology.checks.references import check_references
from designer.topology.checks.routes import check_routes
from designer.topology.checks.wiring import check_wiring
from designer.topology.ipam import Allocation, allocate
from designer.topology.issues import Issue
from designer.topology.model import Design

RULES = (
    check_references,
    check_names,
    check_wiring,
    check_addresses,
    check_routes,
    check_host_routes,
    check_macs,
)
# IPAM needs subnets of the right family and given addresses inside them; until then it is not run
IPAM_PRECONDITIONS = frozenset({"address-family", "address-outside-subnet", "range-outside-subnet"})


def validate(
    design: Design, lines: Mapping[str, int] | None = None, allocation: Allocation | None = None
) -> list[Issue]:
    """Every issue of `design`, errors and warnings, with lines from `lines` (path -> line) when given.

    `allocation`: the design's, made with the same `lines`, when the caller has it (not made again)."""
    facts = Facts(design)
    report = Report(lines)
    for rule in RULES:
        rule(design, facts, report)
    if not any(issue.code in IPAM_PRECONDITIONS for issue in report.issues):
        report.issues += (allocation if allocation is not None else allocate(design, lines)).issues
    return sorted(report.issues, key=lambda issue: issue.line or 0)  # stable: rule order within a line
