"""Students cannot see each other's work over HTTP, and a class's quotas hold with a clear reason."""

import json

import pytest

from designer.models import Deployment
from tests.classroom.conftest import join, make_class, make_exercise
from tests.classroom.exercise import SOLVED_YAML, START_YAML
from tests.site.conftest import lab_room

pytestmark = pytest.mark.django_db


def _deploy(student, design_id: int):
    return student.post(f"/designs/{design_id}/deploy", {"sandbox": True})


def test_two_students_cannot_read_or_change_each_others_work(
    instructor, alice, bob, room, lab, clean_site_queue
):
    a = join(alice, room)[0]
    b = join(bob, room)[0]
    deployed = _deploy(alice, a["design"])
    assert deployed.status_code == 201, deployed.content
    dep = deployed.json()["id"]
    for path in (
        f"/designs/{a['design']}",
        f"/designs/{a['design']}/versions",
        f"/deployments/{dep}",
        f"/attempts/{a['attempt']}",
        f"/designs/{a['design']}/export",
    ):
        assert bob.get(path).status_code == 404, path
        assert alice.get(path).status_code == 200, path
    assert bob.put(f"/designs/{a['design']}", {"yaml": SOLVED_YAML}).status_code == 404
    assert _deploy(bob, a["design"]).status_code == 404
    assert bob.post(f"/deployments/{dep}/teardown").status_code == 404
    assert bob.post(f"/attempts/{a['attempt']}/reset").status_code == 404
    assert alice.post(f"/attempts/{a['attempt']}/reset").status_code == 404  # only the instructor resets
    assert [r["student"] for r in bob.get(f"/classes/{room['id']}/board").json()] == ["bob"]
    assert [r["student"] for r in instructor.get(f"/classes/{room['id']}/board").json()] == ["alice", "bob"]
    # the instructor clicks through to a student's attempt; the starting design stays the instructor's
    seen = instructor.get(f"/attempts/{a['attempt']}").json()
    assert seen["deployment"]["id"] == dep and seen["yaml"] == START_YAML
    start = instructor.get(f"/classes/{room['id']}").json()["exercises"][0]["start_design"]
    assert alice.get(f"/designs/{start}").status_code == 404
    assert bob.get(f"/attempts/{b['attempt']}").status_code == 200


def test_a_stranger_to_the_class_sees_nothing_of_it(room, bob):
    assert bob.get(f"/classes/{room['id']}").status_code == 404
    assert bob.get(f"/classes/{room['id']}/board").status_code == 404
    assert bob.get("/classes").json() == []


def test_a_student_holds_one_sandbox_at_a_time_and_a_redeploy_replaces_their_own(
    instructor, alice, lab, clean_site_queue, site_redis, django_capture_on_commit_callbacks
):
    room = make_class(instructor, max_deploys=1)
    make_exercise(instructor, room, "first")
    make_exercise(instructor, room, "second")
    first, second = join(alice, room)
    with django_capture_on_commit_callbacks(execute=True):
        one = _deploy(alice, first["design"]).json()["id"]
    Deployment.objects.filter(pk=one).update(state="done")
    refused = _deploy(alice, second["design"])
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        f"quota reached: in class 'Networks 101' you may hold 1 sandbox(es) at once and deployment(s) {one} "
        "still hold one; tear one down first"
    )
    with django_capture_on_commit_callbacks(execute=True):
        again = _deploy(alice, first["design"])
    assert again.status_code == 201, again.content
    tasks = [json.loads(m)["headers"] for m in site_redis.lrange("site", 0, -1)]
    retire = [t["argsrepr"] for t in tasks if t["task"] == "classroom.retire_previous"]
    assert sorted(retire) == sorted([repr([one]), repr([again.json()["id"]])])


def test_host_and_container_quotas_and_sandbox_only(instructor, alice, lab, clean_site_queue, heartbeat):
    small = make_class(instructor, max_hosts=2)
    make_exercise(instructor, small)
    attempt = join(alice, small)[0]
    hosts = _deploy(alice, attempt["design"])
    assert hosts.status_code == 409
    assert hosts.json()["detail"] == (
        "quota reached: in class 'Networks 101' your sandboxes may have 2 hosts in all; "
        "this deploy would make 3"
    )
    few = make_class(instructor, max_containers=3)
    make_exercise(instructor, few)
    attempt = join(alice, few)[0]
    spaces = _deploy(alice, attempt["design"])
    assert (
        spaces.status_code == 409
        and "may have 3 containers and routers in all; this deploy would make 4" in spaces.json()["detail"]
    )
    real = {h: heartbeat() for h in ("host1", "host2", "host3")}
    onto_real = alice.post(f"/designs/{attempt['design']}/deploy", {"agents": real})
    assert onto_real.status_code == 403 and "lab sandbox only" in onto_real.json()["detail"]
    assert not Deployment.objects.exists()


def test_class_sandboxes_are_refused_only_when_no_lab_agent_has_room_and_the_refusal_says_why(
    settings, alice, bob, room, heartbeat, clean_site_queue
):
    settings.MVLAB_LAB_AGENT = heartbeat("lab-small", sandbox=True, room=lab_room(1640))
    a = join(alice, room)[0]
    b = join(bob, room)[0]
    full = _deploy(alice, a["design"])
    assert full.status_code == 409
    assert full.json()["detail"].startswith(
        "no lab agent has room for another sandbox of this design (about 4.0 MiB of kernel memory): "
        "agent 'lab-small': memory: 1640 MiB available, 1638 MiB of it kept for the machine;"
    )
    heartbeat("lab-big", sandbox=True, room=lab_room(9000, sandboxes=40))
    first, second = _deploy(alice, a["design"]), _deploy(bob, b["design"])
    assert first.status_code == second.status_code == 201, (first.content, second.content)
    for student, deployed in ((alice, first), (bob, second)):
        hosts = student.get(f"/deployments/{deployed.json()['id']}").json()["hosts"]
        assert {host["agent"] for host in hosts.values()} == {"lab-big"}
