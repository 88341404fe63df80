"""What a lab agent's machine has room for: the figures its heartbeat carries (`contract.plan.Room`).

Memory is the machine's MemAvailable and MemTotal as /proc/meminfo shows them, bounded by the
memory limit of the agent's own cgroup (v2 `memory.max`, or v1 `memory.limit_in_bytes`) where
one is set: an agent in a container sees the host's /proc/meminfo, but its sandboxes live
within the container's limit. Neighbour entries are the machine-wide budget every mvlab prober
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
from agent.sandbox import sandboxes_here
from contract.plan import Room, TableRoom

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


CGROUP_ROOT = Path("/sys/fs/cgroup")
NO_LIMIT = 1 << 60  # cgroup v1 writes "no limit" as a page-rounded LONG_MAX


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None  # v2 writes "max" for no limit


def _own_cgroup_dirs(root: Path, proc_cgroup: Path) -> list[tuple[Path, str, str]]:
    """(directory, limit file, usage file) of this process's memory cgroup, most specific first.

    The directory named in /proc/self/cgroup comes first; the mount's root follows, for a
    container whose cgroup namespace makes that root its own cgroup.
    """
    found = []
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            found.append((root / path.lstrip("/"), "memory.max", "memory.current"))
            found.append((root, "memory.max", "memory.current"))
        elif "memory" in controllers.split(","):
            found.append(
                (root / "memory" / path.lstrip("/"), "memory.limit_in_bytes", "memory.usage_in_bytes")
            )
            found.append((root / "memory", "memory.limit_in_bytes", "memory.usage_in_bytes"))
    return found


def cgroup_memory(
    root: Path = CGROUP_ROOT, proc_cgroup: Path = Path("/proc/self/cgroup")
) -> tuple[int, int] | None:
    """(limit, usage) in bytes of this process's memory cgroup, or None where no limit is set."""
    for directory, limit_file, usage_file in _own_cgroup_dirs(root, proc_cgroup):
        limit, usage = _read_int(directory / limit_file), _read_int(directory / usage_file)
        if usage is None:
            continue  # not this controller's directory here
        return (limit, usage) if limit is not None and limit < NO_LIMIT else None
    return None


def memory_room() -> tuple[int, int]:
    """(available, total) bytes: the machine's, within the agent's cgroup limit where one is set."""
    memory = meminfo()
    available, total = memory["MemAvailable"], memory["MemTotal"]
    bounded = cgroup_memory()
    if bounded is not None:
        limit, usage = bounded
        total = min(total, limit)
        available = max(0, min(available, limit - usage))
    return available, total


def neighbour_tables() -> dict[str, TableRoom]:
    registry = PinRegistry()
    tables = {}
    for name, family in FAMILIES.items():
        budget = registry.budget(family)
        tables[name] = TableRoom(cap=budget.cap, in_use=budget.in_use, probe_needs=2 * MIN_WINDOW)
    return tables


def measure_room(run_netns: Path = RUN_NETNS) -> Room:
    """The room; sandboxes counted in `run_netns` (a lab agent's rootless helper's /run/netns)."""
    available, total = memory_room()
    return Room(
        memory_available=available,
        memory_total=total,
        neighbours=neighbour_tables(),
        sandboxes=len(sandboxes_here(run_netns)),
    )
