"""`lab import FILE [--host HOST] [--name NAME]`: a Docker Compose file's macvlan networks and the
services on them, as a design (YAML on stdout) to validate, predict or deploy."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from designer.cli.common import EXIT_DESIGN_ERROR, print_issues, read_text
from designer.topology.compose_import import design_from_compose
from designer.topology.issues import DesignError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the Compose file (docker-compose.yml), or - for stdin")
    parser.add_argument("--host", default="host1", help="the name of the machine Compose runs on")
    parser.add_argument("--name", help="the design's name (default: the file's name:, else its file name)")


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    text = read_text(args.file)
    fallback = None if args.file == "-" else Path(args.file).stem
    try:
        stdout.write(design_from_compose(text, host=args.host, name=args.name, fallback_name=fallback))
    except DesignError as err:
        print_issues(err.issues, "<stdin>" if args.file == "-" else args.file, stderr)
        return EXIT_DESIGN_ERROR
    return 0
