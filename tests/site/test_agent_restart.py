"""`dispatch.wait` and an agent that restarts while it holds a task: the site reads which start of the
agent accepted the task (its accepted record) and which start beats now; a task an earlier start
took and left without a result is sent again under a new id, at most MAX_AGENT_RESENDS times, and
then fails saying the agent restarted. On the real Redis and Celery broker; the agent is played by
writing what a real one writes (tests/integration/test_agent_restarts.py runs a real one)."""

import json

import pytest

from contract.trust import accepted_key
from designer import agent_credentials, dispatch

pytestmark = pytest.mark.django_db
TASK = "mvlab.agent.facts"


@pytest.fixture
def agent(site_redis, heartbeat):
    name = heartbeat()
    agent_credentials.add(name, with_redis_user=False)  # the machine's Redis: no ACL changes
    yield name
    site_redis.hdel(agent_credentials.CREDENTIALS_KEY, name)


def _started(site_redis, agent: str, start: str) -> None:
    """The agent beats with start id `start` (a new one: it restarted)."""
    key = f"mvlab:agent:{agent}"
    site_redis.set(key, json.dumps({**json.loads(site_redis.get(key)), "start": start}), ex=15)


def _queued_ids(site_redis, agent: str) -> list[str]:
    return [json.loads(raw)["headers"]["id"] for raw in site_redis.lrange(f"agent.{agent}", 0, -1)]


def test_a_task_its_agent_took_before_restarting_is_sent_again_then_failed(site_redis, agent):
    _started(site_redis, agent, "first")
    pending = {"h1": dispatch.dispatch(TASK, [], agent, ["h1"])}
    first_id = pending["h1"].result.id
    site_redis.set(accepted_key(first_id), "first", ex=60)  # its first start took it ...
    _started(site_redis, agent, "second")  # ... and was killed; the second beats within the TTL
    said = []
    outcome = dispatch.wait(pending, timeout=1.5, say=said.append)["h1"]
    assert said == [f"agent {agent} restarted while running {TASK}: sent again"]
    again = pending["h1"].result.id
    assert again != first_id and _queued_ids(site_redis, agent)[0] == again  # a new, signed id
    assert outcome.detail == f"no answer from agent {agent!r} within 2 s"  # nobody took the new one

    for start in ("third", "fourth"):  # each later start takes the newest copy, then dies with it
        site_redis.set(accepted_key(pending["h1"].result.id), start, ex=60)
        _started(site_redis, agent, start + "+1")
        outcome = dispatch.wait(pending, timeout=1.5, say=said.append)["h1"]
    assert pending["h1"].resent == dispatch.MAX_AGENT_RESENDS
    assert not outcome.ok and outcome.detail == (
        f"agent {agent!r} restarted while running {TASK}, {dispatch.MAX_AGENT_RESENDS + 1} times; "
        "nothing of it runs now"
    )
    assert len(_queued_ids(site_redis, agent)) == dispatch.MAX_AGENT_RESENDS + 1


def test_a_task_its_current_start_holds_or_nobody_took_yet_is_waited_for(site_redis, agent):
    _started(site_redis, agent, "first")
    waiting = dispatch.dispatch(TASK, [], agent, ["h1"])
    running = dispatch.dispatch(TASK, [], agent, ["h2"])
    site_redis.set(accepted_key(running.result.id), "first", ex=60)
    said = []
    outcomes = dispatch.wait({"h1": waiting, "h2": running}, timeout=1, say=said.append)
    assert said == [] and waiting.resent == running.resent == 0
    assert [o.detail for o in outcomes.values()] == [f"no answer from agent {agent!r} within 1 s"] * 2
