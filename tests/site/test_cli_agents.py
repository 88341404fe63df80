"""`lab agents`: the agents' heartbeats (real Redis) as a table or JSON; `lab agent add|remove`:
an agent's credential (its Redis user is tested on a Redis of its own: tests/agent/test_trust.py)."""

import argparse
import io
import json
import uuid

import pytest
from django.core.management import call_command

from designer.cli import agents as agents_verb

pytestmark = pytest.mark.django_db


def _run(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    agents_verb.add_arguments(parser)
    out, err = io.StringIO(), io.StringIO()
    code = agents_verb.run(parser.parse_args(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_table_shows_alive_and_dead_agents_with_capabilities(heartbeat, site_redis):
    alive, dead = heartbeat(sandbox=True), heartbeat()
    _run()
    site_redis.delete(f"mvlab:agent:{dead}")
    code, out, _ = _run()
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert code == 0
    assert rows[alive][1:3] == ["alive", "sandbox"] and "macvlan,bridge,veth" in rows[alive][-1]
    assert rows[dead][1] == "dead"


def test_json_lists_every_agent(heartbeat):
    name = heartbeat()
    code, out, _ = _run("--json")
    listed = {a["name"]: a for a in json.loads(out)}
    assert code == 0 and listed[name]["alive"] is True and listed[name]["facts"]["kernel"] == "6.1.0"


def test_lab_agents_through_manage_py(heartbeat):
    name = heartbeat(sandbox=True)
    out = io.StringIO()
    call_command("lab", "agents", "--json", stdout=out)
    assert {a["name"]: a["alive"] for a in json.loads(out.getvalue())}[name] is True


BROKER = "redis://site.example:6379/0"


def _lab_agent(*argv: str) -> str:
    out = io.StringIO()
    call_command("lab", "agent", *argv, stdout=out)
    return out.getvalue()


def _env(printed: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in printed.splitlines() if line.startswith("MVLAB_"))


def test_lab_agent_add_prints_the_join_environment_and_the_same_again_until_rotated(site_redis):
    from designer.agent_credentials import CREDENTIALS_KEY, has_credential

    name = f"vega-{uuid.uuid4().hex[:6]}"
    try:
        first = _lab_agent("add", name, "--without-redis-user", "--broker", BROKER)
        assert f"agent {name} may join" in first and f"python -m agent --name {name}" in first
        env = _env(first)
        assert len(env["MVLAB_AGENT_SECRET"]) == 64 and env["MVLAB_BROKER_URL"] == BROKER
        again = _env(_lab_agent("add", name, "--without-redis-user", "--broker", BROKER))
        assert again == env
        rotated = _env(_lab_agent("add", name, "--without-redis-user", "--rotate"))
        assert rotated["MVLAB_AGENT_SECRET"] != env["MVLAB_AGENT_SECRET"]
        assert "secret and Redis user removed" in _lab_agent("remove", name)
        assert not has_credential(name)
        assert "had no credential" in _lab_agent("remove", name)
    finally:
        site_redis.hdel(CREDENTIALS_KEY, name)


def test_lab_agent_add_writes_the_environment_to_a_file_only_its_owner_reads(site_redis, tmp_path):
    from designer.agent_credentials import CREDENTIALS_KEY

    name = f"rigel-{uuid.uuid4().hex[:6]}"
    path = tmp_path / "agent.env"
    try:
        assert _lab_agent("add", name, "--without-redis-user", "--env-file", str(path)) == (
            f"agent {name}: its environment is in {path}\n"
        )
        assert path.stat().st_mode & 0o777 == 0o600
        assert set(_env(path.read_text())) == {"MVLAB_AGENT_SECRET", "MVLAB_BROKER_URL"}
    finally:
        site_redis.hdel(CREDENTIALS_KEY, name)
