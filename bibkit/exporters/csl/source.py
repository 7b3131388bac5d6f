"""citeproc-py's CSL-JSON source, reading field text as citeproc-js reads it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from citeproc.source import Name, Reference
from citeproc.source.json import CiteProcJSON
from citeproc.string import MixedString, NoCase, String

from bibkit import richtext
from bibkit.exporters.csl.text import Glyphs, QuoteMark, parse_quotes, typographic_apostrophes

# CSL 1.0.2's variables (citeproc-py knows those of CSL 1.0: `event-title`, `available-date`,
# `chair`, `part-number` ... were dropped or read as plain text).
NAME_VARIABLES = frozenset("""author chair collection-editor compiler composer container-author contributor
curator director editor editorial-director executive-producer guest host illustrator interviewer narrator
organizer original-author performer producer recipient reviewed-author script-writer series-creator
translator""".split())
DATE_VARIABLES = frozenset("accessed available-date container event-date issued original-date submitted".split())
NUMBER_VARIABLES = frozenset("""chapter-number citation-number collection-number edition
first-reference-note-number issue locator number number-of-pages number-of-volumes page page-first
part-number printing-number section supplement-number version volume""".split())
TEXT_VARIABLES = frozenset("""abstract annote archive archive_collection archive_location archive-place
authority call-number citation-key citation-label collection-title container-title container-title-short
dimensions division DOI event event-title event-place genre ISBN ISSN jurisdiction keyword language license
medium note original-publisher original-publisher-place original-title part-title PMCID PMID publisher
publisher-place references reviewed-genre reviewed-title scale source status title title-short URL
volume-title year-suffix""".split())
VARIABLES = NAME_VARIABLES | DATE_VARIABLES | NUMBER_VARIABLES | TEXT_VARIABLES

# Identifiers are not prose: an apostrophe in a URL stays as it is.
_VERBATIM = frozenset({"URL", "DOI", "ISBN", "ISSN", "PMID", "PMCID", "citation-key", "language"})
# Rich text's formatting (bibkit.richtext) -> the output formatter's wrapper of that name.
_WRAPPERS = {"i": "Italic", "b": "Bold", "sc": "SmallCaps", "sup": "Superscript", "sub": "Subscript"}


class Source(CiteProcJSON):  # type: ignore[misc]
    """Items as citeproc-js reads them: CSL 1.0.2's variables; straight quotes in text paired
    into quotation marks that the style's locale prints (nested ones as inner quotes), other
    straight apostrophes typographic (``O'Brien`` -> ``O’Brien``); ``escape`` applied to each
    piece of record text for the output format (citeproc-py would pass it through as markup)."""

    def __init__(self, items: Iterable[dict[str, Any]], glyphs: Glyphs, escape: Callable[[str], str],
                 formatter: Any = None) -> None:
        self.glyphs, self.escape = glyphs, escape
        # The formatter's markup around a piece of rich text (<i> in HTML, * in Markdown, nothing
        # in plain text), as (opening, closing): its wrapper applied to a mark, split there.
        self.markup: dict[str, tuple[str, str]] = {}
        for kind, name in _WRAPPERS.items():
            wrapped = str(getattr(formatter, name, str)("\x00"))
            opening, _, closing = wrapped.partition("\x00")
            self.markup[kind] = (opening, closing)
        for item in items:
            data: dict[str, Any] = {}
            key, kind = str(item["id"]).lower(), item.get("type", "")
            for name, value in item.items():
                if name in ("id", "type", "key") or name not in VARIABLES:
                    continue
                if name in NAME_VARIABLES:
                    parsed: Any = self.parse_names(value)
                elif name in DATE_VARIABLES:
                    parsed = self.parse_date(value)
                elif name == "language":
                    parsed = value
                elif name in _VERBATIM:
                    parsed = MixedString([String(escape(str(value)))])
                else:
                    parsed = self.parse_string(value)
                data[name.replace("-", "_")] = parsed
            # CSL 1.0.2 renamed `event` (the event's name) to `event-title`: either serves both.
            for old, new in (("event", "event_title"), ("event_title", "event")):
                if old in data and new not in data:
                    data[new] = data[old]
            self.add(Reference(key, kind, **data))

    def parse_string(self, string: Any) -> MixedString:
        """Record text as segments: rich text's <span class="nocase"> and math as text no case
        change touches; <i>, <b>, <sc>, <sup>, <sub> as the output's own markup (which no case
        change touches either); straight quotes paired."""
        try:
            nodes = richtext.parse(str(string)).nodes
        except richtext.RichTextError:
            nodes = (str(string),)  # the loader reported it (BK013); printed as the text it is
        segments: list[Any] = []
        self._segments(nodes, segments, protected=False)
        return MixedString(segments)

    def _segments(self, nodes: Iterable[richtext.Node], out: list[Any], protected: bool) -> None:
        for node in nodes:
            if isinstance(node, str):
                if protected:
                    out.append(NoCase(self.escape(node)))
                    continue
                for piece in parse_quotes(node, self.glyphs):
                    out.append(piece if isinstance(piece, QuoteMark) else String(self.escape(piece)))
            elif node.kind == "math":  # TeX, which CSL has no markup for: shown as written
                out.append(NoCase(self.escape(richtext.Rich((node,)).plain())))
            elif node.kind == "nocase":
                self._segments(node.children, out, protected=True)
            else:
                opening, closing = self.markup.get(node.kind, ("", ""))
                out.append(NoCase(opening))
                self._segments(node.children, out, protected)
                out.append(NoCase(closing))

    def parse_names(self, json_data: Any) -> list[Any]:
        return [Name(**{k: self.escape(typographic_apostrophes(str(v))) for k, v in n.items()})
                for n in json_data]
