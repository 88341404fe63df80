"""Design files: YAML text to a `Design` (with the line of every path), and back to canonical YAML.

Reading is safe for text from anyone: the YAML event stream is turned into plain data
here, so no tag can build an object; only the core scalar types exist. The file size,
the nesting depth and the number of values after alias expansion are bounded (a
"billion laughs" file is refused after a few hundred thousand values, not expanded).
Duplicate keys are refused with both lines. Every shape error of the file is reported at
once, each with its path and line.

Writing is canonical: keys in the order of DESIGN.md, defaults left out, sections and
elements in block style, the details of an element in flow style; so
load → dump → load gives the same design and dump → load → dump the same text.
Comments are not kept. `dump_data` writes a design sent as JSON as YAML, to be read like a file.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any, NoReturn

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
)
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from designer.topology.issues import DesignError, Issue, line_of
from designer.topology.model import Design
from designer.topology.shape import parse_design

MAX_BYTES = 1 << 20
MAX_DEPTH = 32
MAX_VALUES = 200_000  # counted after alias expansion

CORE = "tag:yaml.org,2002:"
SCALAR_TAGS = {CORE + kind for kind in ("str", "int", "float", "bool", "null")}
COLLECTION_TAGS = {CORE + "map", CORE + "seq"}
MERGE_KEY = "<<"


@dataclass(frozen=True)
class LoadedDesign:
    design: Design
    lines: dict[str, int] = field(default_factory=dict)  # path (`networks.mac10.gateway`) -> line

    def line_of(self, path: str) -> int | None:
        return line_of(self.lines, path)


def load_design(text: str) -> LoadedDesign:
    """Parse and shape-check a design file; `DesignError` lists every problem found."""
    data, lines, issues = read_yaml(text)
    try:
        design = parse_design(data, lines)
    except DesignError as err:
        issues += err.issues
    if issues:
        raise DesignError(sorted(issues, key=lambda issue: issue.line or 0))
    return LoadedDesign(design, lines)


def read_yaml(text: str) -> tuple[Any, dict[str, int], list[Issue]]:
    """Plain data from one YAML document, the line of each path, and non-fatal issues (duplicate keys).

    Problems that stop reading (syntax, size, depth, tags, aliases) raise `DesignError`.
    """
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        _stop(
            "yaml-too-large",
            f"the file is larger than {MAX_BYTES // 1024} KiB",
            "a design is far smaller; check that this is the right file",
        )
    reader = _Reader()
    try:
        for event in YAML(typ="safe", pure=True).parse(text):
            reader.feed(event)
    except YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err)
        context = getattr(err, "context", None)
        message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
        _stop(
            "yaml-syntax",
            message,
            "check indentation, ':' after keys, and matching quotes and brackets",
            mark.line + 1 if mark else None,
        )
    return reader.root, reader.lines, reader.issues


def _refuse_tag(tag: str, line: int) -> NoReturn:
    shown = "!!" + tag[len(CORE) :] if tag.startswith(CORE) else tag
    _stop(
        "yaml-tag",
        f"the tag {shown} is not allowed",
        "remove the tag: design files use plain YAML only",
        line,
    )


def _stop(code: str, message: str, hint: str, line: int | None = None) -> NoReturn:
    """Reading cannot go on: raise the one issue that says why."""
    raise DesignError([Issue("error", "", message, hint, line, code)])


@dataclass
class _Collection:
    path: str
    value: dict | list
    anchor: str | None
    first_value: int  # `_Reader.values` when this collection started: its size is the difference
    key: str | None = None  # mapping: the key whose value comes next
    skip_value: bool = False  # the pending key is a duplicate: read its value, keep the first one
    merging: bool = False  # the pending key is a plain `<<`: merge the mapping(s) that follow
    merges: list = field(default_factory=list)


class _Reader:
    """Builds plain data from YAML events, with an explicit stack (no recursion)."""

    def __init__(self) -> None:
        self.stack: list[_Collection] = []
        self.root: Any = None
        self.lines: dict[str, int] = {}
        self.issues: list[Issue] = []
        self.anchors: dict[str, tuple[Any, int]] = {}  # anchor -> (value, number of values it expands to)
        self.values = 0
        self.documents = 0
        self.yaml = YAML(typ="safe", pure=True)  # its resolver and scalar constructors

    def feed(self, event: Any) -> None:
        line = event.start_mark.line + 1
        if isinstance(event, DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                _stop(
                    "yaml-documents",
                    "the file holds more than one YAML document",
                    "keep one design per file (remove the second '---')",
                    line,
                )
        elif isinstance(event, CollectionStartEvent):
            self._start(event, line)
        elif isinstance(event, (MappingEndEvent, SequenceEndEvent)):
            self._end()
        elif isinstance(event, ScalarEvent):
            if self._expects_key():
                self._key(event, line)
            else:
                self._count(1, line)
                self._value(self._scalar(event, line), line, event.anchor, 1)
        elif isinstance(event, AliasEvent):
            self._alias(event, line)

    def _expects_key(self) -> bool:
        return bool(self.stack) and isinstance(self.stack[-1].value, dict) and self.stack[-1].key is None

    def _child_path(self) -> str:
        top = self.stack[-1]
        part = top.key if isinstance(top.value, dict) else str(len(top.value))
        return f"{top.path}.{part}" if top.path else part

    def _start(self, event: Any, line: int) -> None:
        if self._expects_key():
            _stop(
                "yaml-key",
                "a key must be a plain name, not a list or mapping",
                "write the key as text",
                line,
            )
        if event.tag is not None and event.tag not in COLLECTION_TAGS:
            _refuse_tag(event.tag, line)
        if len(self.stack) >= MAX_DEPTH:
            _stop(
                "yaml-too-deep",
                f"values are nested more than {MAX_DEPTH} levels deep",
                "a design nests a few levels; check the brackets and indentation",
                line,
            )
        self._count(1, line)
        path = self._child_path() if self.stack else ""
        if not self.stack or isinstance(self.stack[-1].value, list):
            self.lines.setdefault(path, line)
        value: dict | list = {} if isinstance(event, MappingStartEvent) else []
        self.stack.append(_Collection(path, value, event.anchor, self.values - 1))

    def _end(self) -> None:
        done = self.stack.pop()
        for source in done.merges:  # keys written in the mapping win over merged ones
            for key, item in source.items():
                done.value.setdefault(key, item)
        line = self.lines.get(done.path, 0)
        self._value(done.value, line, done.anchor, self.values - done.first_value)

    def _key(self, event: Any, line: int) -> None:
        top = self.stack[-1]
        if event.tag is not None and event.tag not in SCALAR_TAGS and event.tag != "!":
            _refuse_tag(event.tag, line)
        key = str(event.value)
        top.key, top.skip_value = key, False
        top.merging = key == MERGE_KEY and event.style is None
        if top.merging:
            return
        path = self._child_path()
        if key in top.value:
            first = self.lines.get(path)
            self.issues.append(
                Issue(
                    "error",
                    path,
                    f"duplicate key {key!r} (also on line {first})",
                    "keep one of them: YAML would silently drop the other",
                    line,
                    "yaml-duplicate-key",
                )
            )
            top.skip_value = True
        else:
            self.lines[path] = line

    def _scalar(self, event: Any, line: int) -> Any:
        tag = event.tag
        if tag == "!" or (tag is None and event.style is not None):
            return event.value
        if tag is None:
            tag = str(self.yaml.resolver.resolve(ScalarNode, event.value, event.implicit))
            if tag not in SCALAR_TAGS:  # timestamps and the like stay as written
                return event.value
        elif tag not in SCALAR_TAGS:
            _refuse_tag(tag, line)
        try:
            return self.yaml.constructor.construct_object(ScalarNode(tag, event.value))
        except (YAMLError, ValueError):
            _stop(
                "yaml-syntax",
                f"{event.value!r} is not a valid {tag[len(CORE) :]}",
                "fix the value or remove its tag",
                line,
            )

    def _alias(self, event: Any, line: int) -> None:
        if self._expects_key():
            _stop("yaml-key", "an alias cannot be a key", "write the key as text", line)
        if event.anchor not in self.anchors:
            _stop(
                "yaml-syntax",
                f"the alias *{event.anchor} has no anchor before it",
                f"define &{event.anchor} before using it",
                line,
            )
        value, size = self.anchors[event.anchor]
        self._count(size, line)
        self._value(value, line, None, size)

    def _count(self, size: int, line: int) -> None:
        self.values += size
        if self.values > MAX_VALUES:
            _stop(
                "yaml-too-many-values",
                f"the file expands to more than {MAX_VALUES} values (counting aliases)",
                "write the design out without nested aliases",
                line,
            )

    def _value(self, value: Any, line: int, anchor: str | None, size: int) -> None:
        """Put a finished value where it belongs: the root, a list, or the pending key of a mapping."""
        if anchor is not None:
            self.anchors[anchor] = (value, size)
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        if isinstance(top.value, list):
            self.lines.setdefault(self._child_path(), line)
            top.value.append(value)
            return
        key, top.key = top.key, None
        if top.skip_value:
            return
        if top.merging and self._merge(top, value):
            return
        top.value[key] = value

    def _merge(self, top: _Collection, value: Any) -> bool:
        """`<<: *defaults` (or a list of them): the keys of those mappings, unless written here."""
        sources = value if isinstance(value, list) else [value]
        if not all(isinstance(source, dict) for source in sources):
            return False
        top.merges.extend(sources)
        return True


def dump_design(design: Design) -> str:
    """Canonical YAML of `design` (see the module docstring)."""
    data = design.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    yaml = YAML(typ="rt", pure=True)
    yaml.width = 4096  # never wrap: one element detail per line keeps diffs readable
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    yaml.dump(_styled(data, 0), out)
    return out.getvalue()


def dump_data(data: Any) -> str:
    """YAML text of plain JSON data (a design sent as JSON), which `read_yaml` reads back as `data`.

    ASCII only, so a NEL or a line separator is escaped in double quotes (raw, ruamel reads it
    back as a space); never wrapped, since a wrap inside a long string can change it.
    """
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.allow_unicode = False
    yaml.width = 4096
    yaml.representer.sort_base_mapping_type_on_output = False  # keys in the order they were sent
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _styled(value: Any, depth: int) -> Any:
    """Block style for the sections and their elements, flow style inside an element."""
    if isinstance(value, dict):
        styled = CommentedMap((_quoted(key), _styled(item, depth + 1)) for key, item in value.items())
    elif isinstance(value, list):
        styled = CommentedSeq(_styled(item, depth + 1) for item in value)
    else:
        return _quoted(value)
    items = value.values() if isinstance(value, dict) else value
    scalars_only = not any(isinstance(item, (dict, list)) for item in items)
    if depth >= 3 or (depth == 2 and scalars_only):
        styled.fa.set_flow_style()
    else:
        styled.fa.set_block_style()
    return styled


def _quoted(value: Any) -> Any:
    """Text with ':' or with unprintable characters (line breaks, tabs, NEL) in double quotes.

    ruamel.yaml writes `::1` plain inside flow style, which no reader parses, and a NEL raw
    inside single quotes, where it reads back as a space; a YAML 1.1 reader takes some MACs
    (`12:34:56:00:00:01`) for numbers; a plain `<<` key merges. Double quotes avoid all of these
    (and are how DESIGN.md writes MACs).
    """
    if isinstance(value, str) and (":" in value or not value.isprintable() or value == MERGE_KEY):
        return DoubleQuotedScalarString(value)
    return value
