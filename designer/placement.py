"""Which lab agent builds a new sandbox: the live one with the most room.

Every lab agent's heartbeat carries its machine's room (`contract.plan.Room`, measured by
`agent.room`): MemAvailable and MemTotal, the use of its neighbour tables, and the sandboxes
it holds. For a sandbox of `n` namespaces (one per host, container and router, and the
fabric) the site reckons, per agent:

- memory, the one thing a sandbox holds while it is up: about `n * NAMESPACE_MEMORY` of
  kernel memory (measured, see docs/classroom.md). An agent gives sandboxes its MemAvailable
  less MEMORY_RESERVE of its MemTotal, which stays for everything else on the machine.
  `slots` is how many more sandboxes of this size fit there, less the ones the site has sent
  it that are still pending or deploying (its last heartbeat may not show them yet). No slot
  left: no room.
- neighbour entries: a sandbox holds none once probed (mvlab pins its probe's entries and
  removes them after), but a probe waits while the machine's table has fewer free than it
  needs. An agent whose table is that full right now is ranked after those whose is not,
  never refused: tables empty as probes end, and the prober waits for room itself.

Most room = the largest share of its capacity still free, `slots / (slots + held)`, where
`held` is the sandboxes it holds now (as its heartbeat counts them or as the site recorded
them, whichever is more). Fresh agents come first; then each agent fills to the same share
of its own capacity, so a machine with twice the free memory takes twice the sandboxes.
Ties go to more slots, then to MVLAB_LAB_AGENT, then by name. An agent that advertises no
room (an older agent) is chosen only when no other is, and never refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from contract.plan import Room
from designer.errors import Refused

NAMESPACE_MEMORY = 512 * 1024  # bytes of kernel memory one sandbox namespace holds, rounded up
MEMORY_RESERVE = 0.10  # share of each lab machine's memory that sandboxes never take
MIB = 2**20


@dataclass(frozen=True)
class Candidate:
    """A live lab agent: its advertised room and the sandboxes the site has recorded on it."""

    name: str
    room: Room | None
    placed: int = 0  # the site's sandboxes on it that are not torn down
    building: int = 0  # of those, the ones still pending or deploying


@dataclass(frozen=True)
class Fit:
    """How a new sandbox of a given size fits on one agent."""

    name: str
    slots: int | None  # more sandboxes of this size it can take; None: it advertises no room
    held: int
    full: str = ""  # why it has no room, with the figures ("" when it has)
    probe_waits: bool = False  # its neighbour table is too full for a probe to start now

    @property
    def share(self) -> float:
        """The share of its capacity still free (0 when unknown)."""
        return self.slots / (self.slots + self.held) if self.slots else 0.0


def sandbox_memory(namespaces: int) -> int:
    return namespaces * NAMESPACE_MEMORY


def _reserve(room: Room) -> int:
    return int(room.memory_total * MEMORY_RESERVE)


def _probe_waits(room: Room) -> bool:
    return any(table.free < table.probe_needs for table in room.neighbours.values())


def fit(candidate: Candidate, need: int) -> Fit:
    """How a sandbox holding `need` bytes fits on `candidate`."""
    room = candidate.room
    if room is None:
        return Fit(candidate.name, None, candidate.placed)
    slots = max(0, (room.memory_available - _reserve(room)) // need - candidate.building)
    full = ""
    if not slots:
        full = (
            f"memory: {room.memory_available / MIB:.0f} MiB available, {_reserve(room) / MIB:.0f} MiB of it "
            f"kept for the machine"
        ) + (f", {candidate.building} more sandbox(es) on their way there" if candidate.building else "")
    return Fit(candidate.name, slots, max(room.sandboxes, candidate.placed), full, _probe_waits(room))


def choose(candidates: Iterable[Candidate], need: int, default: str) -> str:
    """The name of the agent with the most room for a sandbox holding `need` bytes; Refused (409)
    when no lab agent is alive or none has room, saying why for each."""
    fits = [fit(candidate, need) for candidate in candidates]
    if not fits:
        raise Refused(
            409, f"no lab agent is alive: start one with `python -m agent --name {default} --sandbox`"
        )
    open_ = [f for f in fits if not f.full]
    if not open_:
        why = "; ".join(f"agent {f.name!r}: {f.full}" for f in sorted(fits, key=lambda f: f.name))
        raise Refused(
            409,
            f"no lab agent has room for another sandbox of this design (about {need / MIB:.1f} MiB of "
            f"kernel memory): {why}; try again when a sandbox is torn down, or start a lab agent on "
            f"another machine",
        )
    return min(open_, key=lambda f: _rank(f, default)).name


def _rank(fit: Fit, default: str) -> tuple:
    """Best first: advertises its room, a probe can start there now, the largest share free, the
    most slots, the default lab agent, then by name."""
    return (fit.slots is None, fit.probe_waits, -fit.share, -(fit.slots or 0), fit.name != default, fit.name)
