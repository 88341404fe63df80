"""Classes over HTTP: roles, exercises checked against their start, joining, locked elements, CSV."""

import csv
import io

import pytest

from designer.models import Design
from tests.classroom.conftest import join, make_class, make_exercise
from tests.classroom.exercise import LOCKED, SOLVED_YAML, START_YAML

pytestmark = pytest.mark.django_db


def test_only_instructors_create_classes(alice, instructor):
    answer = alice.post("/classes", {"name": "mine"})
    assert answer.status_code == 403
    assert "only instructors create classes" in answer.json()["detail"]
    # the session names the role, so the class page offers "New class" to instructors only
    assert alice.get("/session").json()["roles"] == []
    assert instructor.get("/session").json()["roles"] == ["instructor"]


def test_an_exercise_with_unreadable_or_impossible_goals_or_locks_is_refused_all_at_once(instructor):
    room = make_class(instructor)
    design = instructor.post("/designs", {"yaml": START_YAML}).json()
    base = {"title": "x", "design": design["id"], "locked": []}
    unreadable = instructor.post(f"/classes/{room['id']}/exercises", {**base, "goals": ["d1 pings d4"]})
    assert unreadable.status_code == 400
    [error] = unreadable.json()["errors"]
    assert (error["path"], error["line"]) == ("goals[0]", 1)
    assert error["message"].startswith("cannot read 'd1 pings d4'; write e.g.")  # the path not repeated
    goals = ["d1 reaches d4", "d1 pings d4", "d1 reaches d9", {"from": "d1", "to": "d4", "ttl": 0}]
    impossible = instructor.post(
        f"/classes/{room['id']}/exercises",
        {**base, "goals": goals, "locked": ["containers.d1", "containers.d7"]},
    )
    assert impossible.status_code == 400
    assert impossible.json()["detail"] == "the exercise does not fit its starting design (4 problems)"
    found = [(e["path"], e["line"], e["message"].split(";")[0]) for e in impossible.json()["errors"]]
    assert found == [
        ("goals[1]", 2, "cannot read 'd1 pings d4'"),
        ("goals[2]", 3, "d1 reaches d9: the design has no endpoint or address 'd9'"),
        ("goals[3].ttl", 4, "Input should be greater than or equal to 1"),
        ("locked[1]", 2, "the starting design has nothing at 'containers.d7'"),
    ]


def test_a_student_joins_with_the_code_and_gets_a_private_copy_of_the_start(instructor, alice, room):
    wrong = alice.post("/classes/join", {"code": "NOPE1234"})
    assert wrong.status_code == 404 and "NOPE1234" in wrong.json()["detail"]
    rows = join(alice, room)
    assert [(r["student"], r["exercise_title"], r["deployment"]) for r in rows] == [
        ("alice", "Route the VLANs", None)
    ]
    copy = Design.objects.get(pk=rows[0]["design"])
    assert copy.owner == alice.user
    assert alice.get(f"/designs/{copy.id}").json()["yaml"] == START_YAML
    assert alice.user.groups.filter(name="student").exists()
    attempt = alice.get(f"/attempts/{rows[0]['attempt']}").json()
    assert attempt["goals"]["pending"] == 3 and attempt["locked"] == LOCKED
    # the class as a student sees it: no join code, no roster
    seen = alice.get(f"/classes/{room['id']}").json()
    assert "code" not in seen and "students" not in seen and not seen["teaching"]


def test_joining_before_an_exercise_opens_hands_it_out_when_it_opens(instructor, alice):
    room = make_class(instructor)
    assert join(alice, room) == []
    make_exercise(instructor, room)
    assert [r["student"] for r in alice.get(f"/classes/{room['id']}/board").json()] == ["alice"]


def test_locked_elements_cannot_be_changed_but_the_rest_can(alice, room):
    design_id = join(alice, room)[0]["design"]
    moved = START_YAML.replace("d4: {host: host2", "d4: {host: host1")
    refused = alice.put(f"/designs/{design_id}", {"yaml": moved})
    assert refused.status_code == 400
    assert "containers.d4" in refused.json()["detail"]
    assert [e["path"] for e in refused.json()["errors"]] == ["containers.d4"]
    removed = alice.put(
        f"/designs/{design_id}",
        {
            "yaml": START_YAML.replace(
                '  d4: {host: host2, networks: {mac20: {ip: 172.16.20.11, mac: "02:00:00:00:20:0b"}}}\n', ""
            )
        },
    )
    assert removed.status_code == 400 and "may not be removed" in removed.json()["errors"][0]["message"]
    assert alice.get(f"/designs/{design_id}/versions").json()[-1]["version"] == 1
    solved = alice.put(f"/designs/{design_id}", {"yaml": SOLVED_YAML})
    assert solved.status_code == 200 and solved.json()["version"] == 2


def test_the_instructor_exports_the_class_results_as_csv(instructor, alice, bob, room):
    join(alice, room)
    join(bob, room)
    answer = instructor.client.get(f"/api/classes/{room['id']}/results.csv")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode())))
    assert [(r["student"], r["state"], r["passed"], r["total"]) for r in rows] == [
        ("alice", "not deployed", "0", "3"),
        ("bob", "not deployed", "0", "3"),
    ]
    assert "d1 reaches d4 with TTL 63: pending" in rows[0]["goals"]
    assert alice.client.get(f"/api/classes/{room['id']}/results.csv").status_code == 404


def test_the_exercise_keeps_its_start_when_the_instructor_deletes_the_design(instructor, alice, room):
    start = instructor.get(f"/classes/{room['id']}").json()["exercises"][0]["start_design"]
    assert instructor.delete(f"/designs/{start}").status_code == 204
    assert instructor.get(f"/classes/{room['id']}").json()["exercises"][0]["start_design"] is None
    design_id = join(alice, room)[0]["design"]
    assert alice.get(f"/designs/{design_id}").json()["yaml"] == START_YAML
