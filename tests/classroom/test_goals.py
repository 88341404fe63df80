"""The goal checker against predicted matrices: what a student reads for each goal."""

import pytest
import yaml

from designer.topology.goals import (
    GoalError,
    check_goals,
    parse_goal,
    parse_goals,
    progress,
    unknown_endpoints,
)
from designer.topology.ipam import allocate
from designer.topology.matrix import Matrix
from designer.topology.predict import predict
from designer.topology.shape import parse_design
from tests.classroom.exercise import SOLVED_YAML, START_YAML


def predicted(text: str) -> Matrix:
    design = parse_design(yaml.safe_load(text))
    return predict(design, allocate(design))


def test_sentences_and_typed_goals_read_the_same():
    assert parse_goal("d1 reaches d4 with TTL 63") == parse_goal({"from": "d1", "to": "d4", "ttl": 63})
    assert parse_goal("d1 does not reach d2") == parse_goal({"from": "d1", "to": "d2", "reaches": False})
    assert parse_goal("d3 cannot reach 172.16.20.11").dst == "172.16.20.11"
    assert parse_goal("d1 reaches d4 ttl 63").text() == "d1 reaches d4 with TTL 63"


@pytest.mark.parametrize(
    ("item", "says"),
    [
        ("d1 talks to d4", "goals[0]: cannot read 'd1 talks to d4'"),
        ("d1 does not reach d2 with ttl 63", "a TTL only makes sense"),
        ({"from": "d1", "to": "d4", "ttl": 0}, "goals[0].ttl"),
        ({"from": "d1", "to": "d4", "colour": "red"}, "goals[0].colour"),
        (42, "goals[0]: expected a sentence"),
    ],
)
def test_unreadable_goals_are_refused_naming_which_and_why(item, says):
    with pytest.raises(GoalError, match=None) as caught:
        parse_goals([item])
    assert says in str(caught.value)


def test_the_unsolved_exercise_fails_the_routing_goals_and_passes_the_isolation_goal():
    goals = parse_goals(["d1 reaches d4 with TTL 63", "d1 does not reach d2", "d1 reaches d3"])
    results = check_goals(goals, predicted(START_YAML), observed=False)
    assert [r.status for r in results] == ["failed", "passed", "passed"]
    assert results[0].message == "d1 reaches d4 with TTL 63: failed — no answer from 172.16.20.11"
    assert results[1].message == "d1 does not reach d2: passed — no answer from 172.16.20.10, as wanted"
    assert results[2].message.startswith("d1 reaches d3 (172.16.10.")
    assert results[2].message.endswith("directly (TTL 64): passed")


def test_the_solved_exercise_passes_through_the_router_and_a_wrong_ttl_is_explained():
    matrix = predicted(SOLVED_YAML)
    results = check_goals(
        parse_goals(["d1 reaches d4 with TTL 63", "d1 reaches d4 with TTL 64", "d1 does not reach d2"]),
        matrix,
        observed=False,
    )
    assert results[0].message == "d1 reaches d4 (172.16.20.11) through one router (TTL 63): passed"
    assert results[1].status == "failed"
    assert "answered through one router (TTL 63), not directly (TTL 64)" in results[1].message
    assert (
        results[2].message
        == "d1 does not reach d2: failed — 172.16.20.10 answered through one router (TTL 63)"
    )


def test_unprobed_pairs_leave_goals_pending_not_failed():
    matrix = predicted(SOLVED_YAML)  # the observed side is empty until probes arrive
    results = check_goals(parse_goals(["d1 reaches d4", "d1 does not reach d2"]), matrix, observed=True)
    assert [r.status for r in results] == ["pending", "pending"]
    assert progress(results) | {"items": None} == {
        "passed": 0,
        "failed": 0,
        "pending": 2,
        "total": 2,
        "items": None,
    }


def test_goals_naming_what_the_design_lacks_fail_and_are_found_before_opening():
    matrix = predicted(START_YAML)
    goals = parse_goals(["d1 reaches d9", "d7 reaches d1", "d1 reaches 10.9.9.9"])
    assert [r.message for r in check_goals(goals, matrix, observed=False)] == [
        "d1 reaches d9: failed — the design has no d9",
        "d7 reaches d1: failed — the design has no d7",
        "d1 reaches 10.9.9.9: failed — no endpoint of the design holds 10.9.9.9",
    ]
    assert len(unknown_endpoints(goals, matrix)) == 3
    assert unknown_endpoints(parse_goals(["d1 reaches 172.16.20.11"]), matrix) == []
