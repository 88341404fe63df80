"""What `lab grant` and `lab revoke` share: AGENT and one --user or --group, then the change.

The agent must be known (it has sent a heartbeat at least once): start it first, then grant it.
Both print who the agent is granted to afterwards. Unknown names are misuse (exit status 2).
"""

from __future__ import annotations

import argparse
from typing import TextIO

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from designer import agents
from designer.cli.common import EXIT_OK, Misuse
from designer.models import Agent


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("agent", help="the agent's name (as `lab agents` lists it)")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", help="a user name")
    who.add_argument("--group", help="a group name (every member)")


def _agent(name: str) -> Agent:
    agents.refresh()
    found = Agent.objects.filter(pk=name).first()
    if found is None:
        raise Misuse(f"agent {name!r} is unknown (it never sent a heartbeat); start it, then grant it")
    return found


def _holder(model, field: str, value: str):
    found = model.objects.filter(**{field: value}).first()
    if found is None:
        raise Misuse(f"no {model._meta.verbose_name} {value!r}")
    return found


def change(args: argparse.Namespace, stdout: TextIO, *, granted: bool) -> int:
    agent = _agent(args.agent)
    if args.user is not None:
        related, holder = agent.users, _holder(get_user_model(), "username", args.user)
    else:
        related, holder = agent.groups, _holder(Group, "name", args.group)
    (related.add if granted else related.remove)(holder)
    users = ", ".join(agent.users.order_by("username").values_list("username", flat=True)) or "-"
    groups = ", ".join(agent.groups.order_by("name").values_list("name", flat=True)) or "-"
    stdout.write(f"agent {agent.name}: users {users}; groups {groups}\n")
    if agent.sandbox:
        stdout.write(f"(agent {agent.name} runs lab sandboxes: everyone may use it, grant or not)\n")
    return EXIT_OK
