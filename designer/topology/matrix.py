"""The reachability matrix, in the JSON shape of DESIGN.md (`lab predict --json`, `lab up --json`).

One pair for every source endpoint and every address of every other endpoint; a
prediction fills `expected` (and `expected_ttl`), a deployment's probe results fill
`observed`, `rtt_ms` and `ttl`.

A prediction also says why: each pair's `reason` indexes the matrix's `reasons`, which hold the
rule that decided (`rule`, a short code), the sentence the editor shows (`text`), the routers and
forwarding hosts the request passes (`path`) and the design networks it crosses. Many pairs share
one reason (a flat network of 200 containers has one), so a matrix stays about as large as before.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel

from contract.events import ProbeEvent


class Endpoint(BaseModel):
    """A container, router or host that holds addresses; a host's `host` is its own name."""

    name: str
    host: str
    addresses: list[str]


class Hop(BaseModel):
    """A node that received the request and forwarded it (`oif` None: it stopped there)."""

    node: str
    iif: str  # the interface it arrived on
    oif: str | None = None  # the interface it left by


class Reason(BaseModel):
    """Why a ping goes through or not: `rule` for programs (e.g. `bridge`, `routed`, `private`,
    `no-route`; `reply-` prefixed when the reply is what fails), `text` for people."""

    rule: str
    text: str
    path: list[Hop] = []
    networks: list[str] = []


class Pair(BaseModel):
    src: str
    dst: str
    dst_ip: str
    expected: bool
    observed: bool | None = None
    rtt_ms: float | None = None
    ttl: int | None = None
    expected_ttl: int | None = None
    reason: int | None = None  # the index of its reason in the matrix's `reasons`


class Matrix(BaseModel):
    endpoints: list[Endpoint]
    pairs: list[Pair]
    reasons: list[Reason] = []

    def why(self, pair: Pair) -> Reason | None:
        """The predicted reason of `pair`, a pair of this matrix."""
        return None if pair.reason is None else self.reasons[pair.reason]

    def pair(self, src: str, dst_ip: str) -> Pair:
        """The pair from `src` to `dst_ip`; KeyError when the matrix has none."""
        for pair in self.pairs:
            if pair.src == src and pair.dst_ip == dst_ip:
                return pair
        raise KeyError((src, dst_ip))


def merge_observed(matrix: Matrix, events: Iterable[ProbeEvent]) -> Matrix:
    """A copy of `matrix` with each probe result filled into its pair (the latest event wins).

    Probe events for pairs the matrix does not know are ignored: they belong to
    another design version.
    """
    results = {(event.src, event.dst, event.dst_ip): event for event in events}
    pairs = []
    for pair in matrix.pairs:
        event = results.get((pair.src, pair.dst, pair.dst_ip))
        if event is not None:
            pair = pair.model_copy(
                update={"observed": event.observed, "rtt_ms": event.rtt_ms, "ttl": event.ttl}
            )
        pairs.append(pair)
    return Matrix(endpoints=[e.model_copy() for e in matrix.endpoints], pairs=pairs, reasons=matrix.reasons)
