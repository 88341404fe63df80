"""Exercise goals: reachability a student must achieve, checked against a matrix.

A goal says that one endpoint reaches (or does not reach) another, optionally with the
reply TTL that proves how many routers are on the way (64 minus one per router):

    d1 reaches d4 with TTL 63
    d1 does not reach d2
    d3 reaches 172.16.10.1

The typed form is `{"from": "d1", "to": "d4", "reaches": true, "ttl": 63}`; `to` is an
endpoint name or one of its IPv4 addresses. Without an address, "reaches" passes when any
address of `to` answers (and, with a TTL, answers with that TTL); "does not reach" passes
when none answers. A goal is checked against the observed side of a matrix (what the
probes saw; a pair not probed yet leaves the goal pending) or against its prediction.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from designer.topology.matrix import Matrix, Pair

INITIAL_TTL = 64
NAME = r"[A-Za-z0-9][A-Za-z0-9_-]*"
TARGET = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
_TEXT = re.compile(
    rf"^\s*(?P<src>{NAME})\s+(?P<verb>reaches|does\s+not\s+reach|cannot\s+reach)\s+(?P<dst>{TARGET})"
    r"(?:\s+(?:with\s+)?ttl\s+(?P<ttl>\d{1,3}))?\s*$",
    re.IGNORECASE,
)
Status = Literal["passed", "failed", "pending"]


class GoalError(ValueError):
    """A goal that cannot be read; the message names which one and why."""


class Goal(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid", frozen=True)

    src: str = Field(alias="from", min_length=1, max_length=64)
    dst: str = Field(alias="to", min_length=1, max_length=64)
    reaches: bool = True
    ttl: int | None = Field(default=None, ge=1, le=255)

    def text(self) -> str:
        """The goal as a sentence, in the form `parse_goal` reads."""
        verb = "reaches" if self.reaches else "does not reach"
        ttl = f" with TTL {self.ttl}" if self.ttl is not None and self.reaches else ""
        return f"{self.src} {verb} {self.dst}{ttl}"

    def as_json(self) -> dict:
        return self.model_dump(by_alias=True, exclude_none=True)


def parse_goal(item: str | dict, where: str = "goal") -> Goal:
    """A goal from its sentence or its typed form; GoalError naming `where` otherwise."""
    if isinstance(item, str):
        match = _TEXT.match(item)
        if not match:
            raise GoalError(
                f"{where}: cannot read {item!r}; write e.g. 'd1 reaches d4', "
                "'d1 reaches d4 with TTL 63' or 'd1 does not reach d2'"
            )
        reaches = match["verb"].lower() == "reaches"
        if match["ttl"] and not reaches:
            raise GoalError(f"{where}: a TTL only makes sense for a goal that reaches ({item!r})")
        item = {
            "from": match["src"],
            "to": match["dst"],
            "reaches": reaches,
            "ttl": int(match["ttl"]) if match["ttl"] else None,
        }
    if not isinstance(item, dict):
        raise GoalError(f"{where}: expected a sentence or an object with from/to/reaches/ttl")
    try:
        goal = Goal.model_validate(item)
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise GoalError(f"{where}.{field}: {first['msg']}") from None
    if goal.ttl is not None and not goal.reaches:
        raise GoalError(f"{where}.ttl: a TTL only makes sense for a goal that reaches")
    return goal


def parse_goals(items: Iterable[str | dict]) -> list[Goal]:
    return [parse_goal(item, f"goals[{i}]") for i, item in enumerate(items)]


def unknown_endpoints(goals: Iterable[Goal], matrix: Matrix) -> list[str]:
    """Sentences naming an endpoint or address the matrix does not have (for checking an exercise)."""
    names = {e.name for e in matrix.endpoints}
    addresses = {a.split("/")[0] for e in matrix.endpoints for a in e.addresses}
    wrong = []
    for goal in goals:
        for name in (goal.src, goal.dst):
            if name not in names and name not in addresses:
                wrong.append(f"{goal.text()}: the design has no endpoint or address {name!r}")
    return wrong


@dataclass(frozen=True)
class GoalResult:
    goal: Goal
    status: Status
    message: str

    def as_json(self) -> dict:
        return {"goal": self.goal.text(), "status": self.status, "message": self.message}


def _routers(ttl: int) -> str:
    hops = INITIAL_TTL - ttl
    if hops <= 0:
        return f"directly (TTL {ttl})"
    return f"through {'one router' if hops == 1 else f'{hops} routers'} (TTL {ttl})"


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _pairs(goal: Goal, matrix: Matrix) -> list[Pair]:
    if _is_address(goal.dst):
        return [p for p in matrix.pairs if p.src == goal.src and p.dst_ip == goal.dst]
    return [p for p in matrix.pairs if p.src == goal.src and p.dst == goal.dst]


def _missing(goal: Goal, matrix: Matrix) -> str:
    names = {e.name for e in matrix.endpoints}
    if goal.src not in names:
        return f"the design has no {goal.src}"
    if _is_address(goal.dst):
        return f"no endpoint of the design holds {goal.dst}"
    return f"the design has no {goal.dst}" if goal.dst not in names else f"{goal.dst} has no address to ping"


def check_goal(goal: Goal, matrix: Matrix, observed: bool = True) -> GoalResult:
    """One goal against the observed side of `matrix` (or its prediction when observed=False)."""
    title = goal.text()
    pairs = _pairs(goal, matrix)
    if not pairs:
        return GoalResult(goal, "failed", f"{title}: failed — {_missing(goal, matrix)}")
    answer = [(p, p.observed if observed else p.expected) for p in pairs]
    ttl_of = (lambda p: p.ttl) if observed else (lambda p: p.expected_ttl)
    replied = [p for p, ok in answer if ok]
    waiting = [p for p, ok in answer if ok is None]
    silent = ", ".join(p.dst_ip for p, ok in answer if ok is False)
    if not goal.reaches:
        if replied:
            p = replied[0]
            return GoalResult(
                goal, "failed", f"{title}: failed — {p.dst_ip} answered {_routers(ttl_of(p) or 0)}"
            )
        if waiting:
            return GoalResult(goal, "pending", f"{title}: waiting for the ping to {waiting[0].dst_ip}")
        return GoalResult(goal, "passed", f"{title}: passed — no answer from {silent}, as wanted")
    if goal.ttl is not None:
        right = [p for p in replied if ttl_of(p) == goal.ttl]
        if right:
            p = right[0]
            return GoalResult(
                goal, "passed", f"{goal.src} reaches {goal.dst} ({p.dst_ip}) {_routers(goal.ttl)}: passed"
            )
    elif replied:
        p = replied[0]
        via = f" {_routers(ttl_of(p))}" if ttl_of(p) else ""
        return GoalResult(goal, "passed", f"{goal.src} reaches {goal.dst} ({p.dst_ip}){via}: passed")
    if waiting:
        return GoalResult(goal, "pending", f"{title}: waiting for the ping to {waiting[0].dst_ip}")
    if replied:
        p = replied[0]
        seen = ttl_of(p)
        got = _routers(seen) if seen else "with no TTL reported"
        return GoalResult(
            goal,
            "failed",
            f"{title}: failed — {p.dst_ip} answered {got}, not {_routers(goal.ttl)}",
        )
    return GoalResult(goal, "failed", f"{title}: failed — no answer from {silent}")


def check_goals(goals: Iterable[Goal], matrix: Matrix, observed: bool = True) -> list[GoalResult]:
    return [check_goal(goal, matrix, observed) for goal in goals]


def progress(results: Iterable[GoalResult]) -> dict:
    """How many goals passed, failed and are pending, with every result, for the API and websocket."""
    items = [r.as_json() for r in results]
    counts = {
        status: sum(1 for i in items if i["status"] == status) for status in ("passed", "failed", "pending")
    }
    return {**counts, "total": len(items), "items": items}
