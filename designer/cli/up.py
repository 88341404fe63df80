"""`lab up FILE [--sandbox [--privileged]] [--json]`: deploy a design, wait, and print the observed matrix.

With `--sandbox` this process is the agent: it builds a lab sandbox that emulates every
host in namespaces on this machine, applies every host's plan and probes every pair. It
does so rootless, in a child inside user, mount and network namespaces of its own (as
nobody when run by root): the sandbox needs no privilege, never touches the machine, and
vanishes with the child when the run ends. `--privileged` (root) builds it the old way in
the machine's /run/netns, where it stays (and is reconciled by the next privileged `up`)
until `lab down NAME`. Without `--sandbox`, each host's plan goes to the agent named like the host
(queue `agent.<host>`). Either way the observed results are merged into the predicted
matrix: `--json` prints it in the shape of DESIGN.md, otherwise a table. The exit status
is 0 when every host was deployed and probed, even if some pairs differ from the
prediction (they are listed); 1 for a design error or a host that failed.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import TextIO

from agent import local
from contract.events import ProbeEvent
from designer.cli.common import EXIT_DESIGN_ERROR, EXIT_MISUSE, EXIT_OK, load_allocated
from designer.cli.deployments import deploy_through_agents, deployment_id, describe
from designer.topology.matrix import Matrix, Pair, merge_observed

DEFAULT_TIMEOUT = 300.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the design file (YAML), or - for stdin")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="emulate every host in namespaces on this machine, rootless (as nobody when run by root): "
        "the sandbox lives in namespaces of this run only and is gone when it ends; nothing is left "
        "for `lab down`",
    )
    parser.add_argument(
        "--privileged",
        action="store_true",
        help="with --sandbox, root only: build the sandbox in the machine's own /run/netns instead, "
        "where it stays (to inspect with `ip netns exec`, reconciled by the next --privileged up) "
        "until `lab down NAME`",
    )
    parser.add_argument("--json", action="store_true", help="print the observed matrix as one JSON object")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help="seconds to wait for the agents' applies, and again for their probes (without --sandbox)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if args.privileged and not (args.sandbox and os.geteuid() == 0):
        stderr.write("--privileged needs --sandbox and root\n")
        return EXIT_MISUSE
    compiled = load_allocated(args.file, stderr)
    if compiled is None:
        return EXIT_DESIGN_ERROR
    name = compiled.design.name
    deployment = deployment_id(name)
    (stderr if args.json else stdout).write(f"deployment {deployment} of design {name}\n")

    def progress(event) -> None:
        if not args.quiet and not isinstance(event, ProbeEvent):
            stderr.write(describe(event) + "\n")

    def say(line: str) -> None:  # what the dispatcher did on its own (a task sent again)
        stderr.write(line + "\n")

    plans = compiled.plans(deployment)
    if args.sandbox:
        try:
            outcomes, events = local.sandbox_up(compiled.fabric(deployment), plans, progress, args.privileged)
        except local.SandboxFailed as exc:
            stderr.write(f"the rootless sandbox failed: {exc}\n")
            return EXIT_DESIGN_ERROR
    else:
        outcomes, events = deploy_through_agents(plans, deployment, args.timeout, progress, say)

    matrix = merge_observed(compiled.matrix, [e for e in events if isinstance(e, ProbeEvent)])
    if args.json:
        stdout.write(json.dumps(matrix.model_dump(mode="json")) + "\n")
    else:
        stdout.write(render_table(matrix))
    differ = mismatches(matrix)
    for pair in differ:
        stderr.write(f"differs from the prediction: {describe_pair(pair)}\n")
    failed = sorted(host for host, (ok, _) in outcomes.items() if not ok)
    for host in failed:
        stderr.write(f"host {host} failed: {outcomes[host][1]}\n")
    return EXIT_DESIGN_ERROR if failed else EXIT_OK


def mismatches(matrix: Matrix) -> list[Pair]:
    return [p for p in matrix.pairs if p.observed is not None and p.observed != p.expected]


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def describe_pair(pair: Pair) -> str:
    return (
        f"{pair.src} -> {pair.dst} {pair.dst_ip}: expected {_yes_no(pair.expected)}, "
        f"observed {_yes_no(pair.observed)}"
    )


def render_table(matrix: Matrix) -> str:
    """One row per pair: expected, observed, RTT and TTL, and a mark where they differ."""
    rows = [("SRC", "DST", "ADDRESS", "EXPECTED", "OBSERVED", "RTT MS", "TTL", "")]
    for p in matrix.pairs:
        rows.append(
            (
                p.src,
                p.dst,
                p.dst_ip,
                _yes_no(p.expected),
                _yes_no(p.observed),
                "-" if p.rtt_ms is None else f"{p.rtt_ms:.3f}",
                "-" if p.ttl is None else str(p.ttl),
                "DIFFERS" if p.observed is not None and p.observed != p.expected else "",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    observed = [p for p in matrix.pairs if p.observed is not None]
    lines.append(
        f"{len(observed) - len(mismatches(matrix))} of {len(matrix.pairs)} pairs observed as predicted"
        + (f", {len(matrix.pairs) - len(observed)} not probed" if len(observed) < len(matrix.pairs) else "")
    )
    return "\n".join(lines) + "\n"
