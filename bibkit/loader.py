"""YAML record files -> Records, keeping where each value stood.

Files are parsed into YAML events by PyYAML's safe parser (its C version where present) and
composed into nodes here, never constructed into Python objects: nothing a file says can run
code, every scalar keeps its exact text (``2303.08110`` stays a string, ``2023-03`` is not a
date object), and every node keeps its line and column for diagnostics. Composing from the
event stream without recursion bounds the work on hostile input: an alias is refused where it
stands (which also stops alias bombs), and so is an explicit tag or nesting deeper than any
record needs, before it can exhaust the stack.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from bibkit import keys, richtext
from bibkit.diagnostics import Diagnostic, Span
from bibkit.fields import (
    CSL_TYPES,
    FIELD_BY_NAME,
    NAME_PARTS,
    OTHERS,
    PROVENANCE_FIELDS,
    TEXT_FIELDS,
    Kind,
)
from bibkit.library import MAX_BYTES, Library, Loaded, read_capped, record_paths
from bibkit.model import ArxivId, Date, Doi, Person, Provenance, Record, check_url

T = TypeVar("T")
_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STD = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_STD + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
_ALLOWED_TAGS = _SCALAR_TAGS | {_STD + "seq", _STD + "map"}
_MAX_DEPTH = 16  # a record is at most four levels deep; anything deeper is not a record


class _Problem(Exception):
    """A value that cannot be read; becomes one diagnostic at ``node``."""

    def __init__(self, node: yaml.Node | None, code: str, message: str, span: Span | None = None) -> None:
        super().__init__(message)
        self.node, self.code, self.message = node, code, message
        self.span = span or Span.from_mark(node.start_mark if node is not None else None)

    @classmethod
    def at(cls, event: yaml.Event, code: str, message: str) -> _Problem:
        return cls(None, code, message, Span.from_mark(event.start_mark))


def load_library(paths: Iterable[Path]) -> Library:
    return Library([load_record(p) for p in record_paths(paths)])


def load_record(path: Path) -> Loaded:
    try:
        with path.open("rb") as fh:
            data = read_capped(fh)
    except OSError as exc:
        return _failed(path, Span(), "BK000", f"cannot read: {exc.strerror or exc}")
    return load_text(path, data)


def load_text(path: Path, data: bytes) -> Loaded:
    """Parse one record's bytes; ``path`` names it in diagnostics and gives its default key."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return _failed(path, _offset_span(data, exc.start), "BK002",
                       f"not UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded")
    if len(data) > MAX_BYTES:
        return _failed(path, Span(), "BK007", f"file is larger than {MAX_BYTES:,} bytes, the most a record may be")
    try:
        root = _compose_checked(text)
    except _Problem as p:
        return _failed(path, p.span, p.code, p.message)
    except yaml.MarkedYAMLError as exc:
        # Point at the problem; name where the construct it interrupted began.
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.context_mark is not None and exc.problem_mark is not None:
            began = Span.from_mark(exc.context_mark)
            message += f" ({exc.context} that starts at {began.line}:{began.col})"
        return _failed(path, Span.from_mark(mark), "BK001", f"invalid YAML: {message}")
    except yaml.reader.ReaderError as exc:
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        return _failed(path, _offset_span(text.encode(), exc.position), "BK002",
                       f"character U+{char:04X} is not allowed in YAML")
    except yaml.YAMLError as exc:
        return _failed(path, Span(), "BK001", f"invalid YAML: {exc}")
    if root is None:
        return _failed(path, Span(), "BK005", "empty file: a record is a mapping of fields")
    loaded = Loaded(path)
    if not isinstance(root, yaml.MappingNode):
        loaded.diagnostics.append(Diagnostic(
            path, Span.from_mark(root.start_mark), "BK005",
            f"a record is a mapping of fields, not {_describe(root)}"))
        return loaded
    _build(loaded, root)
    return loaded


def _failed(path: Path, span: Span, code: str, message: str) -> Loaded:
    return Loaded(path, diagnostics=[Diagnostic(path, span, code, message)])


def _offset_span(data: bytes, offset: int) -> Span:
    before = data[:offset]
    line_start = before.rfind(b"\n") + 1
    return Span(before.count(b"\n") + 1, len(before[line_start:].decode("utf-8", "replace")) + 1)


def _compose_checked(text: str) -> yaml.Node | None:
    """``_compose`` with the fast parser, and bibkit's own diagnosis whenever that parser fails.

    libyaml (the C parser) reads ahead of the events it hands over and applies limits of its
    own (a nesting depth, since PyYAML 6.0.4) before bibkit's rules have seen the events they
    concern. The pure-Python parser, which has no such limits, reads the broken file again so
    that what is reported is bibkit's finding, whichever parser is installed; only a file that
    fails to parse pays for the second reading.
    """
    try:
        return _compose(text, _Loader)
    except yaml.YAMLError:
        if _Loader is yaml.SafeLoader:
            raise
        return _compose(text, yaml.SafeLoader)


def _compose(text: str, loader_class: type) -> yaml.Node | None:
    """One document's node tree, built from the parser's events without recursion.

    Checks as it goes what no record may hold: aliases (BK004), explicit non-standard tags
    (BK003), duplicate keys (BK006), nesting deeper than ``_MAX_DEPTH`` (BK005), and a second
    document (BK001). This loop runs for every value of every record: it is written for speed
    (local names, no call per event that is not needed).
    """
    loader = loader_class(text)
    get_event = loader.get_event
    scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
    mapping_start, mapping_end, sequence_end = yaml.MappingStartEvent, yaml.MappingEndEvent, yaml.SequenceEndEvent
    scalar_node, mapping_node, sequence_node = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode
    # A frame: [node, is a mapping, key waiting for its value, first node of each key].
    stack: list[list[Any]] = []
    try:
        get_event()  # stream start
        if loader.check_event(yaml.StreamEndEvent):
            return None
        get_event()  # document start
        root: yaml.Node | None = None
        while root is None:
            event = get_event()
            kind = type(event)
            if kind is mapping_end or kind is sequence_end:
                done = stack.pop()[0]
                done.end_mark = event.end_mark
                if not stack:
                    root = done
                continue
            if kind is alias_event:
                raise _Problem.at(event, "BK004", "YAML aliases (and the anchors they repeat) are not "
                                  "allowed in records")
            tag = event.tag
            if tag is not None and tag != "!" and tag not in _ALLOWED_TAGS:
                raise _Problem.at(event, "BK003", f"YAML tag {tag!r} is not allowed (records hold only "
                                  "text, lists and mappings)")
            node: Any
            if kind is scalar_event:
                value = event.value
                if tag is None or tag == "!":
                    tag = _resolve(value) if event.implicit[0] else _STR
                node = scalar_node(tag, value, event.start_mark, event.end_mark, event.style)
            elif kind is mapping_start:
                node = mapping_node(tag or _MAP, [], event.start_mark, None, event.flow_style)
            else:
                node = sequence_node(tag or _SEQ, [], event.start_mark, None, event.flow_style)
            if stack:
                frame = stack[-1]
                if not frame[1]:
                    frame[0].value.append(node)
                elif frame[2] is None:
                    if kind is scalar_event:
                        first = frame[3].setdefault(node.value, node)
                        if first is not node:
                            line = Span.from_mark(first.start_mark).line
                            raise _Problem(node, "BK006", f"duplicate key {node.value!r} (first at line "
                                           f"{line}); YAML keeps only the last one")
                    frame[2] = node
                else:
                    frame[0].value.append((frame[2], node))
                    frame[2] = None
            if kind is scalar_event:
                if not stack:
                    root = node
                continue
            if len(stack) >= _MAX_DEPTH:
                raise _Problem.at(event, "BK005", f"values nested deeper than {_MAX_DEPTH} levels")
            stack.append([node, kind is mapping_start, None, {}])
        get_event()  # document end
        if not loader.check_event(yaml.StreamEndEvent):
            extra = get_event()
            raise _Problem.at(extra, "BK001", "invalid YAML: a record file holds one document, "
                              "but another starts here")
        return root
    finally:
        loader.dispose()


_STR, _MAP, _SEQ = _STD + "str", _STD + "map", _STD + "seq"
_RESOLVERS = yaml.resolver.Resolver.yaml_implicit_resolvers


def _resolve(value: str) -> str:
    """The tag YAML gives a plain scalar (``2023`` an int, ``null`` a null, ``x`` text): PyYAML's
    own table, without its per-call overhead."""
    for tag, pattern in _RESOLVERS.get(value[:1], ()):
        if pattern.match(value):
            return str(tag)
    for tag, pattern in _RESOLVERS.get(None, ()):
        if pattern.match(value):
            return str(tag)
    return _STR


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    kind = node.tag.removeprefix(_STD)
    return {"int": "a number", "float": "a number", "bool": "a boolean", "null": "an empty value",
            "timestamp": "a date", "str": "text"}.get(kind, "a value")


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _text(node: yaml.Node, what: str = "text") -> str:
    if not isinstance(node, yaml.ScalarNode) or node.tag == _STD + "null":
        raise _Problem(node, "BK011", f"expected {what}, found {_describe(node)}")
    value = str(node.value).strip()
    if not value:
        raise _Problem(node, "BK011", f"expected {what}, found an empty string")
    return value


def _rich(node: yaml.Node) -> str:
    """Text that may hold CSL rich-text markup (docs/record-format.md); malformed markup is BK013."""
    value = _text(node)
    problem = richtext.check(value)
    if problem is not None:
        raise _Problem(node, "BK013", f"rich text: {problem}")
    return value


def _text_list(node: yaml.Node) -> tuple[str, ...]:
    if not isinstance(node, yaml.SequenceNode):
        raise _Problem(node, "BK011", f"expected a list, found {_describe(node)}")
    return tuple(_text(item) for item in node.value)


def _extra(node: yaml.Node) -> dict[str, Any]:
    if not isinstance(node, yaml.MappingNode):
        raise _Problem(node, "BK011", f"expected a mapping, found {_describe(node)}")
    return {_text(k, "a field name"): _plain(v) for k, v in node.value}


_TYPED_SCALARS = frozenset({_STD + "bool", _STD + "int", _STD + "float", _STD + "null"})


def _plain(node: yaml.Node) -> Any:
    """Text, or lists and mappings of text, as plain Python data (CSL-JSON values in `extra`).
    An unquoted true, 7, 1.0 or null is that JSON value, as it was imported."""
    if isinstance(node, yaml.MappingNode):
        return {_text(k, "a field name"): _plain(v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [_plain(v) for v in node.value]
    if isinstance(node, yaml.ScalarNode) and node.tag in _TYPED_SCALARS and not node.style:
        return yaml.safe_load(node.value)  # one plain scalar: its value, nothing else
    return _text(node)


def _person(node: yaml.Node) -> Person:
    if isinstance(node, yaml.MappingNode):
        parts: dict[str, str] = {}
        for k, v in node.value:
            name = _text(k, "a name part")
            if name not in NAME_PARTS:
                raise _Problem(k, "BK010", f"unknown name part {name!r}{_suggest(name, NAME_PARTS)}")
            parts[name.replace("-", "_")] = _text(v)
        if "literal" in parts and len(parts) > 1:
            raise _Problem(node, "BK011", "a name is either `literal` or parts, not both")
        if "literal" not in parts and "family" not in parts:
            raise _Problem(node, "BK011", "a name needs `family` (or `literal`)")
        return Person(**parts)
    if isinstance(node, yaml.ScalarNode) and node.tag != _STD + "str":
        raise _Problem(node, "BK011", f"expected a name, found {_describe(node)}")
    try:
        return Person.parse(_text(node, "a name"))
    except ValueError as exc:
        raise _Problem(node, "BK011", str(exc)) from None


def _names(loaded: Loaded, name: str, node: yaml.Node) -> tuple[tuple[Person, ...], bool]:
    if not isinstance(node, yaml.SequenceNode):
        raise _Problem(node, "BK011", f"expected a list of names, found {_describe(node)}")
    people: list[Person] = []
    truncated = False
    for i, item in enumerate(node.value):
        loaded.spans[f"{name}[{i}]"] = Span.from_mark(item.start_mark)
        if isinstance(item, yaml.ScalarNode) and item.value == OTHERS:
            if i != len(node.value) - 1:
                raise _Problem(item, "BK011", f"`{OTHERS}` may only close the list")
            truncated = True
            continue
        try:
            people.append(_person(item))
        except _Problem as p:
            loaded.diagnostics.append(Diagnostic(loaded.path, p.span,
                                                 p.code, p.message))
    if not node.value:
        raise _Problem(node, "BK011", "the list of names is empty")
    return tuple(people), truncated


def _provenance(loaded: Loaded, node: yaml.Node) -> Provenance:
    if not isinstance(node, yaml.MappingNode):
        raise _Problem(node, "BK011", f"expected a mapping, found {_describe(node)}")
    values: dict[str, object] = {}
    for k, v in node.value:
        name = _text(k, "a field name")
        loaded.spans[f"provenance.{name}"] = Span.from_mark(v.start_mark)
        if name not in PROVENANCE_FIELDS:
            raise _Problem(k, "BK010", f"unknown provenance field {name!r}"
                           f"{_suggest(name, PROVENANCE_FIELDS)}")
        kind, _ = PROVENANCE_FIELDS[name]
        values[name.replace("-", "_")] = _text_list(v) if kind is Kind.TEXT_LIST else _text(v)
    return Provenance(**values)  # type: ignore[arg-type]


def _build(loaded: Loaded, root: yaml.MappingNode) -> None:
    values: dict[str, object] = {}
    text: dict[str, str] = {}
    names: dict[str, tuple[Person, ...]] = {}
    dates: dict[str, Date] = {}
    spans = loaded.spans
    if root.value:
        spans.setdefault("", Span.from_mark(root.start_mark))
    for knode, vnode in root.value:
        try:
            name = _text(knode, "a field name")
            spec = FIELD_BY_NAME.get(name)
            if spec is None:
                raise _Problem(knode, "BK010", f"unknown field {name!r}{_suggest(name, FIELD_BY_NAME)}")
            mark = vnode.start_mark
            spans[name] = Span(mark.line + 1, mark.column + 1)
            mark = knode.start_mark
            spans[name + ":key"] = Span(mark.line + 1, mark.column + 1)
            match spec.kind:
                case Kind.TEXT if name in TEXT_FIELDS:
                    text[name] = _rich(vnode)
                case Kind.TEXT:
                    values[name.replace("-", "_")] = _rich(vnode) if name == "title" else _text(vnode)
                case Kind.KEY:
                    values["key"] = _text(vnode, "a citation key")
                case Kind.CSL_TYPE:
                    kind = _text(vnode, "a CSL type")
                    if kind not in CSL_TYPES:
                        raise _Problem(vnode, "BK026", f"unknown CSL type {kind!r}"
                                       f"{_suggest(kind, CSL_TYPES)}")
                    values["type"] = kind
                case Kind.NAMES:
                    people, truncated = _names(loaded, name, vnode)
                    if name in ("author", "editor"):
                        values[name] = people
                    else:
                        names[name] = people
                    if name == "author":
                        values["author_truncated"] = truncated
                case Kind.DATE if name == "issued":
                    values[name] = _parse(vnode, Date.parse, "BK022", "a date")
                case Kind.DATE:
                    dates[name] = _parse(vnode, Date.parse, "BK022", "a date")
                case Kind.ARXIV:
                    values["arxiv"] = _parse(vnode, ArxivId.parse, "BK020", "an arXiv identifier")
                case Kind.DOI:
                    values["doi"] = _parse(vnode, Doi.parse, "BK021", "a DOI")
                case Kind.URL:
                    values[name.lower().replace("-", "_")] = _parse(vnode, check_url, "BK025", "a URL")
                case Kind.TEXT_LIST:
                    values[name] = _text_list(vnode)
                case Kind.EXTRA:
                    values[name] = _extra(vnode)
                case Kind.PROVENANCE:
                    values["provenance"] = _provenance(loaded, vnode)
        except _Problem as p:
            loaded.diagnostics.append(
                Diagnostic(loaded.path, p.span, p.code, p.message))
    values.setdefault("key", loaded.path.name.removesuffix(keys.SUFFIX))
    values.setdefault("type", "")
    values.setdefault("title", "")
    loaded.record = Record(text=text, names=names, dates=dates, **values)  # type: ignore[arg-type]


def _parse(node: yaml.Node, parse: Callable[[str], T], code: str, what: str) -> T:
    """A scalar read by a value type's parser; its ValueError becomes finding ``code`` at the node."""
    raw = _text(node, what)
    try:
        return parse(raw)
    except ValueError as exc:
        raise _Problem(node, code, str(exc)) from None
