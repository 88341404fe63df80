"""Fixtures for the site's tests: three people (owner, another user, a stranger), a JSON client
that behaves like the editor (session cookie, CSRF header), and the real local Redis on a
database number of its own so no running mvlab sees these tests' keys and queues.
"""

from __future__ import annotations

import io
import json
import os
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.core.management import call_command
from django.test import Client

from contract.agents import Heartbeat, heartbeat_key
from mvlab.celery import app as celery_app
from tests.celery_results import forget_results

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SITE_REDIS_URL = os.environ.get("MVLAB_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def example(name: str) -> str:
    return (EXAMPLES / f"{name}.yaml").read_text()


class Api:
    """Talks to /api as the editor does: JSON bodies, and the CSRF token in X-CSRFToken."""

    def __init__(self, client: Client):
        self.client = client

    def csrf(self) -> str:
        return self.client.get("/api/session").json()["csrf_token"]

    def get(self, path: str, **params):
        return self.client.get(f"/api{path}", params)

    def send(self, method: str, path: str, body=None, csrf: bool = True):
        headers = {"X-CSRFToken": self.csrf()} if csrf else {}
        data = json.dumps(body) if body is not None else ""
        call = getattr(self.client, method)
        return call(f"/api{path}", data=data, content_type="application/json", headers=headers)

    def post(self, path: str, body=None, csrf: bool = True):
        return self.send("post", path, body, csrf)

    def put(self, path: str, body=None, csrf: bool = True):
        return self.send("put", path, body, csrf)

    def delete(self, path: str, csrf: bool = True):
        return self.send("delete", path, None, csrf)


def _signed_in(django_user_model, name: str) -> Api:
    user = django_user_model.objects.create_user(username=name, password=f"{name}-password")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    api = Api(client)
    api.user = user
    return api


@pytest.fixture
def owner(django_user_model) -> Api:
    return _signed_in(django_user_model, "owner")


@pytest.fixture
def other(django_user_model) -> Api:
    return _signed_in(django_user_model, "other")


@pytest.fixture
def stranger() -> Api:
    return Api(Client(enforce_csrf_checks=True))


@pytest.fixture(autouse=True)
def site_redis(settings):
    """Points the site (events, heartbeats, Celery broker) at the test Redis database.

    (And hashes test passwords quickly: the production hasher costs most of a second per user.)
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.REDIS_URL = SITE_REDIS_URL
    before = celery_app.conf.broker_url
    _point_celery_at(SITE_REDIS_URL)
    client = redis.Redis.from_url(SITE_REDIS_URL, decode_responses=True)
    yield client
    client.close()
    _point_celery_at(before)


def _point_celery_at(url: str) -> None:
    """Sends the site's Celery messages and reads its results at `url` from now on.

    Celery caches its broker connections and result backend on first use; they are
    dropped here (as Celery itself does after a fork) so the new URL takes effect. The app
    reads Django's settings under the CELERY namespace, whose keys win over the plain ones,
    so the namespaced keys are the ones set.
    """
    forget_results(celery_app)  # the old URL's Redis may be a test's own, soon gone
    celery_app.conf.update(CELERY_BROKER_URL=url, CELERY_RESULT_BACKEND=url)
    assert celery_app.conf.broker_url == celery_app.conf.result_backend == url
    celery_app._after_fork()
    celery_app._backend_cache = None
    celery_app._local = threading.local()


@pytest.fixture
def clean_site_queue(site_redis):
    """The site's Celery queue empty before and after: what a test queued is all there is."""
    site_redis.delete("site")
    yield
    site_redis.delete("site")


@pytest.fixture
def heartbeat(site_redis):
    """Makes an agent look alive by writing its heartbeat key (what a running agent does)."""
    made: list[str] = []

    def beat(name: str | None = None, sandbox: bool = False, ttl: int = 15, room: dict | None = None) -> str:
        name = name or f"test-{uuid.uuid4().hex[:8]}"
        facts = {
            "agent": name,
            "kernel": "6.1.0",
            "macvlan": True,
            "vlan_8021q": False,
            "bridge": True,
            "veth": True,
            "ipvlan": False,
            "nics": [],
        }
        beat = Heartbeat(name=name, start="test", time=time.time(), facts=facts, sandbox=sandbox, room=room)
        site_redis.set(heartbeat_key(name), beat.model_dump_json(), ex=ttl)
        made.append(name)
        return name

    yield beat
    for name in made:
        site_redis.delete(f"mvlab:agent:{name}", f"agent.{name}")


@pytest.fixture
def lab(heartbeat, settings):
    """A live lab agent (its heartbeat), the one the site places sandboxes on."""
    settings.MVLAB_LAB_AGENT = heartbeat(sandbox=True)
    return settings.MVLAB_LAB_AGENT


def granted_to(api: Api, agent: str) -> str:
    """`agent` (one that has sent a heartbeat) granted to the user of `api` with `lab grant`."""
    call_command("lab", "grant", agent, "--user", api.user.get_username(), stdout=io.StringIO())
    return agent


def lab_room(available_mib: int, total_mib: int = 16384, sandboxes: int = 0, ipv4_in_use: int = 10) -> dict:
    """A lab agent's advertised room (contract.plan.Room) with these figures."""
    table = {"cap": 1024, "in_use": 10, "probe_needs": 16}
    return {
        "memory_available": available_mib * 2**20,
        "memory_total": total_mib * 2**20,
        "neighbours": {"ipv4": {**table, "in_use": ipv4_in_use}, "ipv6": table},
        "sandboxes": sandboxes,
    }


@pytest.fixture
def stored(owner) -> dict:
    """The owner's two-VLAN design, stored once (version 1)."""
    response = owner.post("/designs", {"yaml": example("two-vlans-routed")})
    assert response.status_code == 201, response.content
    return response.json()
