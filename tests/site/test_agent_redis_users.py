"""Agents' Redis users on a redis-server of the test's own (never the machine's, whose ACLs other
people use): `lab agent add` makes one the agent logs in with, on the Redis this machine has (7.0,
which has no CLIENT SETINFO, as well as later ones); a restart of Redis forgets it, and
`restore_users` (which each site worker runs every few seconds) makes it again, but never one of an
agent removed meanwhile."""

import pytest
import redis

from designer import agent_credentials
from tests.redis_server import RedisServer


@pytest.fixture
def own_redis(settings):
    server = RedisServer()  # persisting: the credentials hash survives a restart, the ACL users do not
    server.start()
    settings.REDIS_URL = server.url
    yield server
    server.remove()


def logs_in(server: RedisServer, name: str) -> bool:
    url = agent_credentials.credential(name).env(server.url)["MVLAB_BROKER_URL"]
    try:
        return redis.Redis.from_url(url).ping()
    except redis.AuthenticationError:
        return False


def test_an_agent_logs_in_with_the_redis_user_add_made(own_redis):
    version = own_redis.client().info("server")["redis_version"]
    agent_credentials.add("vega")
    assert logs_in(own_redis, "vega"), f"on Redis {version}"
    assert own_redis.client().execute_command("ACL", "WHOAMI") == "default"


def test_users_a_restart_forgot_are_made_again_and_removed_ones_are_not(own_redis):
    for name in ("vega", "rigel", "deneb"):
        agent_credentials.add(name)
    agent_credentials.add("altair", with_redis_user=False)
    agent_credentials.remove("deneb")
    own_redis.restart()
    assert not logs_in(own_redis, "vega")

    assert agent_credentials.restore_users() == ["rigel", "vega"]
    assert logs_in(own_redis, "vega") and logs_in(own_redis, "rigel")
    users = own_redis.client().execute_command("ACL", "USERS")
    assert sorted(users) == ["default", "mvlab-agent-rigel", "mvlab-agent-vega"]
    assert agent_credentials.restore_users() == []  # nothing missing: nothing made
