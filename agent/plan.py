"""Transitional: `agent/apply.py` (being split by another change) still imports the plan from here.
The plan lives in `contract.plan` and `contract.events`: new code imports those. Once apply's
modules do too, this module goes (tests/test_import_rules.py lets nothing else import it)."""

from contract.events import StepEvent
from contract.plan import (
    HOST_NS,
    NETNS_PREFIX,
    OWNER_PREFIX,
    HostAddress,
    HostPlan,
    Link,
    Masquerade,
    Namespace,
    Route,
    Sysctl,
    netns_name,
    owner_mark,
)

__all__ = [
    "HOST_NS", "NETNS_PREFIX", "OWNER_PREFIX", "HostAddress", "HostPlan", "Link", "Masquerade", "Namespace",
    "Route", "StepEvent", "Sysctl", "netns_name", "owner_mark",
]
