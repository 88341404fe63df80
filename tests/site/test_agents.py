"""GET /api/agents: heartbeats in Redis mirrored into the Agent model, alive or dead."""

import pytest

from designer.models import Agent
from tests.site.conftest import granted_to

pytestmark = pytest.mark.django_db


def test_a_heartbeat_makes_an_agent_alive_and_stores_its_facts(owner, heartbeat):
    name = heartbeat(sandbox=True)
    listed = {a["name"]: a for a in owner.get("/agents").json()}
    assert listed[name]["alive"] is True and listed[name]["sandbox"] is True
    assert listed[name]["facts"]["macvlan"] is True
    stored = Agent.objects.get(name=name)
    assert stored.facts["kernel"] == "6.1.0" and stored.last_seen is not None


def test_an_agent_whose_heartbeat_expired_is_listed_dead(owner, heartbeat, site_redis):
    name = granted_to(owner, heartbeat())  # a real-host agent is listed to whom it is granted
    owner.get("/agents")
    site_redis.delete(f"mvlab:agent:{name}")
    listed = {a["name"]: a for a in owner.get("/agents").json()}
    assert listed[name]["alive"] is False
    assert listed[name]["facts"]["agent"] == name


def test_agents_need_a_signed_in_user(stranger):
    assert stranger.get("/agents").status_code == 401
