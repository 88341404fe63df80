"""What a lab agent's machine has room for: the figures its heartbeat carries (`agent.plan.Room`).

Memory is the machine's MemAvailable and MemTotal as /proc/meminfo shows them (an agent in a
container sees the host's). Neighbour entries are the machine-wide budget every mvlab prober
shares (`agent.neighbour_budget`): a probe starts once it gets a window of MIN_WINDOW requests,
which takes twice that many free entries. Sandboxes are those whose fabric namespace is in
the /run/netns of this agent's rootless helper. The site turns these into a choice
(`designer.placement`).
"""

from __future__ import annotations

import socket
from pathlib import Path

from agent.neighbour_budget import MIN_WINDOW, PinRegistry
from agent.netns import RUN_NETNS
from agent.plan import Room, TableRoom
from agent.sandbox import sandboxes_here

FAMILIES = {"ipv4": socket.AF_INET, "ipv6": socket.AF_INET6}


def meminfo(path: Path = Path("/proc/meminfo")) -> dict[str, int]:
    """/proc/meminfo in bytes."""
    found = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition(":")
        parts = value.split()
        if parts and parts[0].isdigit():
            found[key] = int(parts[0]) * (1024 if parts[1:] == ["kB"] else 1)
    return found


def neighbour_tables() -> dict[str, TableRoom]:
    registry = PinRegistry()
    tables = {}
    for name, family in FAMILIES.items():
        budget = registry.budget(family)
        tables[name] = TableRoom(cap=budget.cap, in_use=budget.in_use, probe_needs=2 * MIN_WINDOW)
    return tables


def measure_room(run_netns: Path = RUN_NETNS) -> Room:
    """The room; sandboxes counted in `run_netns` (a lab agent's rootless helper's /run/netns)."""
    memory = meminfo()
    return Room(
        memory_available=memory["MemAvailable"],
        memory_total=memory["MemTotal"],
        neighbours=neighbour_tables(),
        sandboxes=len(sandboxes_here(run_netns)),
    )
