"""`lab agents`: the agents the site knows, alive or not, and what their machines can do."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from designer import agents

CAPABILITIES = ("macvlan", "vlan_8021q", "bridge", "veth", "ipvlan")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON list instead of a table")


def _row(status: agents.AgentStatus) -> str:
    facts = status.facts or {}
    can = ",".join(c for c in CAPABILITIES if facts.get(c)) or "-"
    seen = status.last_seen.strftime("%Y-%m-%d %H:%M:%S") if status.last_seen else "never"
    kind = "sandbox" if status.sandbox else "host"
    return (
        f"{status.name:<20} {'alive' if status.alive else 'dead':<6} {kind:<8} {seen:<20} "
        f"{facts.get('kernel', '?'):<16} {can}"
    )


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    statuses = agents.refresh()
    if args.json:
        stdout.write(
            json.dumps(
                [
                    {
                        "name": s.name,
                        "alive": s.alive,
                        "sandbox": s.sandbox,
                        "last_seen": s.last_seen.isoformat() if s.last_seen else None,
                        "facts": s.facts,
                        "room": s.room.model_dump() if s.room else None,
                    }
                    for s in statuses
                ]
            )
            + "\n"
        )
        return 0
    if not statuses:
        stderr.write(
            "no agent has sent a heartbeat yet; let one join with `manage.py lab agent add NAME` "
            "and start it as that prints\n"
        )
        return 0
    stdout.write(f"{'NAME':<20} {'STATE':<6} {'KIND':<8} {'LAST SEEN (UTC)':<20} {'KERNEL':<16} CAN\n")
    for status in statuses:
        stdout.write(_row(status) + "\n")
    return 0
