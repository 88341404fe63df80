"""The goal checker agrees with matrices observed in a real lab sandbox (real namespaces, real pings)."""

import pytest
import yaml

from agent.run import run_sandbox
from contract.events import ProbeEvent
from designer.topology.compile import compile_fabric, compile_plans
from designer.topology.goals import check_goals, parse_goals
from designer.topology.ipam import allocate
from designer.topology.matrix import Matrix, merge_observed
from designer.topology.predict import predict
from designer.topology.shape import parse_design
from tests.classroom.exercise import GOALS, SOLVED_YAML, START_YAML
from tests.kernel.lab import deployment_id

pytestmark = pytest.mark.kernel


def observed(text: str) -> Matrix:
    """The design deployed into a fresh sandbox and probed; the matrix with what the pings saw."""
    design = parse_design(yaml.safe_load(text))
    allocation = allocate(design)
    with deployment_id() as dep:
        events = []
        run_sandbox(compile_fabric(design, dep), compile_plans(design, allocation, dep), events.append)
    probes = [e for e in events if isinstance(e, ProbeEvent)]
    assert probes, "the sandbox ran no probe"
    return merge_observed(predict(design, allocation), probes)


@pytest.fixture(scope="module")
def start_matrix() -> Matrix:
    return observed(START_YAML)


@pytest.fixture(scope="module")
def solved_matrix() -> Matrix:
    return observed(SOLVED_YAML)


def test_the_exercise_goals_fail_before_and_pass_after_the_fix_as_observed(start_matrix, solved_matrix):
    goals = parse_goals([*GOALS, "d1 does not reach d2"])
    before = check_goals(goals, start_matrix)
    after = check_goals(goals, solved_matrix)
    assert [r.status for r in before] == ["failed", "failed", "passed", "passed"]
    assert before[0].message == "d1 reaches d4 with TTL 63: failed — no answer from 172.16.20.11"
    assert [r.status for r in after] == ["passed", "passed", "passed", "failed"]
    assert after[0].message == "d1 reaches d4 (172.16.20.11) through one router (TTL 63): passed"


@pytest.mark.parametrize("which", ["start_matrix", "solved_matrix"])
def test_every_observed_pair_as_a_goal_passes_and_its_opposite_fails(which, request):
    """Goals written from what the kernel did pass; goals claiming the opposite fail."""
    matrix: Matrix = request.getfixturevalue(which)
    pairs = [p for p in matrix.pairs if p.observed is not None]
    assert len(pairs) == len(matrix.pairs), "every predicted pair was probed"
    true_goals, false_goals = [], []
    for p in pairs:
        if p.observed:
            true_goals.append(f"{p.src} reaches {p.dst_ip} with TTL {p.ttl}")
            false_goals.append(f"{p.src} does not reach {p.dst_ip}")
            false_goals.append(f"{p.src} reaches {p.dst_ip} with TTL {p.ttl + 1}")
        else:
            true_goals.append(f"{p.src} does not reach {p.dst_ip}")
            false_goals.append(f"{p.src} reaches {p.dst_ip}")
    assert {r.status for r in check_goals(parse_goals(true_goals), matrix)} == {"passed"}
    assert {r.status for r in check_goals(parse_goals(false_goals), matrix)} == {"failed"}
    assert any(p.observed for p in pairs) and any(not p.observed for p in pairs)
