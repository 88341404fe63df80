"""A design saved from the editor (JSON) written over the previous version's YAML, so the comments
the user wrote stay where they were: ruamel's round-trip tree of the old text is updated in place,
key by key, and only what changed is rewritten (in the canonical style).

The result is used only when it reads back as exactly the design that was sent; otherwise the
canonical YAML is stored, as before.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from designer.topology.issues import DesignError
from designer.topology.model import Design
from designer.topology.yamlio import _styled, load_design


def with_comments(old_text: str, new: Design) -> str | None:
    """`new` written over `old_text` keeping its comments; None when it has none or this cannot be done."""
    if "#" not in old_text:
        return None
    data = new.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    # First keep what the old text says that `new` leaves out (defaults written out, such as
    # `routers: {}` or `mode: bridge`); if that changes the design, something was deleted: drop
    # what `new` lacks among elements (`containers.d2`), then among their details, then anywhere.
    for drop_depths in (set(), {1}, {1, 2}, set(range(64))):
        text = _merged(old_text, data, drop_depths)
        if text is not None and _reads_as(text, new):
            return text
    return None


def _merged(old_text: str, data: dict, drop_depths: set[int]) -> str | None:
    yaml = YAML(typ="rt", pure=True)
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    try:
        tree = yaml.load(old_text)
    except YAMLError:
        return None
    if not isinstance(tree, CommentedMap):
        return None
    _merge(tree, data, 0, drop_depths)
    out = io.StringIO()
    yaml.dump(tree, out)
    return out.getvalue()


def _merge(tree: CommentedMap, data: dict, depth: int, drop_depths: set[int]) -> None:
    if depth in drop_depths:
        for key in [k for k in tree if k not in data]:
            del tree[key]
    for key, value in data.items():
        old = tree.get(key)
        if isinstance(value, dict) and isinstance(old, CommentedMap):
            _merge(old, value, depth + 1, drop_depths)
        elif not _same(old, value):
            tree[key] = _styled(value, depth + 1)


def _same(old: Any, new: Any) -> bool:
    if isinstance(new, (dict, list)) or isinstance(old, (dict, list)):
        return old == new
    return (type(old) is type(new) and old == new) or (isinstance(old, str) and old == new)


def _reads_as(text: str, design: Design) -> bool:
    try:
        return load_design(text).design == design
    except DesignError:
        return False
