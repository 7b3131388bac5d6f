"""A lab's publications page: one self-contained static HTML file.

Entries are grouped by year (newest first) or by type, optionally after a "Selected" section
(records tagged ``selected``). Each is formatted by a CSL style (``citeproc.render_entries``),
with the lab's members highlighted in it, venue badges, links (arXiv, PDF, DOI, code, project
page, the venue's page) and the entry's BibTeX, viewable and copyable, without any field a
reader should not get (notes, tags, imported extras, provenance). A filter narrows the list.

The page makes no request of its own: styles and script are inline, there are no fonts or
images, and a Content Security Policy forbids everything else, inline style attributes included
(the style's formatting, small caps say, becomes classes of the page's one style sheet; the
sheet and the script may run only by their hashes). Without JavaScript every entry is shown, the
BibTeX still opens, and the filter and copy buttons stay hidden. The filter reads and writes the
address's fragment, ``page.html#q=pythia``, so a filtered view can be linked to.

The same records give the same bytes: no date, no random ids.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import re
import unicodedata
from collections.abc import Iterable, Sequence

from bibkit import __version__
from bibkit.exporters import Member, PageOptions
from bibkit.model import Person, Record

SELECTED_TAG = "selected"
# Type groups, in the order the page shows them; any other type goes to "Other".
TYPE_GROUPS: tuple[tuple[str, str], ...] = (
    ("article-journal", "Journal articles"),
    ("paper-conference", "Conference and workshop papers"),
    ("chapter", "Book chapters"),
    ("book", "Books"),
    ("thesis", "Theses"),
    ("report", "Reports"),
    ("article", "Preprints"),
)
OTHER = "Other"
# What the copyable BibTeX leaves out: the lab's own annotations, not the paper's metadata.
PRIVATE_TEXT = frozenset({"note", "abstract"})
# Marks a member's family name through the CSL rendering (a private-use character: no style
# changes it, and it sorts after the name it ends, so the style's order stays the same).
MARK = "\ue000"

STYLE = """
:root { color-scheme: light dark; --fg: #1d1d1f; --muted: #5f6368; --bg: #fff; --line: #e3e3e6;
  --accent: #0b57d0; --badge-bg: #eef2fb; --badge-fg: #1f3a68; --code-bg: #f5f6f8; --member: #7a2e00; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e8e8ea; --muted: #a0a4ab; --bg: #141416; --line: #2e2f33; --accent: #8ab4f8;
    --badge-bg: #23304a; --badge-fg: #cddcff; --code-bg: #1d1e22; --member: #ffb68a; }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header, main, footer { max-width: 60rem; margin: 0 auto; padding: 0 1.25rem; }
header { padding-top: 2rem; }
h1 { font-size: 2rem; line-height: 1.2; margin: 0 0 .25rem; }
.count { color: var(--muted); margin: 0 0 1rem; }
form { margin: 0 0 .75rem; }
label { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
input[type=search] { width: 100%; font: inherit; padding: .55rem .8rem; color: inherit;
  background: transparent; border: 1px solid var(--line); border-radius: .5rem; }
input[type=search]:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
nav.groups { display: flex; flex-wrap: wrap; gap: .25rem .9rem; padding-bottom: .75rem;
  border-bottom: 1px solid var(--line); }
a { color: var(--accent); text-decoration: none; }
a:hover, a:focus-visible { text-decoration: underline; }
h2 { font-size: 1.35rem; margin: 1.75rem 0 .5rem; }
ol.entries { list-style: none; margin: 0; padding: 0; }
li.entry { padding: .7rem 0; border-bottom: 1px solid var(--line); }
li.entry:last-child { border-bottom: 0; }
.csl-entry { overflow-wrap: anywhere; }
.member { color: var(--member); font-weight: 650; }
.meta { display: flex; flex-wrap: wrap; align-items: center; gap: .4rem .7rem; margin: .4rem 0 0;
  font-size: .85rem; }
.badge { background: var(--badge-bg); color: var(--badge-fg); border-radius: 999px; padding: .05rem .6rem;
  font-weight: 600; }
.links { display: contents; }
button.copy { font: inherit; color: var(--accent); background: transparent; border: 1px solid var(--line);
  border-radius: .4rem; padding: .1rem .5rem; cursor: pointer; }
button.copy:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
details.bibtex { margin: .3rem 0 0; font-size: .85rem; }
details.bibtex summary { color: var(--accent); cursor: pointer; width: max-content; }
details.bibtex pre { margin: .4rem 0 0; padding: .6rem .8rem; background: var(--code-bg); border-radius: .4rem;
  white-space: pre-wrap; overflow-wrap: anywhere; font: .8rem/1.45 ui-monospace, "SFMono-Regular", Menlo,
  Consolas, monospace; }
#none { color: var(--muted); font-style: italic; }
footer { color: var(--muted); font-size: .8rem; padding-top: 2rem; padding-bottom: 2rem; }
@media print { form, nav.groups, button.copy, details.bibtex { display: none !important; }
  a { color: inherit; } }
"""

# Words must all occur (in any order) in an entry's folded text: title, authors, venues, year,
# container, key, tags and identifiers. Folding matches Python's fold() below.
SCRIPT = """
"use strict";
(function () {
  var form = document.getElementById("filter-form");
  var input = document.getElementById("filter");
  var count = document.getElementById("count");
  var none = document.getElementById("none");
  var entries = Array.prototype.slice.call(document.querySelectorAll("li.entry"));
  var sections = Array.prototype.slice.call(document.querySelectorAll("section.group"));
  var unfiltered = count.textContent;
  function fold(text) {
    return text.normalize("NFKD").replace(/\\p{M}/gu, "").toLowerCase();
  }
  function apply(query) {
    var words = fold(query).split(/\\s+/).filter(Boolean);
    var shown = 0;
    entries.forEach(function (entry) {
      var text = entry.getAttribute("data-search");
      var hit = words.every(function (word) { return text.indexOf(word) !== -1; });
      entry.hidden = !hit;
      if (hit) { shown += 1; }
    });
    sections.forEach(function (section) {
      section.hidden = section.querySelector("li.entry:not([hidden])") === null;
    });
    none.hidden = shown !== 0;
    count.textContent = words.length === 0 ? unfiltered
      : "Showing " + shown + " of " + entries.length + " publications";
  }
  function fromHash() {
    if (location.hash.indexOf("#q=") !== 0) { return; }
    var query;
    try {
      query = decodeURIComponent(location.hash.slice(3).replace(/\\+/g, " "));
    } catch (malformed) {
      return;
    }
    input.value = query;
    apply(query);
  }
  function copied(button, label) {
    button.textContent = label;
    setTimeout(function () { button.textContent = "Copy BibTeX"; }, 2000);
  }
  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  Array.prototype.forEach.call(document.querySelectorAll("button.copy"), function (button) {
    var source = document.getElementById(button.getAttribute("data-bibtex"));
    button.addEventListener("click", function () {
      var text = source.textContent;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { copied(button, "Copied"); },
          function () { source.parentNode.open = true; selectText(source); copied(button, "Selected: press Ctrl+C"); });
      } else {
        source.parentNode.open = true;
        selectText(source);
        copied(button, document.execCommand("copy") ? "Copied" : "Selected: press Ctrl+C");
      }
    });
    button.hidden = false;
  });
  input.addEventListener("input", function () {
    apply(input.value);
    var here = location.pathname + location.search;
    history.replaceState(null, "", input.value ? here + "#q=" + encodeURIComponent(input.value) : here);
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  window.addEventListener("hashchange", fromHash);
  form.hidden = false;
  fromHash();
})();
"""

_STYLE_ATTRIBUTE = re.compile(r' style="([^"<>]*)"')
# A declaration the page turns into a class: a property and a plain value, nothing that could
# end the rule or load anything (no url(), quotes, braces or backslashes).
_DECLARATION = re.compile(r"[a-z-]+\s*:\s*[a-z0-9 .%#,-]+")


def _hash(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def _csp(sheet: str) -> str:
    # The icon is data: so that browsers do not ask for /favicon.ico.
    return (f"default-src 'none'; script-src 'sha256-{_hash(SCRIPT)}'; style-src 'sha256-{_hash(sheet)}'; "
            "img-src data:; base-uri 'none'; form-action 'none'")


def fold(text: str) -> str:
    """Lower case without accents, as the page's script folds what is typed."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.category(c).startswith("M")).lower()


def _search_text(record: Record) -> str:
    from bibkit.richtext import plain  # the words, not the rich text's markup

    parts: list[str] = [record.key, plain(record.title), *map(str, (*record.author, *record.editor)),
                        *record.venues, *record.tags]
    parts += [plain(v) for v in (record.get("container-title"), record.get("event-title")) if v]
    if record.issued is not None:
        parts.append(str(record.issued.year))
    if record.arxiv is not None:
        parts.append(record.arxiv.base)
    if record.doi is not None:
        parts.append(record.doi.value)
    return " ".join(fold(" ".join(p.split())) for p in parts)


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


def links(record: Record) -> list[tuple[str, str]]:
    """(label, URL) of every link an entry shows, in order."""
    out: list[tuple[str, str]] = []
    if record.arxiv is not None:
        out += [("arXiv", record.arxiv.url), ("PDF", record.arxiv.pdf_url)]
    if record.doi is not None:
        out.append(("DOI", record.doi.url))
    if record.code:
        out.append(("Code", record.code))
    if record.project_page:
        out.append(("Project page", record.project_page))
    # The publisher's page, when neither link above already leads there.
    if record.url and not record.url.startswith(("https://arxiv.org/", "https://doi.org/")) and record.doi is None:
        out.append(("Web", record.url))
    return out


def public_bibtex(record: Record) -> str:
    """The entry a reader may copy: the paper's metadata, none of the lab's own fields."""
    from bibkit.exporters import bibtex

    public = dataclasses.replace(record, text={k: v for k, v in record.text.items() if k not in PRIVATE_TEXT},
                                 tags=(), extra={}, ids=())
    return bibtex.render_entry(bibtex.BIBTEX, public)


# Members


def _name_key(text: str) -> str:
    return " ".join(re.sub(r"[.\-‐‑–]", " ", fold(text)).split())


def _member_keys(members: Sequence[Member]) -> frozenset[str]:
    keys = set()
    for m in members:
        for name in (m.name, *m.variants):
            try:
                keys.add(_name_key(str(Person.parse(name))))
            except ValueError:
                continue
    return frozenset(keys)


def _is_member(person: Person, keys: frozenset[str]) -> bool:
    return person.literal is None and person.family is not None and _name_key(str(person)) in keys


def _marked(record: Record, keys: frozenset[str]) -> Record:
    if not keys or not any(_is_member(p, keys) for p in record.author):
        return record
    authors = tuple(dataclasses.replace(p, family=f"{p.family}{MARK}") if _is_member(p, keys) else p
                    for p in record.author)
    return dataclasses.replace(record, author=authors)


def _given_forms(given: str | None) -> list[str]:
    """The ways a style writes given names: in full or as initials ("U. S.", "U.S.", "J.-P.")."""
    if not given:
        return []
    words = given.split()
    initials = [w[0] + "." if "-" not in w else "-".join(p[:1] + "." for p in w.split("-") if p) for w in words]
    forms = {given, " ".join(initials), "".join(initials), " ".join(i.rstrip(".") for i in initials)}
    return sorted((html.escape(f, quote=False) for f in forms), key=len, reverse=True)


def _highlight(fragment: str, record: Record, keys: frozenset[str]) -> str:
    """Each member's name in the rendered entry, wrapped in ``<strong class="member">``: the
    family name the mark follows, and the given names or initials written beside it."""
    for person in record.author:
        if not _is_member(person, keys):
            continue
        family = re.escape(html.escape(person.family or "", quote=False)) + MARK
        particle = re.escape(html.escape(person.non_dropping_particle, quote=False)) + r"\s+" \
            if person.non_dropping_particle else ""
        given = "|".join(map(re.escape, _given_forms(person.given)))
        # Given names before the family name (IEEE's "S. Biderman"), else after it (APA's
        # "Biderman, S."), else the family name alone (a style that writes no given names).
        patterns = [rf"(?:{given})\s+{particle}{family}", rf"(?:{particle})?{family},?\s+(?:{given})(?![\w])"] \
            if given else []
        for pattern in [*patterns, rf"(?:{particle})?{family}"]:
            m = re.search(pattern, fragment, re.I)
            if m is not None:
                name = m.group().replace(MARK, "")
                fragment = f'{fragment[:m.start()]}<strong class="member">{name}</strong>{fragment[m.end():]}'
                break
    return fragment.replace(MARK, "")


# Styles into classes


def _classes(fragment: str, rules: dict[str, str]) -> str:
    """``style="..."`` attributes of the rendered entry become classes of the page's sheet."""
    def swap(m: re.Match[str]) -> str:
        declarations = [d.strip() for d in m[1].split(";") if d.strip()]
        if not declarations or not all(_DECLARATION.fullmatch(d) for d in declarations):
            return ""  # nothing a style needs; nothing to carry into the sheet
        rule = "; ".join(declarations)
        return f' class="{rules.setdefault(rule, f"csl-{len(rules) + 1}")}"'

    return _STYLE_ATTRIBUTE.sub(swap, fragment)


# The page


def _entry(record: Record, fragment: str) -> str:
    key = _attr(record.key)
    badges = "".join(f'<span class="badge">{html.escape(v)}</span>' for v in record.venues)
    anchors = "".join(f'<a href="{_attr(url)}">{label}</a>' for label, url in links(record))
    copy = f'<button type="button" class="copy" data-bibtex="bib-{key}" hidden>Copy BibTeX</button>'
    return (f'<li class="entry" id="ref-{key}" data-search="{_attr(_search_text(record))}">\n'
            f'  <div class="csl-entry">{fragment}</div>\n'
            f'  <p class="meta">{badges}<span class="links">{anchors}</span>{copy}</p>\n'
            f'  <details class="bibtex"><summary>BibTeX</summary><pre id="bib-{key}">'
            f'{html.escape(public_bibtex(record), quote=False)}</pre></details>\n</li>\n')


Group = tuple[str, str, list[tuple[Record, str]]]  # anchor, heading, entries


def _by_year(entries: Iterable[tuple[Record, str]]) -> list[Group]:
    by_year: dict[int | None, list[tuple[Record, str]]] = {}
    for record, fragment in entries:
        by_year.setdefault(record.issued.year if record.issued else None, []).append((record, fragment))
    # Newest first, undated last; within a year, the style's order.
    ordered = sorted(by_year.items(), key=lambda item: -item[0] if item[0] is not None else 1)
    return [(f"y{year}" if year is not None else "y-undated", str(year or "Undated"), members)
            for year, members in ordered]


def _by_type(entries: Iterable[tuple[Record, str]]) -> list[Group]:
    labels = dict(TYPE_GROUPS)
    by_type: dict[str, list[tuple[Record, str]]] = {}
    for record, fragment in entries:
        by_type.setdefault(record.type if record.type in labels else OTHER, []).append((record, fragment))
    order = [t for t, _ in TYPE_GROUPS] + [OTHER]
    out = []
    for kind in order:
        if kind in by_type:
            # Newest first; within a year, the style's order (the sort is stable).
            members = sorted(by_type[kind], key=lambda e: -(e[0].issued.year if e[0].issued else 0))
            out.append((f"t-{kind.lower()}", labels.get(kind, OTHER), members))
    return out


GROUPINGS = {"year": _by_year, "type": _by_type}


def render(records: Sequence[Record], style: str, locale: str, page: PageOptions | None = None) -> bytes:
    from bibkit.exporters.citeproc import render_entries

    page = page or PageOptions()
    keys = _member_keys(page.members)
    originals = {r.key: r for r in records}
    rules: dict[str, str] = {}
    entries = [(originals[r.key], _classes(_highlight(fragment, originals[r.key], keys), rules))
               for r, fragment in render_entries([_marked(r, keys) for r in records], style, locale, "html")]
    groups: list[Group] = []
    if page.selected_first:
        chosen = [e for e in entries if SELECTED_TAG in e[0].tags]
        if chosen:
            groups.append(("selected", "Selected publications", chosen))
            entries = [e for e in entries if SELECTED_TAG not in e[0].tags]
    groups += GROUPINGS[page.group_by](entries)
    total = sum(len(members) for _, _, members in groups)
    years = [r.issued.year for _, _, members in groups for r, _ in members if r.issued]
    noun = "publication" if total == 1 else "publications"
    span = (f", {min(years)}–{max(years)}" if min(years) != max(years) else f", {years[0]}") if years else ""
    nav = " ".join(f'<a href="#{anchor}">{html.escape(heading)}</a>' for anchor, heading, _ in groups)
    sections = "".join(
        f'<section class="group" id="{anchor}">\n<h2>{html.escape(heading)}</h2>\n<ol class="entries">\n'
        + "".join(_entry(r, fragment) for r, fragment in members) + "</ol>\n</section>\n"
        for anchor, heading, members in groups)
    sheet = STYLE + "".join(f".{name} {{ {rule} }}\n" for rule, name in rules.items())
    title = html.escape(page.title)
    return f"""<!DOCTYPE html>
<html lang="{_attr(locale)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{_attr(_csp(sheet))}">
<meta name="generator" content="bibkit {__version__}">
<title>{title}</title>
<link rel="icon" href="data:,">
<style>{sheet}</style>
</head>
<body>
<header>
<h1>{title}</h1>
<p class="count" id="count" aria-live="polite">{total} {noun}{span}</p>
<form id="filter-form" role="search" hidden>
<label for="filter">Filter publications</label>
<input id="filter" type="search" placeholder="Filter by title, author, venue or year" autocomplete="off">
</form>
<nav class="groups" aria-label="Sections">{nav}</nav>
</header>
<main>
{sections}<p id="none" hidden>No publication matches the filter.</p>
</main>
<footer>Made with bibkit from {total} curated {"record" if total == 1 else "records"}.</footer>
<script>{SCRIPT}</script>
</body>
</html>
""".encode()
