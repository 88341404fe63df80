"""The agent's host lock, against the real Redis: a live holder keeps it however long its deploy
takes; a holder killed with SIGKILL frees the host within the lock's TTL."""

import multiprocessing
import os
import signal
import time
import uuid

import pytest
import redis

from agent import worker

REDIS_URL = "redis://127.0.0.1:6379/7"


@pytest.fixture
def agent(monkeypatch):
    monkeypatch.setenv(worker.REDIS_ENV, REDIS_URL)
    monkeypatch.setattr(worker, "LOCK_TTL", 1.5)
    monkeypatch.setattr(worker, "LOCK_WAIT", 0.2)
    name = f"locktest-{uuid.uuid4().hex[:8]}"
    worker.configure(name, sandbox=True, allowed_nics=frozenset())
    yield f"mvlab:lock:agent:{name}"
    redis.Redis.from_url(REDIS_URL).delete(f"mvlab:lock:agent:{name}")


def test_a_live_holder_keeps_the_host_past_the_ttl_and_others_are_refused(agent):
    client = redis.Redis.from_url(REDIS_URL)
    with worker.host_lock():
        time.sleep(3 * worker.LOCK_TTL)  # a long deploy
        assert client.exists(agent), "the lock expired while its holder was still deploying"
        with pytest.raises(RuntimeError, match="busy with another deploy"):
            with worker.host_lock():
                pass
    assert not client.exists(agent), "the lock outlived its holder"


def _hold_forever():
    with worker.host_lock():
        time.sleep(600)


def test_a_killed_holder_frees_the_host_within_the_ttl(agent):
    holder = multiprocessing.get_context("fork").Process(target=_hold_forever)
    holder.start()
    client = redis.Redis.from_url(REDIS_URL)
    deadline = time.monotonic() + 10
    while not client.exists(agent):
        assert time.monotonic() < deadline, "the child never took the lock"
        time.sleep(0.05)
    os.kill(holder.pid, signal.SIGKILL)
    holder.join()
    time.sleep(worker.LOCK_TTL + 0.5)
    assert not client.exists(agent), "a killed agent still holds its host"
    with worker.host_lock():
        assert client.exists(agent)
