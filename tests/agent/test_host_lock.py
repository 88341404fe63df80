"""The agent's host lock against a real Redis of the test's own, stopped and restarted under it: a
live holder keeps the host however long its deploy takes and through a Redis restart; a holder
killed with SIGKILL frees it within the TTL; a lock really lost stops a machine apply, fails a lab
agent's task at its end, and releasing never raises over a good result."""

import multiprocessing
import os
import signal
import subprocess
import time
import uuid

import pytest
import redis

from agent import worker
from agent.host_lock import LockLost, hold_host
from contract.agents import LOCK_PREFIX

TTL = 1.5  # renewed every 0.5 s, retried every 0.15 s while Redis does not answer


class OwnRedis:
    """A redis-server without persistence on a unix socket of the test, to stop and start again."""

    def __init__(self, directory):
        self.sock = directory / "redis.sock"
        self.server = None
        self.start()

    def client(self) -> redis.Redis:
        return redis.Redis(unix_socket_path=str(self.sock))

    def start(self) -> None:
        self.server = subprocess.Popen(
            [
                "redis-server",
                "--port",
                "0",
                "--unixsocket",
                str(self.sock),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client().ping()
                return
            except (redis.ConnectionError, FileNotFoundError):
                assert time.monotonic() < deadline, "redis-server did not start (apt package redis-server)"
                time.sleep(0.02)

    def stop(self) -> None:
        self.server.kill()
        self.server.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path):
    server = OwnRedis(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def name():
    return f"locktest-{uuid.uuid4().hex[:8]}"


def test_a_live_holder_keeps_the_host_past_the_ttl_and_others_are_refused(own_redis, name):
    client = own_redis.client()
    with hold_host(name, client, ttl=TTL) as held:
        time.sleep(3 * TTL)  # a long deploy
        assert client.exists(LOCK_PREFIX + name), "the lock expired while its holder was still deploying"
        with pytest.raises(RuntimeError, match="busy with another deploy"):
            with hold_host(name, own_redis.client(), ttl=TTL, wait=0.2):
                pass
    assert held.renewals_failed == 0
    assert not client.exists(LOCK_PREFIX + name), "the lock outlived its holder"


def _hold_forever(sock: str, name: str):
    with hold_host(name, redis.Redis(unix_socket_path=sock), ttl=TTL):
        time.sleep(600)


def test_a_killed_holder_frees_the_host_within_the_ttl(own_redis, name):
    holder = multiprocessing.get_context("fork").Process(
        target=_hold_forever, args=(str(own_redis.sock), name)
    )
    holder.start()
    client = own_redis.client()
    deadline = time.monotonic() + 10
    while not client.exists(LOCK_PREFIX + name):
        assert time.monotonic() < deadline, "the child never took the lock"
        time.sleep(0.05)
    os.kill(holder.pid, signal.SIGKILL)
    holder.join()
    time.sleep(TTL + 0.5)
    assert not client.exists(LOCK_PREFIX + name), "a killed agent still holds its host"
    with hold_host(name, client, ttl=TTL, wait=0.2):
        assert client.exists(LOCK_PREFIX + name)


def test_renewal_survives_a_redis_restart_and_the_holder_keeps_the_host(own_redis, name):
    """Redis down for longer than one renewal, then back empty (no persistence): the renewal failed
    for real, was retried, and took the forgotten lock back; nobody else got the host meanwhile."""
    client = own_redis.client()
    with hold_host(name, client, ttl=TTL) as held:
        own_redis.stop()
        time.sleep(TTL / 2)  # past one renewal (every TTL/3), well within the TTL
        own_redis.start()
        time.sleep(TTL / 2)
        assert held.renewals_failed >= 1, "the renewal never failed: the test injected no fault"
        token = client.get(LOCK_PREFIX + name)
        assert token == held.lock.local.token, "the holder lost the host to a restart"
        with pytest.raises(RuntimeError, match="busy with another deploy"):
            with hold_host(name, own_redis.client(), ttl=TTL, wait=0.2):
                pass
        result = "applied"
    assert held.lost is None
    assert result == "applied"
    assert not client.exists(LOCK_PREFIX + name)


def test_a_lock_lost_with_redis_stops_a_machine_apply(own_redis, name):
    """Redis gone for longer than the TTL: the lock expired, so the holder (a machine apply) is
    interrupted instead of changing the host unprotected."""
    steps = 0
    lost = f"agent {name} lost its lock {LOCK_PREFIX}{name} .*did not answer for 1.5 s"
    with pytest.raises(LockLost, match=lost):
        with hold_host(name, own_redis.client(), ttl=TTL):
            own_redis.stop()
            for _ in range(100):  # 10 s of apply steps
                time.sleep(0.1)
    assert steps < 100, "the apply went on to its end without its lock"


def test_a_lock_taken_by_another_worker_fails_a_lab_task_at_its_end(own_redis, name):
    """A holder that cannot be interrupted (a lab agent's helper call) runs to its end, and then its
    task fails naming the loss; the other worker's lock is left alone."""
    client = own_redis.client()
    finished = False
    with pytest.raises(LockLost, match="another worker holds it now"):
        with hold_host(name, client, ttl=TTL, interrupt=False) as held:
            # what another worker does once the lock expired
            client.set(LOCK_PREFIX + name, b"another-worker", px=60_000)
            time.sleep(TTL)
            finished = True
    assert finished and held.lost
    assert client.get(LOCK_PREFIX + name) == b"another-worker"


def test_release_never_raises_over_a_good_result(own_redis, name):
    def deploy():
        with hold_host(name, own_redis.client(), ttl=30):
            own_redis.stop()  # Redis gone as the apply ends: the lock cannot be let go
            return "applied"

    assert deploy() == "applied"


def test_the_worker_interrupts_a_machine_apply_but_not_a_lab_sandbox(own_redis, name, monkeypatch):
    monkeypatch.setenv(worker.BROKER_ENV, f"redis+socket://{own_redis.sock}")
    for sandbox in (False, True):
        worker.configure(name, sandbox=sandbox, allowed_nics=frozenset())
        with worker.host_lock() as held:
            assert own_redis.client().get(LOCK_PREFIX + name) == held.lock.local.token
            assert held.interrupt is not sandbox
        assert not own_redis.client().exists(LOCK_PREFIX + name)
