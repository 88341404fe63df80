"""`lab down NAME`: remove a deployment made by `lab up`; NAME is its design's name or its id.

Asks every live agent that sent events for the deployment to tear its part down, then
removes what is left of the deployment in this machine's /run/netns (every `mvl-<id>-`
namespace of a `lab up --sandbox --privileged` sandbox, and with them every link in them).
A rootless sandbox (`lab up --sandbox`, and a lab agent's) is never there: it went with the
process that held it. Says what it removed; exit status 0, also when there
was nothing to remove.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from agent import local
from contract.plan import DEPLOYMENT_RE
from designer.cli.common import EXIT_OK
from designer.cli.deployments import deployment_id, teardown_through_agents


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="the design's name, or the deployment id `lab up` printed")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the agents")


def candidates(name: str) -> list[str]:
    """The deployment ids NAME may mean: its own (if it is one) and that of a design so named."""
    ids = [deployment_id(name)]
    if DEPLOYMENT_RE.match(name):
        ids.append(name)
    return ids


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    removed_any = False
    for deployment in candidates(args.name):
        answers = teardown_through_agents(deployment, args.timeout, lambda line: stderr.write(line + "\n"))
        for host, (ok, detail) in answers.items():
            stdout.write(f"agent {host}: {detail if ok else 'teardown FAILED: ' + detail}\n")
            removed_any = True
        removed = local.remove_sandbox(deployment)  # here: a sandbox, or a local agent's leftovers
        for namespace in removed:
            stdout.write(f"removed namespace {namespace}\n")
        removed_any = removed_any or bool(removed)
        if removed:
            stdout.write(f"deployment {deployment}: sandbox removed\n")
    if not removed_any:
        stdout.write(f"nothing to remove: no deployment {' or '.join(candidates(args.name))} here\n")
    return EXIT_OK
