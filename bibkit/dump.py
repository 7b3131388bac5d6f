"""Record -> YAML text, in the field order of ``bibkit.fields`` (for import and ``add``)."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import yaml
from yaml.resolver import Resolver

from bibkit import keys
from bibkit.exporters.csljson import person as csl_person
from bibkit.fields import DATE_FIELDS, NAME_FIELDS, OTHERS, TEXT_FIELDS
from bibkit.model import Person, Record


def name_value(p: Person) -> str | dict[str, str]:
    """The plain ``Given Family`` string when it reads back as the same name, else the mapping."""
    text = _plain_name(p)
    return csl_person(p) if text is None else text


@functools.lru_cache(maxsize=65536)  # a collection names the same people again and again
def _plain_name(p: Person) -> str | None:
    text = str(p)
    try:
        if Person.parse(text) == p and text != OTHERS and "," not in text:
            return text
    except ValueError:
        pass
    return None


def record_data(r: Record) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if keys.file_stem_for(r.key) != r.key:
        data["id"] = r.key
    data["type"] = r.type
    if r.title:  # an entry without one is imported as it is; validate names what it lacks
        data["title"] = r.title
    if r.author:
        data["author"] = [name_value(p) for p in r.author] + ([OTHERS] if r.author_truncated else [])
    if r.editor:
        data["editor"] = [name_value(p) for p in r.editor]
    for role in sorted(r.names, key=NAME_FIELDS.index):
        if r.names[role]:
            data[role] = [name_value(p) for p in r.names[role]]
    if r.issued:
        data["issued"] = str(r.issued)
    for name in sorted(r.dates, key=DATE_FIELDS.index):
        data[name] = str(r.dates[name])
    data.update(sorted(r.text.items(), key=lambda kv: TEXT_FIELDS.index(kv[0])))
    if r.doi:
        data["DOI"] = r.doi.value
    if r.url:
        data["URL"] = r.url
    if r.arxiv:
        data["arxiv"] = str(r.arxiv)
    if r.arxiv_class:
        data["arxiv-class"] = r.arxiv_class
    if r.journal_ref:
        data["journal-ref"] = r.journal_ref
    if r.venues:
        data["venues"] = list(r.venues)
    if r.tags:
        data["tags"] = list(r.tags)
    prov = {k: v for k, v in (("pages", list(r.provenance.pages)),
                              ("page-titles", list(r.provenance.page_titles)),
                              ("verified", list(r.provenance.verified)),
                              ("no-arxiv", r.provenance.no_arxiv),
                              ("note", r.provenance.note)) if v}
    if prov:
        data["provenance"] = prov
    if r.extra:
        data["extra"] = dict(r.extra)
    if r.ids:
        data["ids"] = list(r.ids)
    if r.code:
        data["code"] = r.code
    if r.project_page:
        data["project-page"] = r.project_page
    return data


class _Dumper(yaml.SafeDumper):
    """Lists indented under their key (``  - item``), as the records are written by hand."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def dump_yaml(data: dict[str, Any]) -> str:
    """``data`` as the records are written: block style, lists indented under their key.

    Records hold strings, lists and mappings only, so bibkit writes them itself, about ten times
    faster than PyYAML's pure-Python emitter (which was most of an import's time; libyaml's
    emitter cannot indent lists so); anything else (numbers, empty lists in ``extra``) goes to
    PyYAML. Either way the text reads back as ``data`` (tests compare on random values)."""
    lines: list[str] = []
    if data and _entries(data, 0, lines, ""):
        return "\n".join(lines) + "\n"
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1_000_000,
                     default_flow_style=False)


def _entries(mapping: dict[Any, Any], col: int, lines: list[str], first: str) -> bool:
    """Append ``mapping``'s entries, keys at column ``col``; the first key follows ``first`` on
    its line (a list's dash). False when it holds what this writer leaves to PyYAML."""
    for i, (k, v) in enumerate(mapping.items()):
        if not isinstance(k, str) or len(k) > 500:  # a YAML simple key is short
            return False
        if not _value(v, (first if i == 0 else " " * col) + scalar(k) + ":", col, lines):
            return False
    return True


def _value(v: object, head: str, col: int, lines: list[str]) -> bool:
    """Append ``head`` (``key:``, the key at column ``col``) with its value ``v``."""
    if isinstance(v, str):
        lines.append(f"{head} {scalar(v)}")
        return True
    if isinstance(v, dict) and v:
        lines.append(head)
        return _entries(v, col + 2, lines, " " * (col + 2))
    if isinstance(v, list) and v:
        lines.append(head)
        dash = " " * (col + 2) + "- "
        for item in v:
            if isinstance(item, str):
                lines.append(dash + scalar(item))
            elif not (isinstance(item, dict) and item and _entries(item, col + 4, lines, dash)):
                return False
        return True
    return False


# PyYAML's printable characters, less those it would escape or read as a line break (U+0085,
# U+2028, U+2029) or drop (the byte-order mark).
_PLAIN_CHAR = "\x20-\x7E\xA0-\u2027\u202A-\uD7FF\uE000-\uFEFE\uFF00-\uFFFD\U00010000-\U0010FFFF"
_SINGLE = re.compile(f"[{_PLAIN_CHAR}]*")
# A plain scalar: no indicator first, no ': ' or ' #' inside, no ':' or space last.
_PLAIN_FIRST = re.compile(r"[^-?:,\[\]{}#&*!|>'\"%@`\s]")
_PLAIN_LAST = re.compile(r"[^:\s]")
_ESCAPE = re.compile("[^\x09\x0A\x0D\x20-\x7E\xA0-\u2027\u202A-\uD7FF\uE000-\uFEFE\uFF00-\uFFFD\U00010000-\U0010FFFF]")
_RESOLVER = Resolver()
_IMPLICIT = frozenset(Resolver.yaml_implicit_resolvers)  # first characters of text YAML may read as no string


def _is_plain(text: str) -> bool:
    """``text`` (printable) can be written plain: no indicator first, no ``...`` start, no
    ``: `` or `` #`` inside, no ``:`` or space last."""
    return bool(text) and _PLAIN_FIRST.match(text) is not None and _PLAIN_LAST.match(text[-1]) is not None \
        and not text.startswith("...") and ": " not in text and " #" not in text


def scalar(text: str) -> str:
    """``text`` as a YAML scalar that reads back as the string: plain when nothing in it means
    anything to YAML (PyYAML's resolver would read a number, date or boolean), in single quotes
    when it has no line break or character YAML escapes, else in double quotes with escapes."""
    single = _SINGLE.fullmatch(text) is not None
    if single and _is_plain(text) and (text[0] not in _IMPLICIT or _RESOLVER.resolve(  # type: ignore[no-untyped-call]
            yaml.ScalarNode, text, (True, False)) == Resolver.DEFAULT_SCALAR_TAG):
        return text
    if single:
        return "'" + text.replace("'", "''") + "'"
    # JSON's escapes are YAML's; what JSON leaves raw and YAML would not read as itself is escaped.
    return _ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}" if ord(m.group()) < 0x10000
                       else f"\\U{ord(m.group()):08x}", json.dumps(text, ensure_ascii=False))


def dump_record(r: Record) -> str:
    return dump_yaml(record_data(r))
