"""What every `lab` verb that takes a design FILE does first: read, load, validate, report.

Issues go to stderr, one per line, all of them (warnings too); a design with an error
gives exit status 1. A FILE that cannot be read is misuse (`Misuse`, exit status 2),
reported by the `lab` command itself.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from designer.topology.ipam import Allocation, allocate
from designer.topology.issues import DesignError, Issue
from designer.topology.model import Design
from designer.topology.validate import validate
from designer.topology.yamlio import LoadedDesign, load_design

EXIT_OK, EXIT_DESIGN_ERROR, EXIT_MISUSE = 0, 1, 2


class Misuse(Exception):
    """The command was called wrongly (a FILE that cannot be read); exit status 2."""


@dataclass(frozen=True)
class Allocated:
    design: Design
    allocation: Allocation
    lines: dict[str, int]


def read_text(path: str) -> str:
    """The text of FILE (`-` is stdin)."""
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise Misuse(f"cannot read {path}: {getattr(err, 'strerror', None) or err}") from None


def print_issues(issues: list[Issue], filename: str, stderr: TextIO) -> None:
    for issue in issues:
        stderr.write(issue.format(filename) + "\n")


def load_checked(path: str, stderr: TextIO, text: str | None = None) -> tuple[LoadedDesign | None, int]:
    """(the loaded design, exit status): the design is None when it could not be loaded.
    `text`: FILE's text when the caller has read it already."""
    filename = "<stdin>" if path == "-" else path
    try:
        loaded = load_design(read_text(path) if text is None else text)
    except DesignError as err:
        print_issues(err.issues, filename, stderr)
        return None, EXIT_DESIGN_ERROR
    issues = validate(loaded.design, loaded.lines)
    print_issues(issues, filename, stderr)
    return loaded, EXIT_DESIGN_ERROR if any(issue.is_error for issue in issues) else EXIT_OK


def load_allocated(path: str, stderr: TextIO, text: str | None = None) -> Allocated | None:
    """A valid design with its addresses allocated, or None (the issues are on stderr)."""
    loaded, code = load_checked(path, stderr, text)
    if loaded is None or code != EXIT_OK:
        return None
    return Allocated(loaded.design, allocate(loaded.design, loaded.lines), loaded.lines)
