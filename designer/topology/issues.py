"""What is wrong with a design, said the same way everywhere (command line, HTTP API, editor).

An `Issue` names the place in the file (`networks.mac10.gateway`, and the line when the
design came from YAML), says what is wrong in plain words and what to do about it.
`DesignError` carries every issue of a design that cannot be used, never just the first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Issue:
    severity: Severity
    path: str
    message: str
    hint: str = ""
    line: int | None = None
    code: str = ""  # the rule that found it (`duplicate-address`); stable, for tests and grouping

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_dict(self) -> dict:
        """The documented API shape (docs/api.md): severity, path, line, message, hint."""
        return {
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "hint": self.hint,
        }

    def format(self, filename: str = "design.yaml") -> str:
        """One line: `design.yaml:12: networks.mac10.gateway: ... — hint: ...` (warnings say so)."""
        where = f"{filename}:{self.line}" if self.line is not None else filename
        kind = "warning: " if self.severity == "warning" else ""
        path = f"{self.path}: " if self.path else ""
        hint = f" — hint: {self.hint}" if self.hint else ""
        return f"{where}: {kind}{path}{self.message}{hint}"

    def with_line(self, lines: Mapping[str, int] | None) -> Issue:
        """This issue with the line of its path (or of the nearest enclosing path) filled in."""
        if self.line is not None or not lines:
            return self
        line = line_of(lines, self.path)
        return (
            self
            if line is None
            else Issue(self.severity, self.path, self.message, self.hint, line, self.code)
        )


def line_of(lines: Mapping[str, int], path: str) -> int | None:
    """The line of `path`, else of the closest enclosing path that has one."""
    while True:
        if path in lines:
            return lines[path]
        if not path:
            return None
        path = path.rpartition(".")[0]


def errors_in(issues: Iterable[Issue]) -> list[Issue]:
    return [issue for issue in issues if issue.is_error]


class DesignError(Exception):
    """A design that cannot be used; `.issues` holds all of its issues, errors and warnings."""

    def __init__(self, issues: Iterable[Issue]):
        self.issues = list(issues)
        super().__init__("\n".join(issue.format() for issue in self.issues))
