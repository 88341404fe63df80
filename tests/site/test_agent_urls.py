"""The broker URLs `lab agent add` writes for an agent, with and without its Redis user."""

import pytest

from designer.agent_credentials import with_credentials, without_credentials


@pytest.mark.parametrize(
    ("url", "bare"),
    [
        ("redis://site:pw@127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("rediss://:p%40ss@[::1]:6380/2", "rediss://[::1]:6380/2"),
        ("redis+socket:///run/redis/redis.sock", "redis+socket:///run/redis/redis.sock"),
        ("redis+socket://site:pw@/run/redis/redis.sock", "redis+socket:///run/redis/redis.sock"),
        ("unix://u:pw@/tmp/r.sock?db=1", "unix:///tmp/r.sock?db=1"),
    ],
)
def test_without_credentials_keeps_everything_but_the_user_and_password(url, bare):
    assert without_credentials(url) == bare


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "redis+socket:///run/redis/redis.sock", "rediss://[::1]:6380/2"]
)
def test_an_agents_url_loses_its_user_again_as_it_was(url):
    joined = with_credentials(url, "mvlab-agent-vega", "s3cr:t/@")
    assert "mvlab-agent-vega:s3cr%3At%2F%40@" in joined
    assert without_credentials(joined) == url
