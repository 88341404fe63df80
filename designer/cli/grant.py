"""`lab grant AGENT --user U | --group G`: let a user, or every member of a group, deploy to AGENT
and see it in GET /api/agents (designer.grants)."""

from __future__ import annotations

import argparse
from typing import TextIO

from designer.cli.granting import add_arguments, change

__all__ = ["add_arguments", "run"]


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    return change(args, stdout, granted=True)
