"""`lab validate FILE`: every issue of a design on stderr; `ok: ...` on stdout when it has no error."""

from __future__ import annotations

import argparse
from typing import TextIO

from designer.cli.common import EXIT_OK, load_checked


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the design file (YAML), or - for stdin")


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    loaded, code = load_checked(args.file, stderr)
    if code == EXIT_OK:
        design = loaded.design
        endpoints = len(design.containers) + len(design.routers)
        stdout.write(
            f"ok: {design.name}: {len(design.hosts)} hosts, {len(design.networks)} networks, "
            f"{endpoints} endpoints\n"
        )
    return code
