"""`lab export FILE --to yaml|sh|docker`: the design as canonical YAML, `ip` commands or `docker` commands."""

from __future__ import annotations

import argparse
from typing import TextIO

from designer.cli.common import load_allocated
from designer.topology.exports import to_docker, to_shell
from designer.topology.yamlio import dump_design

FORMATS = ("yaml", "sh", "docker")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the design file (YAML), or - for stdin")
    parser.add_argument("--to", choices=FORMATS, required=True, help="what to write on standard output")


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    loaded = load_allocated(args.file, stderr)
    if loaded is None:
        return 1
    if args.to == "yaml":
        stdout.write(dump_design(loaded.design))
    elif args.to == "sh":
        stdout.write(to_shell(loaded.design, loaded.allocation))
    else:
        stdout.write(to_docker(loaded.design, loaded.allocation))
    return 0
