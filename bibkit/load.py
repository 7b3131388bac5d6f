"""YAML record files -> Records, keeping where each value stood.

Files are composed into nodes with PyYAML's safe loader (its C version where present) and never
constructed into Python objects: nothing a file says can run code, every scalar keeps its exact
text (``2303.08110`` stays a string, ``2023-03`` is not a date object), and every node keeps its
line and column for diagnostics. Aliases are refused outright, which also stops alias bombs.
"""

from __future__ import annotations

import difflib
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bibkit import keys
from bibkit.diagnostics import Diagnostic, Severity, Span
from bibkit.fields import (
    CSL_TYPES,
    FIELD_BY_NAME,
    NAME_PARTS,
    OTHERS,
    PROVENANCE_FIELDS,
    TEXT_FIELDS,
    Kind,
)
from bibkit.model import ArxivId, Date, Doi, Person, Provenance, Record

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STD = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_STD + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
_ALLOWED_TAGS = _SCALAR_TAGS | {_STD + "seq", _STD + "map"}
_MAX_DEPTH = 16  # a record is at most four levels deep; anything deeper is not a record


@dataclass(slots=True)
class Loaded:
    """One file: its record (when it could be built), where each value stood, what is wrong."""

    path: Path
    record: Record | None = None
    spans: dict[str, Span] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def span(self, name: str) -> Span:
        return self.spans.get(name, Span())

    def diag(self, name: str, code: str, message: str,
             severity: Severity = Severity.ERROR) -> Diagnostic:
        return Diagnostic(self.path, self.span(name), code, message, severity)


@dataclass(slots=True)
class Library:
    loaded: list[Loaded]

    @property
    def records(self) -> list[Record]:
        return [lo.record for lo in self.loaded if lo.record is not None]


class _Problem(Exception):
    """A value that cannot be read; becomes one diagnostic at ``node``."""

    def __init__(self, node: yaml.Node, code: str, message: str) -> None:
        super().__init__(message)
        self.node, self.code, self.message = node, code, message


def record_paths(paths: Iterable[Path]) -> list[Path]:
    """Expand directories to their ``*.yaml`` files, in a stable order."""
    out: list[Path] = []
    for p in paths:
        out.extend(sorted(p.glob("*" + keys.SUFFIX)) if p.is_dir() else [p])
    return out


def load_library(paths: Iterable[Path]) -> Library:
    return Library([load_record(p) for p in record_paths(paths)])


def load_record(path: Path) -> Loaded:
    try:
        data = path.read_bytes()
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
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        # Point at the problem; name where the construct it interrupted began.
        mark = exc.problem_mark or exc.context_mark
        message = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.context_mark is not None and exc.problem_mark is not None:
            began = Span.from_mark(exc.context_mark)
            message += f" ({exc.context} that starts at {began.line}:{began.col})"
        return _failed(path, Span.from_mark(mark), "BK001", f"invalid YAML: {message}")
    except yaml.reader.ReaderError as exc:
        return _failed(path, _offset_span(text.encode(), exc.position), "BK002",
                       f"character {exc.character!r} is not allowed in YAML")
    except yaml.YAMLError as exc:
        return _failed(path, Span(), "BK001", f"invalid YAML: {exc}")
    except RecursionError:
        return _failed(path, Span(), "BK001", "invalid YAML: nested too deeply")
    if root is None:
        return _failed(path, Span(), "BK005", "empty file: a record is a mapping of fields")
    loaded = Loaded(path)
    structural = list(_check_structure(root))
    if structural:
        loaded.diagnostics.extend(
            Diagnostic(path, Span.from_mark(p.node.start_mark), p.code, p.message) for p in structural
        )
        return loaded
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


def _check_structure(root: yaml.Node) -> Iterator[_Problem]:
    """Tags, aliases, duplicate keys and depth: checked before any value is read."""
    seen: set[int] = set()
    # Breadth first, so that a reused anchor is found at its shallowest reuse.
    queue: deque[tuple[yaml.Node, int]] = deque([(root, 0)])
    while queue:
        node, depth = queue.popleft()
        if id(node) in seen:
            yield _Problem(node, "BK004", "YAML anchors and aliases are not allowed in records "
                           "(the value anchored here is used again)")
            return
        seen.add(id(node))
        if node.tag not in _ALLOWED_TAGS:
            yield _Problem(node, "BK003", f"YAML tag {node.tag!r} is not allowed (records hold "
                           "only text, lists and mappings)")
            continue
        if depth > _MAX_DEPTH:
            yield _Problem(node, "BK005", f"values nested deeper than {_MAX_DEPTH} levels")
            return
        if isinstance(node, yaml.MappingNode):
            names: dict[str, yaml.Node] = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value in names:
                        first = Span.from_mark(names[k.value].start_mark)
                        yield _Problem(k, "BK006", f"duplicate key {k.value!r} (first at line "
                                       f"{first.line}); YAML keeps only the last one")
                    names.setdefault(k.value, k)
                queue.append((k, depth + 1))
                queue.append((v, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            queue.extend((item, depth + 1) for item in node.value)


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


def _text_list(node: yaml.Node) -> tuple[str, ...]:
    if not isinstance(node, yaml.SequenceNode):
        raise _Problem(node, "BK011", f"expected a list, found {_describe(node)}")
    return tuple(_text(item) for item in node.value)


def _text_map(node: yaml.Node) -> dict[str, str]:
    if not isinstance(node, yaml.MappingNode):
        raise _Problem(node, "BK011", f"expected a mapping, found {_describe(node)}")
    return {_text(k, "a field name"): _text(v) for k, v in node.value}


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
            loaded.diagnostics.append(Diagnostic(loaded.path, Span.from_mark(p.node.start_mark),
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
    for knode, vnode in root.value:
        loaded.spans.setdefault("", Span.from_mark(root.start_mark))
        try:
            name = _text(knode, "a field name")
            spec = FIELD_BY_NAME.get(name)
            if spec is None:
                raise _Problem(knode, "BK010", f"unknown field {name!r}{_suggest(name, FIELD_BY_NAME)}")
            loaded.spans[name] = Span.from_mark(vnode.start_mark)
            loaded.spans[name + ":key"] = Span.from_mark(knode.start_mark)
            match spec.kind:
                case Kind.TEXT if name in TEXT_FIELDS:
                    text[name] = _text(vnode)
                case Kind.TEXT:
                    values[name.replace("-", "_")] = _text(vnode)
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
                    values[name] = people
                    if name == "author":
                        values["author_truncated"] = truncated
                case Kind.DATE:
                    values[name] = _parse(vnode, Date.parse, "BK022", "a date")
                case Kind.ARXIV:
                    values["arxiv"] = _parse(vnode, ArxivId.parse, "BK020", "an arXiv identifier")
                case Kind.DOI:
                    values["doi"] = _parse(vnode, Doi.parse, "BK021", "a DOI")
                case Kind.URL:
                    url = _text(vnode, "a URL")
                    if not url.startswith(("https://", "http://")) or any(c.isspace() for c in url):
                        raise _Problem(vnode, "BK025", f"not an http(s) URL: {url!r}")
                    values["url"] = url
                case Kind.TEXT_LIST:
                    values[name] = _text_list(vnode)
                case Kind.TEXT_MAP:
                    values[name] = _text_map(vnode)
                case Kind.PROVENANCE:
                    values["provenance"] = _provenance(loaded, vnode)
        except _Problem as p:
            loaded.diagnostics.append(
                Diagnostic(loaded.path, Span.from_mark(p.node.start_mark), p.code, p.message))
    values.setdefault("key", loaded.path.name.removesuffix(keys.SUFFIX))
    values.setdefault("type", "")
    values.setdefault("title", "")
    loaded.record = Record(text=text, **values)  # type: ignore[arg-type]


def _parse(node: yaml.Node, parse: object, code: str, what: str) -> object:
    raw = _text(node, what)
    try:
        return parse(raw)  # type: ignore[operator]
    except ValueError as exc:
        raise _Problem(node, code, str(exc)) from None
