"""`python -m agent` refuses bad names, NICs and a missing secret before it starts anything."""

import ipaddress
import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest

from agent.__main__ import parse_args

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv("MVLAB_AGENT_SECRET", "0" * 64)


def agent_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "agent", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "MVLAB_AGENT_SECRET": "0" * 64, **env},
    )


def test_an_agent_without_its_secret_refuses_to_start_and_says_how_to_get_one():
    started = agent_cli("--name", "h1", MVLAB_AGENT_SECRET="")
    assert started.returncode == 2
    assert "$MVLAB_AGENT_SECRET is not set" in started.stderr and "lab agent add h1" in started.stderr


def test_a_bad_name_or_nic_is_misuse_with_the_reason():
    bad_name = agent_cli("--name", "Host One")
    assert bad_name.returncode == 2 and "'Host One' is not a usable name" in bad_name.stderr
    bad_nic = agent_cli("--name", "h1", MVLAB_ALLOWED_NICS="eth1,eth 2")
    assert bad_nic.returncode == 2 and "--allowed-nics: 'eth 2'" in bad_nic.stderr


def test_allowed_nics_come_from_the_option_or_the_environment(monkeypatch):
    assert parse_args(["--name", "h1"]).allowed_nics == frozenset()
    monkeypatch.setenv("MVLAB_ALLOWED_NICS", "eth1, enp0s8")
    assert parse_args(["--name", "h1"]).allowed_nics == {"eth1", "enp0s8"}
    assert parse_args(["--name", "h1", "--allowed-nics", "eth2"]).allowed_nics == {"eth2"}


def test_allowed_routes_are_prefixes_and_a_bad_one_is_misuse():
    assert parse_args(["--name", "h1"]).allowed_routes == ()
    assert parse_args(["--name", "h1", "--allowed-routes", "10.0.0.0/8, fd00::/8"]).allowed_routes == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("fd00::/8"),
    )
    bad = agent_cli("--name", "h1", "--allowed-routes", "10.0.0.1/8")
    assert bad.returncode == 2 and "--allowed-routes: 10.0.0.1/8 has host bits set" in bad.stderr


def test_the_broker_address_is_protected_unless_it_is_a_socket_or_loopback(monkeypatch):
    from agent import worker

    monkeypatch.setenv("MVLAB_BROKER_URL", "redis://:secret@192.0.2.7:6379/0")
    assert worker.broker_addresses() == {"192.0.2.7"}
    monkeypatch.setenv("MVLAB_BROKER_URL", "redis://127.0.0.1:6379/0")
    assert worker.broker_addresses() == set()
    monkeypatch.setenv("MVLAB_BROKER_URL", "redis+socket:///run/redis.sock")
    assert worker.broker_addresses() == set()


def test_an_agent_given_another_redis_for_results_or_events_refuses_to_start():
    for name in ("MVLAB_REDIS_URL", "MVLAB_RESULT_BACKEND"):
        started = agent_cli("--name", "h1", **{name: "redis://127.0.0.1:6379/0"})
        assert started.returncode == 1
        assert f"${name} is set, but the agent's broker, results, events" in started.stderr
        assert "use $MVLAB_BROKER_URL" in started.stderr


def test_a_lab_agent_started_by_root_runs_its_sandboxes_as_nobody_or_as_the_user_given():
    nobody, daemon = pwd.getpwnam("nobody").pw_uid, pwd.getpwnam("daemon").pw_uid
    assert os.geteuid() == 0  # as the test suite runs
    assert parse_args(["--name", "lab", "--sandbox"]).sandbox_uid == nobody
    assert parse_args(["--name", "lab", "--sandbox", "--as-user", "daemon"]).sandbox_uid == daemon
    assert parse_args(["--name", "h1"]).sandbox_uid is None  # a host agent has no sandboxes
    unknown = agent_cli("--name", "lab", "--sandbox", "--as-user", "no-such-user")
    assert unknown.returncode == 2 and "no user 'no-such-user' on this machine" in unknown.stderr
