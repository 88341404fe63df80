"""`lab agents`: the agents' heartbeats (real Redis) as a table or JSON."""

import argparse
import io
import json

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
