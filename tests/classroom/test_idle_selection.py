"""Which sandboxes the idle sweep takes: students' ended sandboxes left alone too long, nothing else."""

import datetime as dt

import pytest
from django.utils import timezone

from classroom.teardown import idle_sandboxes
from designer.models import Deployment, Design
from tests.classroom.conftest import join
from tests.classroom.exercise import START_YAML

pytestmark = pytest.mark.django_db


def _deployment(design_id: int, state: str, age_s: float, design_age_s: float) -> str:
    design = Design.objects.get(pk=design_id)
    made = Deployment.objects.create(
        design=design, version=design.latest(), sandbox=True, hosts={"host1": {}}
    )
    now = timezone.now()
    Deployment.objects.filter(pk=made.pk).update(state=state, changed=now - dt.timedelta(seconds=age_s))
    Design.objects.filter(pk=design_id).update(updated=now - dt.timedelta(seconds=design_age_s))
    return made.id


def test_only_students_sandboxes_left_alone_longer_than_the_setting_are_idle(
    settings, alice, bob, instructor, room
):
    settings.MVLAB_CLASS_IDLE_SECONDS = 600
    a = join(alice, room)[0]["design"]
    b = join(bob, room)[0]["design"]
    idle = _deployment(a, "done", 700, 700)
    assert [d.id for d in idle_sandboxes()] == [idle]
    Deployment.objects.filter(pk=idle).update(state="torn_down")
    fresh = _deployment(a, "done", 100, 700)
    running = _deployment(b, "deploying", 700, 700)
    editing = _deployment(b, "failed", 700, 100)  # bob saved his design 100 s ago
    own = instructor.post("/designs", {"yaml": START_YAML}).json()["id"]
    not_in_class = _deployment(own, "done", 700, 700)
    assert [d.id for d in idle_sandboxes()] == []
    assert {fresh, editing, running, not_in_class}.isdisjoint(d.id for d in idle_sandboxes())
    Design.objects.filter(pk=b).update(updated=timezone.now() - dt.timedelta(seconds=700))
    Deployment.objects.filter(pk=running).update(state="torn_down")
    assert [d.id for d in idle_sandboxes()] == [editing]
