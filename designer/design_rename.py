"""A design's YAML with another name: only the top-level `name:` line changes, so comments and
layout stay as the user wrote them."""

from __future__ import annotations

import json
import re

from designer.topology.issues import DesignError, Issue

NAME_LINE = re.compile(r"^name:[ \t]*(?:\"[^\"\n]*\"|'[^'\n]*'|[^#\n]*?)(?P<rest>[ \t]+#.*)?$", re.M)
PLAIN = re.compile(r"^[a-z0-9_-]+$")


def renamed(text: str, name: str) -> str:
    """`text` with its `name:` set to `name` (quoted when it is not a plain name, so the design's
    own check says what is wrong with it); DesignError when the file has no top-level `name:` line."""
    found = NAME_LINE.search(text)
    if found is None:
        raise DesignError(
            [
                Issue(
                    "error",
                    "name",
                    "the design has no top-level name: line to change",
                    "open it, add name: on a line of its own, and save",
                )
            ]
        )
    value = name if PLAIN.match(name) else json.dumps(name)
    return text[: found.start()] + f"name: {value}{found.group('rest') or ''}" + text[found.end() :]
