"""A lab agent's memory room is bounded by its own cgroup's limit, in cgroup v1 and v2 layouts.

The layouts are written as the kernel shows them (a container's cgroup namespace makes the
mount's root its own cgroup; a host process finds its cgroup under the path /proc/self/cgroup
names), so the placement of sandboxes follows the limit the sandboxes will really live within.
"""

from __future__ import annotations

from pathlib import Path

from agent.room import cgroup_memory, meminfo, memory_room

GIB = 1 << 30


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def test_a_v2_limit_of_the_agents_own_cgroup_bounds_its_memory(tmp_path):
    proc = tmp_path / "cgroup"
    _write(proc, "0::/lab.slice/agent.service")
    _write(tmp_path / "fs/lab.slice/agent.service/memory.max", str(4 * GIB))
    _write(tmp_path / "fs/lab.slice/agent.service/memory.current", str(GIB))
    _write(tmp_path / "fs/memory.current", str(9 * GIB))  # the root's, which is not the agent's
    assert cgroup_memory(tmp_path / "fs", proc) == (4 * GIB, GIB)


def test_a_v1_limit_seen_at_the_mount_root_of_a_container_bounds_its_memory(tmp_path):
    proc = tmp_path / "cgroup"
    _write(proc, "5:cpu:/\n4:memory:/docker/abc123\n0::/")
    _write(tmp_path / "fs/memory/memory.limit_in_bytes", str(2 * GIB))  # /docker/abc123 is not mounted
    _write(tmp_path / "fs/memory/memory.usage_in_bytes", str(GIB // 2))
    assert cgroup_memory(tmp_path / "fs", proc) == (2 * GIB, GIB // 2)


def test_no_limit_in_either_layout_leaves_the_machines_figures(tmp_path):
    proc = tmp_path / "cgroup"
    _write(proc, "4:memory:/\n0::/")
    _write(tmp_path / "fs/memory/memory.limit_in_bytes", "9223372036854771712")
    _write(tmp_path / "fs/memory/memory.usage_in_bytes", str(GIB))
    assert cgroup_memory(tmp_path / "fs", proc) is None
    _write(proc, "0::/")
    _write(tmp_path / "fs2/memory.max", "max")
    _write(tmp_path / "fs2/memory.current", str(GIB))
    assert cgroup_memory(tmp_path / "fs2", proc) is None


def test_this_machines_room_is_within_what_proc_meminfo_shows():
    available, total = memory_room()
    machine = meminfo()
    assert 0 < available <= total <= machine["MemTotal"]
