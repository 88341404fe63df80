"""The differential check: deploy a design in a lab sandbox and compare every pair with its prediction.

Used by `test_differential_kernel.py` (a fixed list of seeds) and `bench/differential.py`
(a long run). A pair differs when its outcome is not the predicted one, or when it
answered with another reply TTL than predicted. Every host must deploy (`run_sandbox`
ok): a design that validates must deploy. A design whose first probe differs is probed
once more (`run_sandbox` again changes nothing and probes again), so links still
settling are told apart from steady disagreement; `Outcome.settled` counts those pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import Phase, given, seed, settings

from agent.events import ListEventSink
from agent.run import run_sandbox
from contract.events import ProbeEvent
from designer.topology.compile import compile_fabric, compile_plans
from designer.topology.ipam import allocate
from designer.topology.matrix import Pair, merge_observed
from designer.topology.model import Design
from designer.topology.predict import predict
from designer.topology.yamlio import dump_design
from tests.kernel.lab import deployment_id
from tests.topology.valid_designs import valid_designs

COLUMNS = ("SRC", "DST", "DST_IP", "EXPECTED", "OBSERVED", "EXPECTED TTL", "OBSERVED TTL")


@dataclass
class Outcome:
    design: Design
    pairs: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # host -> why its run was not ok
    differ: list[Pair] = field(default_factory=list)  # observed (with reply TTL) unlike the prediction
    observed: list[Pair] = field(default_factory=list)  # every pair, expected and observed
    settled: int = 0  # pairs that differed on the first probe only

    @property
    def ok(self) -> bool:
        return not self.failed and not self.differ

    def report(self) -> str:
        """The design as YAML (for `lab up FILE --sandbox`), then what went wrong."""
        lines = [
            "# reproduce: save as FILE, then: .venv/bin/python manage.py lab up FILE --sandbox",
            dump_design(self.design).rstrip(),
        ]
        lines += [f"host {host} failed: {detail}" for host, detail in sorted(self.failed.items())]
        if self.differ:
            lines.append(pair_table(self.differ))
        return "\n".join(lines)


def differs(pair: Pair) -> bool:
    return pair.observed != pair.expected or (pair.observed and pair.ttl != pair.expected_ttl)


def pair_table(pairs: list[Pair]) -> str:
    rows = [COLUMNS] + [
        tuple(str(value) for value in (p.src, p.dst, p.dst_ip, p.expected, p.observed, p.expected_ttl, p.ttl))
        for p in pairs
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def deploy_and_compare(design: Design, **probe) -> Outcome:
    """Predict, deploy in a fresh sandbox (removed afterwards, whatever happens), probe, compare.

    `probe` goes to `run_sandbox` (timeout, tries); its defaults are the agent's own.
    """
    allocation = allocate(design)
    predicted = predict(design, allocation)
    outcome = Outcome(design, pairs=len(predicted.pairs))
    with deployment_id() as deployment:
        fabric = compile_fabric(design, deployment)
        plans = compile_plans(design, allocation, deployment, predicted)
        first: set[tuple[str, str]] | None = None
        for _ in range(2):
            sink = ListEventSink()
            results = run_sandbox(fabric, plans, sink, **probe)
            observed = merge_observed(predicted, [e for e in sink.events if isinstance(e, ProbeEvent)])
            outcome.failed = {host: result.detail for host, result in results.items() if not result.ok}
            outcome.observed = observed.pairs
            outcome.differ = [
                pair for pair in outcome.observed if pair.observed is not None and differs(pair)
            ]
            now = {(pair.src, pair.dst_ip) for pair in outcome.differ}
            first = now if first is None else first
            if outcome.ok or outcome.failed:
                break
    outcome.settled = len(first - now)
    return outcome


def drawn_designs(seed_value: int, examples: int, avoid: frozenset[str] = frozenset()) -> list[Design]:
    """The designs `valid_designs` draws from `seed_value`: the same list on every run (for one
    hypothesis version and one strategy), so that a seed names its designs."""
    designs: list[Design] = []

    @seed(seed_value)
    @settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate])
    @given(valid_designs(avoid=avoid))
    def collect(design: Design) -> None:
        designs.append(design)

    collect()
    return designs
