"""`lab export FILE --to yaml|sh|docker|compose [--host HOST]`: the design as YAML (the file as
written, comments kept), `ip` commands, `docker` commands, or one host's Compose file (refused, on
stderr and with exit status 2, for a host that runs no container or router, naming what to run there)."""

from __future__ import annotations

import argparse
from typing import TextIO

from designer.cli.common import load_allocated, read_text
from designer.topology import docker
from designer.topology.compose import NoComposeFile, hosts_to_choose, to_compose
from designer.topology.exports import to_docker, to_shell

FORMATS = ("yaml", "sh", "docker", "compose")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the design file (YAML), or - for stdin")
    parser.add_argument("--to", choices=FORMATS, required=True, help="what to write on standard output")
    parser.add_argument("--host", help="the host whose Compose file to write (--to compose)")


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    text = read_text(args.file)
    compiled = load_allocated(args.file, stderr, text)
    if compiled is None:
        return 1
    design, allocation = compiled.design, compiled.allocation
    if args.to == "compose":  # a host without a Compose file is refused before any note
        hosts = list(design.hosts)
        if args.host is None and len(hosts) > 1:
            stderr.write(f"lab export: --to compose needs --host: {hosts_to_choose(design, allocation)}\n")
            return 2
        try:
            out = to_compose(design, allocation, args.host or hosts[0])
        except NoComposeFile as err:
            stderr.write(f"lab export: {err}\n")
            return 2
    elif args.to == "yaml":
        out = text
    elif args.to == "sh":
        out = to_shell(design, allocation)
    else:
        out = to_docker(design, allocation)
    if args.to in ("docker", "compose"):  # said before the file is used, not only inside it
        for note in docker.notes(design, compiled.namespaces, compose=args.to == "compose"):
            stderr.write(f"lab export: note: {note}\n")
    stdout.write(out)
    return 0
