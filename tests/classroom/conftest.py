"""Fixtures for classroom tests: an instructor, two students, a class with the two-VLAN exercise open.

The site fixtures (JSON client, real Redis on a database of its own, agent heartbeats) are
the site tests' own; the channel layer is pointed at that Redis database too.
"""

from __future__ import annotations

import pytest
from channels.layers import channel_layers

from classroom import roles
from tests.classroom.exercise import GOALS, LOCKED, START_YAML
from tests.site.conftest import (  # noqa: F401  (fixtures shared with the site tests)
    SITE_REDIS_URL,
    Api,
    _signed_in,
    clean_site_queue,
    heartbeat,
    lab,
    site_redis,
)


@pytest.fixture(autouse=True)
def class_channel_layer(settings):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [SITE_REDIS_URL]}}
    }
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def instructor(django_user_model) -> Api:
    api = _signed_in(django_user_model, "teacher")
    roles.grant(api.user, roles.INSTRUCTOR)
    return api


@pytest.fixture
def alice(django_user_model) -> Api:
    return _signed_in(django_user_model, "alice")


@pytest.fixture
def bob(django_user_model) -> Api:
    return _signed_in(django_user_model, "bob")


def make_class(instructor: Api, **limits) -> dict:
    answer = instructor.post("/classes", {"name": "Networks 101", **limits})
    assert answer.status_code == 201, answer.content
    return answer.json()


def make_exercise(instructor: Api, room: dict, title: str = "Route the VLANs", goals=GOALS) -> dict:
    design = instructor.post("/designs", {"yaml": START_YAML}).json()
    answer = instructor.post(
        f"/classes/{room['id']}/exercises",
        {"title": title, "design": design["id"], "goals": goals, "locked": LOCKED},
    )
    assert answer.status_code == 201, answer.content
    opened = instructor.post(f"/exercises/{answer.json()['id']}/open")
    assert opened.status_code == 200, opened.content
    return opened.json()


def join(student: Api, room: dict) -> dict:
    answer = student.post("/classes/join", {"code": room["code"]})
    assert answer.status_code == 200, answer.content
    board = student.get(f"/classes/{room['id']}/board").json()
    return board


@pytest.fixture
def room(instructor) -> dict:
    made = make_class(instructor)
    make_exercise(instructor, made)
    return made
