"""citeproc-py's CSL-JSON source, reading field text as citeproc-js reads it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from citeproc.source import Name, Reference
from citeproc.source.json import CiteProcJSON
from citeproc.string import MixedString, NoCase, String

from bibkit.export.csl.text import Glyphs, QuoteMark, parse_quotes, typographic_apostrophes

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
_NOCASE_OPEN, _NOCASE_CLOSE = '<span class="nocase">', "</span>"


def _nocase_pieces(text: str) -> Iterable[tuple[str, bool]]:
    """(text, protected) pieces: ``<span class="nocase">`` marks text no case change touches."""
    lower = text.lower()
    end = 0
    while True:
        start = lower.find(_NOCASE_OPEN, end)
        close = lower.find(_NOCASE_CLOSE, start + 1) if start >= 0 else -1
        if start < 0 or close < 0:
            break
        if start > end:
            yield text[end:start], False
        yield text[start + len(_NOCASE_OPEN):close], True
        end = close + len(_NOCASE_CLOSE)
    if end < len(text):
        yield text[end:], False


class Source(CiteProcJSON):  # type: ignore[misc]
    """Items as citeproc-js reads them: CSL 1.0.2's variables; straight quotes in text paired
    into quotation marks that the style's locale prints (nested ones as inner quotes), other
    straight apostrophes typographic (``O'Brien`` -> ``O’Brien``); ``escape`` applied to each
    piece of record text for the output format (citeproc-py would pass it through as markup)."""

    def __init__(self, items: Iterable[dict[str, Any]], glyphs: Glyphs, escape: Callable[[str], str]) -> None:
        self.glyphs, self.escape = glyphs, escape
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
        segments: list[Any] = []
        for text, protected in _nocase_pieces(str(string)):
            if protected:
                segments.append(NoCase(self.escape(text)))
                continue
            for piece in parse_quotes(text, self.glyphs):
                segments.append(piece if isinstance(piece, QuoteMark) else String(self.escape(piece)))
        return MixedString(segments)

    def parse_names(self, json_data: Any) -> list[Any]:
        return [Name(**{k: self.escape(typographic_apostrophes(str(v))) for k, v in n.items()})
                for n in json_data]
