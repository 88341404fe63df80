"""The machine-wide neighbour-table budget that every mvlab prober on one machine shares.

The kernel keeps one ARP table and one NDP table for all network namespaces, each
capped by `gc_thresh3` (settable only in the machine's own namespace, which mvlab
never changes). Permanent entries are exempt from that cap (Linux 4.19 and later),
so mvlab resolves next hops itself and pins the answers (`agent.neighbours`); what
still costs the table is the short-lived entry a responder's kernel makes for the
requester when it answers, until mvlab pins it too. This module hands out that
cost: one window of requests at a time per machine (a `flock`), each window at most
half of what the table has free, so everybody else keeps the other half.

A prober holds the turn only while it sends one window of requests and takes their answers
(milliseconds); waiting out the deadline of next hops that never answer costs the table
nothing and is done without it, so the sandboxes of a class resolve side by side.

What is free: `gc_thresh3` minus the table's entries (`/proc/net/stat/*_cache`,
which counts every namespace's) plus the entries mvlab's probers have pinned
(registered in files under the run directory: pinned entries are counted in the
table's total but not against its cap).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

KERNEL_DEFAULT_GC_THRESH3 = 1024
MAX_WINDOW = 256  # outstanding requests; larger windows only overflow macvlan broadcast queues
MIN_WINDOW = 8
ROOM_WAIT = 30.0  # seconds to wait for room in a full table before giving up
_TABLES = {socket.AF_INET: ("ipv4", "arp_cache"), socket.AF_INET6: ("ipv6", "ndisc_cache")}


class TableFull(RuntimeError):
    """The machine's neighbour table stayed too full to resolve anything honestly."""


def run_dir() -> Path:
    """Where the probers of this machine meet: /run/mvlab, or the temporary directory's `mvlab`
    for a prober that may not make it (an unprivileged or user-namespaced one). Both are open
    to every user, like /tmp: each prober writes only files of its own there."""
    for base in (Path("/run/mvlab"), Path(tempfile.gettempdir()) / "mvlab"):
        with contextlib.suppress(OSError):
            for directory in (base, base / "pins"):
                directory.mkdir(exist_ok=True)
                if directory.stat().st_uid == os.geteuid():
                    directory.chmod(0o1777)
            if os.access(base / "pins", os.W_OK | os.X_OK):
                return base
    raise PermissionError(
        "no directory to share the neighbour budget in: /run/mvlab and the temporary "
        "directory's mvlab are both closed to this user"
    )


def gc_thresh3(family: int) -> int:
    """The table's hard cap, read in the agent's namespace (the kernel's default where hidden)."""
    path = Path(f"/proc/sys/net/{_TABLES[family][0]}/neigh/default/gc_thresh3")
    try:
        return int(path.read_text())
    except (OSError, ValueError):
        return KERNEL_DEFAULT_GC_THRESH3


def table_entries(family: int) -> int | None:
    """Entries of the whole machine's table, every namespace's, pinned ones included.

    The kernel shows them only in the machine's first namespace: an agent in another one
    (a container, an emulated machine) reads them through pid 1, where it may.
    """
    for proc in ("/proc/net", "/proc/1/net"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            lines = Path(f"{proc}/stat/{_TABLES[family][1]}").read_text().split("\n")
            return int(lines[1].split()[0], 16)
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pinned_elsewhere(directory: Path, family: int, mine: Path | None = None) -> int:
    """Entries pinned by live mvlab probers of this machine (files of dead processes are removed)."""
    total = 0
    for path in (directory / "pins").glob("*"):
        pid_text, _, _ = path.name.partition("-")
        if pid_text.isdigit() and not _alive(int(pid_text)):
            path.unlink(missing_ok=True)
            continue
        if path == mine or path.suffix == ".new":  # not a count being written
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            counts = path.read_text().split()
            total += int(counts[0 if family == socket.AF_INET else 1])
    return total


@dataclass
class Budget:
    """Figures of one table at one moment, and the window they allow."""

    family: int
    cap: int
    entries: int | None  # None: not visible from here
    pinned: int

    @property
    def in_use(self) -> int:
        """Entries that count against the cap (an upper bound: others' permanent entries count too);
        where the table cannot be read, half of it is taken to be in use."""
        if self.entries is None:
            return self.cap // 2
        return max(0, self.entries - self.pinned)

    @property
    def window(self) -> int:
        return min(MAX_WINDOW, (self.cap - self.in_use) // 2)


class PinRegistry:
    """One prober among the machine's: its registration of what it has pinned (so that the others
    count it), and its turns at the table (one prober at a time has requests unsettled)."""

    def __init__(self, directory: Path | None = None):
        self.directory = directory or run_dir()
        self.path = self.directory / "pins" / f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self.counts = {socket.AF_INET: 0, socket.AF_INET6: 0}
        self.lock = os.open(self.directory / "resolve.lock", os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o444)

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the machine's one resolver turn (flock: it needs no write access, and a crashed
        holder's turn ends with its process)."""
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self.lock, fcntl.LOCK_UN)

    def add(self, family: int, count: int) -> None:
        self.counts[family] += count
        fresh = self.path.with_name(self.path.name + ".new")
        fresh.write_text(f"{self.counts[socket.AF_INET]} {self.counts[socket.AF_INET6]}\n")
        fresh.replace(self.path)  # atomically: another prober never reads half a count

    def close(self) -> None:
        self.path.unlink(missing_ok=True)
        os.close(self.lock)

    def budget(self, family: int) -> Budget:
        mine = self.counts[family]
        return Budget(
            family,
            gc_thresh3(family),
            table_entries(family),
            mine + pinned_elsewhere(self.directory, family, self.path),
        )

    def wait_for_room(self, family: int, wait: float = ROOM_WAIT) -> Budget:
        """A budget whose window is at least MIN_WINDOW, waiting while others fill the table."""
        deadline = time.monotonic() + wait
        while True:
            budget = self.budget(family)
            if budget.window >= MIN_WINDOW:
                return budget
            if time.monotonic() >= deadline:
                raise TableFull(
                    f"the machine's {_TABLES[family][1]} has no room: {budget.in_use} of its "
                    f"gc_thresh3={budget.cap} entries are in use by other programs; probing would "
                    f"report live pairs as dead"
                )
            time.sleep(0.1)
