"""A .bib file -> its entries, as BibTeX and biber read them, keeping what they keep.

Every entry is kept with its key verbatim (``:alertsys``, ``DBLP:conf/x/Y09``), in file order,
with the line it starts on: a repeated key, an entry without a key (``@article{ author = ...``)
and an entry without a title are all entries, for the importer to report and keep. ``@string``
macros (case-insensitive, with BibTeX's month macros predefined), ``#`` concatenation, ``{}``
and ``""`` values and bare numbers are expanded; ``@comment`` and ``@preamble`` are skipped, and
so is text between entries, as BibTeX does. A value keeps its LaTeX; white space runs are one
space, as BibTeX reads them.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from bibkit.latex import group_end

# BibTeX's predefined macros (plain.bst): month abbreviations expand to the month's name.
MONTH_MACROS = {m[:3].lower(): m for m in ("January February March April May June July August September "
                                           "October November December").split()}
_IDENT = re.compile(r"[^\s\"#%'(),={}]+")
_TYPE = re.compile(r"[A-Za-z][\w-]*")
# White space, and biber's % comments to the end of the line.
_SPACE = re.compile(r"(?:\s+|%[^\n]*\n?)*")
# The key runs to the comma (BibTeX allows anything but white space, a comma and the closing
# delimiter).
_KEY = {close: re.compile(r"[^,\s" + re.escape(close) + r"]*") for close in "})"}
_NUMBER = re.compile(r"\d+")
_QUOTED = re.compile(r'\\.|[{}"]', re.S)  # what ends a quoted value, or is not its end


@dataclass
class RawEntry:
    type: str  # lower case
    key: str  # verbatim; "" when the entry has none
    line: int
    fields: dict[str, str] = field(default_factory=dict)  # lower-case name -> LaTeX value
    names: dict[str, str] = field(default_factory=dict)  # lower-case name -> the name as written
    lines: dict[str, int] = field(default_factory=dict)  # lower-case name -> line of the field
    repeated: list[str] = field(default_factory=list)  # fields given twice (the first is kept, like biber)


@dataclass
class Problem:
    line: int
    message: str


@dataclass
class BibFile:
    entries: list[RawEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    preamble: list[str] = field(default_factory=list)


class _Error(Exception):
    def __init__(self, pos: int, message: str) -> None:
        super().__init__(message)
        self.pos, self.message = pos, message


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.macros: dict[str, str] = dict(MONTH_MACROS)
        self.result = BibFile()
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, pos: int) -> int:
        return bisect.bisect_right(self._line_starts, pos)

    def skip_space(self) -> None:
        m = _SPACE.match(self.text, self.pos)
        assert m is not None  # the pattern matches the empty string
        self.pos = m.end()

    def parse(self) -> BibFile:
        for _ in self.steps():
            pass
        return self.result

    def entries(self) -> Iterator[RawEntry]:
        """The entries as they are read, each handed over and let go (``result`` keeps the
        problems, the preamble and the @string macros)."""
        found = self.result.entries
        for _ in self.steps():
            if found:
                yield from found
                found.clear()

    def steps(self) -> Iterator[None]:
        """Read the text one @-item at a time (an entry, a macro, a comment, ...)."""
        t = self.text
        while True:
            yield
            at = t.find("@", self.pos)
            if at < 0:
                break
            self.pos = at + 1
            self.skip_space()
            m = _TYPE.match(t, self.pos)
            if m is None:
                continue  # an @ in the text between entries
            kind = m.group().lower()
            self.pos = m.end()
            self.skip_space()
            if self.pos >= len(t) or t[self.pos] not in "{(":
                if kind != "comment":
                    self.problem(at, f"@{m.group()} is not followed by {{ or (")
                continue
            try:
                if kind == "comment":
                    self.skip_group()
                elif kind == "preamble":
                    self.result.preamble.append(self.preamble())
                elif kind == "string":
                    self.string()
                else:
                    self.entry(kind, at)
            except _Error as exc:
                self.problem(exc.pos, exc.message)
                nxt = t.find("\n@", exc.pos)
                self.pos = len(t) if nxt < 0 else nxt + 1
        yield

    def problem(self, pos: int, message: str) -> None:
        self.result.problems.append(Problem(self.line(pos), message))

    def closer(self) -> str:
        opener = self.text[self.pos]
        self.pos += 1
        return "}" if opener == "{" else ")"

    def skip_group(self) -> None:
        start = self.pos
        close = self.closer()
        depth = 1
        t = self.text
        while self.pos < len(t) and depth:
            c = t[self.pos]
            if c in "{(" and c == ("{" if close == "}" else "("):
                depth += 1
            elif c == close:
                depth -= 1
            self.pos += 1
        if depth:
            raise _Error(start, "@comment is never closed")

    def preamble(self) -> str:
        close = self.closer()
        value = self.value()
        self.skip_space()
        self.expect(close)
        return value

    def string(self) -> None:
        close = self.closer()
        self.skip_space()
        name = self.identifier("a macro name")
        self.skip_space()
        self.expect("=")
        value = self.value()
        self.macros[name.lower()] = value
        self.skip_space()
        self.expect(close)

    def expect(self, char: str) -> None:
        if self.pos >= len(self.text) or self.text[self.pos] != char:
            found = repr(self.text[self.pos]) if self.pos < len(self.text) else "the end of the file"
            raise _Error(self.pos, f"expected {char!r}, found {found}")
        self.pos += 1

    def identifier(self, what: str) -> str:
        m = _IDENT.match(self.text, self.pos)
        if m is None:
            raise _Error(self.pos, f"expected {what}")
        self.pos = m.end()
        return m.group()

    def entry(self, kind: str, at: int) -> None:
        close = self.closer()
        t = self.text
        self.skip_space()
        # A first token followed by "=" is a field: the entry has no key.
        start = self.pos
        m = _KEY[close].match(t, self.pos)
        assert m is not None
        key = m.group()
        self.pos = m.end()
        self.skip_space()
        entry = RawEntry(kind, key, self.line(at))
        if self.pos < len(t) and t[self.pos] == "=":
            entry.key = ""
            self.pos = start
        elif self.pos < len(t) and t[self.pos] == close:
            self.pos += 1
            self.result.entries.append(entry)
            return
        else:
            self.expect(",")
        while True:
            self.skip_space()
            while self.pos < len(t) and t[self.pos] == ",":
                self.pos += 1
                self.skip_space()
            if self.pos < len(t) and t[self.pos] == close:
                self.pos += 1
                break
            if self.pos >= len(t):
                raise _Error(at, f"entry {key or '(no key)'} is never closed")
            where = self.pos
            name = self.identifier("a field name")
            self.skip_space()
            self.expect("=")
            value = self.value()
            low = name.lower()
            if low in entry.fields:
                entry.repeated.append(name)
            else:
                entry.fields[low] = value
                entry.names[low] = name
                entry.lines[low] = self.line(where)
            self.skip_space()
            if self.pos < len(t) and t[self.pos] not in ("," + close):
                raise _Error(self.pos, f"expected ',' or {close!r} after field {name!r}")
        self.result.entries.append(entry)

    def value(self) -> str:
        parts: list[str] = []
        while True:
            self.skip_space()
            parts.append(self.part())
            self.skip_space()
            if self.pos < len(self.text) and self.text[self.pos] == "#":
                self.pos += 1
                continue
            return " ".join("".join(parts).split())

    def part(self) -> str:
        t = self.text
        if self.pos >= len(t):
            raise _Error(self.pos, "expected a value, found the end of the file")
        c = t[self.pos]
        if c == "{":
            end = group_end(t, self.pos)
            if end < 0:
                raise _Error(self.pos, "unbalanced braces in a value")
            value = t[self.pos + 1:end]
            self.pos = end + 1
            return value
        if c == '"':
            depth = 0
            for q in _QUOTED.finditer(t, self.pos + 1):
                mark = q.group()
                if mark == "{":
                    depth += 1
                elif mark == "}":
                    depth -= 1
                elif mark == '"' and depth == 0:
                    break
            else:
                raise _Error(self.pos, "a quoted value is never closed")
            value = t[self.pos + 1:q.start()]
            self.pos = q.end()
            return value
        m = _NUMBER.match(t, self.pos)
        if m is not None:
            self.pos = m.end()
            return m.group()
        where = self.pos
        name = self.identifier("a value")
        expansion = self.macros.get(name.lower())
        if expansion is None:
            self.problem(where, f"undefined macro {name!r}: kept as its name")
            return name
        return expansion


def parse(text: str) -> BibFile:
    return _Parser(text).parse()


def stream(text: str) -> tuple[BibFile, Iterator[RawEntry]]:
    """``parse``, an entry at a time: the entries come from the iterator (and are not kept in
    the BibFile, whose problems are complete once the iterator is done)."""
    parser = _Parser(text)
    return parser.result, parser.entries()
