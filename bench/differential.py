"""The differential run: random valid designs, predicted, deployed in a lab sandbox, compared pair by pair.

    .venv/bin/python bench/differential.py --examples 300 --seed S [S ...] [--avoid KIND ...] [--shrink N]

Draws `--examples` designs from each seed (`tests/topology/valid_designs.py`; a seed and
an example count name the same designs on every run), deploys each one in a fresh
sandbox (`tests/topology/differential.py`), and prints a line for every design that
differs from its prediction (a pair's outcome or reply TTL) or does not deploy, then the
summary: designs, pairs, mismatches (a crash of the agent's code counts as a design that did
not deploy, and the run goes on). Mismatches are grouped by what went wrong and by the
known kinds of design they hold (`KNOWN` in valid_designs.py); for each group the first
design is shrunk (parts removed one at a time while it still validates and still
differs the same way, at most `--shrink` deploys) and printed as YAML with the pairs that
differ, ready for `lab up FILE --sandbox`. `--avoid` draws no design of those known kinds
(`--avoid all`: none of them), to look past them. `--seeds-clean` prints the seeds none of
whose designs differs: the candidates for the CI list of `test_differential_kernel.py`.
Needs root (network namespaces); everything is made in namespaces of its own and removed.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
import traceback
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pydantic import ValidationError

from designer.topology.issues import errors_in
from designer.topology.model import Design
from designer.topology.validate import validate
from designer.topology.yamlio import dump_design
from tests.topology.differential import Outcome, deploy_and_compare, drawn_designs
from tests.topology.valid_designs import AVOIDED, DISCARDED, KNOWN, known_kinds

Group = tuple[frozenset[str], str]  # (known kinds the design holds, what went wrong)


def attempt(design: Design, probe: dict) -> Outcome:
    """`deploy_and_compare`, with a crash of the agent's code taken as a finding, not the end of the run."""
    try:
        return deploy_and_compare(design, **probe)
    except Exception as exc:  # the sandbox is removed whatever happened
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return Outcome(design, failed={"*": f"crashed: {exc!r} at {where.filename}:{where.lineno}"})


def what_went_wrong(outcome: Outcome) -> str:
    """A short name of the mismatch, free of names and addresses, to group designs by."""
    if outcome.failed:
        detail = min(outcome.failed.values())
        return "did not deploy: " + detail.rpartition("kernel said ")[2]
    kinds = set()
    for pair in outcome.differ:
        if pair.observed == pair.expected:
            kinds.add(f"reply TTL {pair.ttl} where {pair.expected_ttl} was predicted")
        else:
            kinds.add("unexpected reply" if pair.observed else "no reply where one was predicted")
    return "; ".join(sorted(kinds))


def group_of(outcome: Outcome) -> Group:
    return frozenset(known_kinds(outcome.design)), what_went_wrong(outcome)


def usable(data: dict) -> Design | None:
    """The design `data` describes, when it validates without errors."""
    try:
        design = Design.model_validate(data)
    except ValidationError:
        return None
    return None if errors_in(validate(design)) else design


def parts(data, path=()):
    """Paths of every part of a design from its sections' elements down (element, key, list item)."""
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        if len(path) >= 1:
            yield (*path, key)
        yield from parts(value, (*path, key))


def without(data: dict, path: tuple) -> dict:
    smaller = copy.deepcopy(data)
    holder = smaller
    for key in path[:-1]:
        holder = holder[key]
    del holder[path[-1]]
    return smaller


def shrink(outcome: Outcome, budget: int, probe: dict) -> tuple[Outcome, int]:
    """Remove parts of the design, biggest first, while it validates and goes wrong the same way."""
    wanted, deploys, tried = group_of(outcome), 0, set()
    progress = True
    while progress and deploys < budget:
        progress = False
        data = outcome.design.model_dump(mode="json", by_alias=True, exclude_defaults=True)
        for path in sorted(parts(data), key=len):
            design = usable(without(data, path))
            if design is None or dump_design(design) in tried:
                continue
            if deploys >= budget:
                break
            tried.add(dump_design(design))
            deploys += 1
            trial = attempt(design, probe)
            if not trial.ok and group_of(trial) == wanted:
                outcome, progress = trial, True
                break
    return outcome, deploys


def describe(group: Group) -> str:
    known = f"known: {', '.join(sorted(group[0]))}" if group[0] else "NEW"
    return f"[{known}] {group[1]}"


def counts(counter) -> str:
    return f" ({', '.join(f'{key}: {n}' for key, n in counter.most_common())})" if counter else ""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=300, help="designs drawn from each seed")
    parser.add_argument("--seed", type=int, nargs="+", default=[0])
    parser.add_argument("--avoid", nargs="*", default=[], choices=sorted(KNOWN | {"all"}))
    parser.add_argument(
        "--shrink", type=int, default=40, help="most deploys to shrink a group's first design"
    )
    parser.add_argument("--timeout", type=float, help="probe deadline in seconds (default: the agent's)")
    parser.add_argument("--seeds-clean", action="store_true", help="list the seeds whose designs all pass")
    args = parser.parse_args()
    avoid = KNOWN if "all" in args.avoid else frozenset(args.avoid)
    probe = {} if args.timeout is None else {"timeout": args.timeout}

    started = time.monotonic()
    designs = pairs = settled = 0
    groups: dict[Group, list[tuple[str, Outcome]]] = defaultdict(list)
    dirty: set[int] = set()
    for seed in args.seed:
        for index, design in enumerate(drawn_designs(seed, args.examples, avoid)):
            outcome = attempt(design, probe)
            designs, pairs, settled = designs + 1, pairs + outcome.pairs, settled + outcome.settled
            if not outcome.ok:
                name = f"seed {seed} design {index}"
                groups[group_of(outcome)].append((name, outcome))
                dirty.add(seed)
                print(
                    f"{name}: {len(outcome.differ)} of {outcome.pairs} pairs differ; "
                    f"{describe(group_of(outcome))}",
                    flush=True,
                )
    elapsed = time.monotonic() - started

    failed = [o for group in groups.values() for _, o in group if o.failed]
    differing = [o for group in groups.values() for _, o in group if o.differ]
    print(
        f"\n{designs} designs from seeds {' '.join(map(str, args.seed))} ({args.examples} each"
        f"{', avoiding ' + ', '.join(sorted(avoid)) if avoid else ''}), {pairs} pairs, {elapsed:.0f} s"
    )
    print(
        f"the strategy discarded {sum(DISCARDED.values())} drawn designs "
        f"that did not validate{counts(DISCARDED)}"
        f" and {sum(AVOIDED.values())} of kinds avoided{counts(AVOIDED)}"
    )
    print(f"as predicted: {designs - len(failed) - len(differing)} designs")
    print(f"did not deploy: {len(failed)} designs")
    print(
        f"differ: {sum(len(o.differ) for o in differing)} pairs in {len(differing)} designs "
        f"({settled} pairs more differed on a first probe only, links settling)"
    )
    if args.seeds_clean:
        print("clean seeds:", " ".join(str(s) for s in args.seed if s not in dirty) or "none")
    for group, members in groups.items():
        print(f"\n== {describe(group)}: {len(members)} designs ({', '.join(name for name, _ in members)})")
        first_name, first = members[0]
        small, deploys = shrink(first, args.shrink, probe) if args.shrink else (first, 0)
        print(f"# {first_name}, shrunk in {deploys} deploys from {first.pairs} pairs to {small.pairs}")
        print(small.report())


if __name__ == "__main__":
    main()
