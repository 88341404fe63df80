"""What the editor asks of a design it has not stored: its issues, addresses and matrix."""

from __future__ import annotations

from designer.designs import Parsed
from designer.errors import Refused
from designer.topology.ipam import Allocation, allocate
from designer.topology.issues import errors_in
from designer.topology.predict import predict


def allocation_json(allocation: Allocation) -> dict[str, dict[str, dict]]:
    """endpoint -> network -> {ip (with prefix length), mac, ipv6}."""
    found: dict[str, dict[str, dict]] = {}
    for (endpoint, network), leg in sorted(allocation.legs.items()):
        found.setdefault(endpoint, {})[network] = {"ip": leg.ip, "mac": leg.mac, "ipv6": leg.ipv6}
    return found


def validation(parsed: Parsed) -> dict:
    """The design's issues (address exhaustion included) and the addresses IPAM hands out."""
    return {
        "ok": not errors_in(parsed.issues),
        "issues": [issue.to_dict() for issue in parsed.issues],
        "allocation": allocation_json(allocate(parsed.design)),
    }


def prediction(parsed: Parsed) -> dict:
    """The predicted matrix; a design with errors is refused with its issues."""
    errors = errors_in(parsed.issues)
    if errors:
        raise Refused(400, "the design has errors; fix them before predicting", errors)
    return predict(parsed.design, allocate(parsed.design)).model_dump(mode="json")
