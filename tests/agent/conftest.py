"""Fixtures of the agent tests that run real agent processes in emulated machines."""

import pytest

from tests.agent.machines import redis_on_socket


@pytest.fixture
def private_redis(tmp_path):
    """(socket, client) of a Redis of this test's own, reachable from every emulated machine."""
    with redis_on_socket(tmp_path) as made:
        yield made
