"""Plain data (from YAML or JSON) to a `Design`, with every shape error as an `Issue`.

pydantic finds the errors; this module says them the way a person editing the file
needs them: the path, the line, a plain message, and what to do (a did-you-mean for
a mistyped key, the list of keys that are allowed there).
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from designer.topology.issues import DesignError, Issue
from designer.topology.model import Design

TYPE_WORDS = {
    "str": "text",
    "int": "a number",
    "float": "a number",
    "bool": "true or false",
    "NoneType": "nothing",
    "list": "a list",
    "dict": "a mapping",
}


def parse_design(data: Any, lines: Mapping[str, int] | None = None) -> Design:
    """A `Design` from plain data, or `DesignError` with one issue per shape error."""
    try:
        return Design.model_validate(data)
    except ValidationError as err:
        issues = [issue_from_error(error).with_line(lines) for error in err.errors()]
        raise DesignError(issues) from None


def path_of(loc: tuple) -> str:
    """`hosts.host1.nics.0`; a bad key of a mapping is named by its own path (pydantic adds `[key]`)."""
    return ".".join(str(part) for part in loc if part != "[key]")


def issue_from_error(error: Mapping[str, Any]) -> Issue:
    """One pydantic error as an Issue (message and hint in plain words)."""
    loc = tuple(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    key = str(loc[-1]) if loc else ""
    if kind == "extra_forbidden":
        message, hint = f"unknown key {key!r}", _key_hint(key, allowed_keys(loc[:-1]))
    elif kind == "missing":
        message, hint = f"{key!r} is required here", f"add {key}: to this element"
    elif kind == "invalid_value":
        message, hint = ctx["reason"], ctx["hint"]
    elif kind == "literal_error":
        message, hint = f"{_show(value)} is not allowed here", f"use {ctx['expected']}"
    elif kind in ("dict_type", "model_type", "model_attributes_type"):
        message, hint = f"expected a mapping (key: value), got {_kind(value)}", "write key: value pairs"
    elif kind == "list_type":
        message, hint = f"expected a list, got {_kind(value)}", "write a list like [a, b]"
    elif kind == "string_type":
        message, hint = f"expected text, got {_kind(value)} {_show(value)}", "put the value in quotes"
    elif kind.startswith(("int_", "float_")):
        message, hint = (
            f"expected a number, got {_kind(value)} {_show(value)}",
            "write a whole number, like 100",
        )
    elif kind.startswith("bool_"):
        message, hint = f"expected true or false, got {_show(value)}", "write true or false"
    elif kind == "too_short":
        count = ctx.get("min_length", 1)
        message, hint = (
            f"needs at least {count} entr{'y' if count == 1 else 'ies'}",
            "add the missing entries",
        )
    elif kind in ("greater_than_equal", "less_than_equal"):
        message, hint = f"{_show(value)} is out of range", "use a VLAN ID from 1 to 4094"
    else:
        message, hint = error["msg"], ""
    return Issue("error", path_of(loc), message, hint, code=f"shape-{kind}")


def allowed_keys(loc: tuple) -> list[str]:
    """The keys the model at `loc` (a path into a Design) accepts, as written in the file."""
    annotation: Any = Design
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = next(f for name, f in annotation.model_fields.items() if part in (name, f.alias))
            annotation = field.annotation
        else:  # dict[K, V] keyed by `part`, or list[V] indexed by it
            annotation = typing.get_args(annotation)[-1]
    model = _unwrap(annotation)
    return [field.alias or name for name, field in model.model_fields.items()]


def _unwrap(annotation: Any) -> Any:
    """The type inside `X | None` and `Annotated[X, ...]`."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(arg for arg in typing.get_args(annotation) if arg is not type(None))
        else:
            return annotation


def _key_hint(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    valid = "valid keys: " + ", ".join(allowed)
    return f"did you mean {close[0]!r}? {valid}" if close else valid


def _kind(value: Any) -> str:
    return TYPE_WORDS.get(type(value).__name__, type(value).__name__)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
