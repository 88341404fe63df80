"""`lab predict FILE [--json]`: which pings of a design will succeed, before deploying it.

Without `--json`: a grid, one row per source endpoint, one column per address of the
other endpoints, each cell the predicted reply TTL (or `-` when the ping fails), with a
legend of the columns. With `--json`: the matrix in the shape of DESIGN.md, `observed`
left null.
"""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from designer.cli.common import load_allocated
from designer.topology.matrix import Matrix

SELF, FAILS = ".", "-"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the design file (YAML), or - for stdin")
    parser.add_argument("--json", action="store_true", help="print the matrix as one JSON object")


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    compiled = load_allocated(args.file, stderr)
    if compiled is None:
        return 1
    matrix = compiled.matrix
    if args.json:
        stdout.write(json.dumps(matrix.model_dump(mode="json")) + "\n")
    else:
        stdout.write(render_table(matrix, compiled.design.name))
    return 0


def render_table(matrix: Matrix, name: str) -> str:
    """The matrix as a text grid with a legend of its columns."""
    columns = [(e.name, address) for e in matrix.endpoints for address in e.addresses]
    ttl = {(p.src, p.dst_ip): p.expected_ttl for p in matrix.pairs}
    width = max([len(e.name) for e in matrix.endpoints] + [3])
    cell = max(len(f"[{len(columns)}]"), 3)
    lines = [
        f"Predicted reachability of {name}: the reply TTL of each ping, {FAILS} when it fails.",
        "",
        " " * width + "".join(f" {f'[{i}]':>{cell}}" for i in range(1, len(columns) + 1)),
    ]
    for src in matrix.endpoints:
        cells = []
        for dst, address in columns:
            value = SELF if dst == src.name else ttl.get((src.name, address))
            cells.append(f" {FAILS if value is None else value:>{cell}}")
        lines.append(f"{src.name:<{width}}" + "".join(cells))
    lines.append("")
    lines += [f"[{i}] {dst} {address}" for i, (dst, address) in enumerate(columns, 1)]
    expected = sum(p.expected for p in matrix.pairs)
    lines.append(f"{expected} of {len(matrix.pairs)} pairs are expected to answer.")
    return "\n".join(lines) + "\n"
