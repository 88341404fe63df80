"""What every `lab` verb that takes a design FILE does first: read, load, validate, report.

Issues go to stderr, one per line, all of them (warnings too); a design with an error
gives exit status 1. A FILE that cannot be read is misuse (`Misuse`, exit status 2),
reported by the `lab` command itself.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from designer.topology import pipeline
from designer.topology.issues import DesignError, Issue

EXIT_OK, EXIT_DESIGN_ERROR, EXIT_MISUSE = 0, 1, 2


class Misuse(Exception):
    """The command was called wrongly (a FILE that cannot be read); exit status 2."""


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


def load_checked(path: str, stderr: TextIO, text: str | None = None) -> tuple[pipeline.Compiled | None, int]:
    """(the design's pipeline, exit status): None when the design could not be loaded.
    `text`: FILE's text when the caller has read it already."""
    filename = "<stdin>" if path == "-" else path
    compiled = pipeline.compile(read_text(path) if text is None else text)
    try:
        issues = compiled.issues
    except DesignError as err:
        print_issues(err.issues, filename, stderr)
        return None, EXIT_DESIGN_ERROR
    print_issues(issues, filename, stderr)
    return compiled, EXIT_DESIGN_ERROR if any(issue.is_error for issue in issues) else EXIT_OK


def load_allocated(path: str, stderr: TextIO, text: str | None = None) -> pipeline.Compiled | None:
    """A valid design's pipeline (its allocation, namespaces, matrix and plans made on first use),
    or None (the issues are on stderr)."""
    compiled, code = load_checked(path, stderr, text)
    return compiled if code == EXIT_OK else None
