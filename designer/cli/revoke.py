"""`lab revoke AGENT --user U | --group G`: take back a grant of `lab grant`. Deployments already
on AGENT stay, and their owners may still tear them down (designer.grants)."""

from __future__ import annotations

import argparse
from typing import TextIO

from designer.cli.granting import add_arguments, change

__all__ = ["add_arguments", "run"]


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    return change(args, stdout, granted=False)
