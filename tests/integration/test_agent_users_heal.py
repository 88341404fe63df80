"""An agent logs in again by itself after Redis restarted and forgot its Redis user: the site worker
makes the user again (agent_credentials.restore_users), with nobody running `lab agent sync`.

On a redis-server of the test's own (never the machine's, whose ACLs others use), persisting as
`bin/services` starts Redis, with the site worker and a lab agent that joined as under bin/start:
a Redis user of its own (`lab agent add` without --without-redis-user).
"""

from __future__ import annotations

import shlex
import time

import pytest

from tests import live
from tests.live import PYTHON, start_stack, stop_stack
from tests.redis_server import RedisServer

pytestmark = pytest.mark.integration

# the site worker's check every 5 s (deploy.RECOVER_EVERY), then the agent's own retries (Celery
# waits up to 2 s more per failed attempt, at most 10 s in this span)
BOUND = 60


@pytest.fixture
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.remove()


def _serving(client, name: str) -> bool:
    """The agent beats and waits for tasks on its queue, logged in as its own Redis user."""
    mine = [c for c in client.client_list() if c.get("user") == f"mvlab-agent-{name}"]
    return bool(client.exists(f"mvlab:agent:{name}")) and any(c.get("cmd") == "brpop" for c in mine)


def _wait(what: str, ready, bound: float, stack) -> float:
    began = time.monotonic()
    while not ready():
        if time.monotonic() - began > bound:
            raise AssertionError(f"{what}: not within {bound} s\n{stack.logs()}")
        time.sleep(0.2)
    return time.monotonic() - began


def test_the_lab_agent_serves_again_by_itself_after_redis_restarted(redis_server):
    stack = start_stack(redis_socket=redis_server.socket)
    try:
        name, env_file = stack.lab_agent, stack.workdir / "lab-agent.env"
        stack.manage("lab", "agent", "add", name, "--env-file", str(env_file))
        joined = dict(shlex.split(line)[0].split("=", 1) for line in env_file.read_text().splitlines())
        live._start(
            stack,
            f"agent-{name}",
            [PYTHON, "-m", "agent", "--name", name, "--sandbox"],
            {**stack.env, **joined},
        )
        client = redis_server.client()
        live._wait_for("the lab agent serving", lambda: _serving(client, name), stack)

        redis_server.restart(down_for=0.5)
        assert f"mvlab-agent-{name}" not in client.execute_command("ACL", "USERS")  # forgotten
        client.delete(f"mvlab:agent:{name}")  # from now on, a beat is one sent after the restart
        took = _wait("the lab agent serving again", lambda: _serving(client, name), BOUND, stack)
        print(f"the lab agent served again {took:.1f} s after Redis restarted")
        assert "made again" in stack.processes["worker"].log.read_text(errors="replace")
    finally:
        stop_stack(stack)
