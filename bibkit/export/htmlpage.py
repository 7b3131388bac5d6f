"""A publications page: one self-contained static HTML file, grouped by year, newest first.

Each entry is formatted by a CSL style (citeproc-py, through ``citeproc.render_entries``), with
links to arXiv, the PDF and the DOI, venue badges, and a text filter. The page makes no request
of its own: styles and script are inline, there are no fonts or images, and a Content Security
Policy forbids everything else (only the page's own script, by hash, may run). Without
JavaScript every entry is shown and the filter stays hidden. The filter reads and writes the
address's fragment, ``page.html#q=pythia``, so a filtered view can be linked to.

The same records give the same bytes: no date, no random ids.
"""

from __future__ import annotations

import base64
import hashlib
import html
import unicodedata
from collections.abc import Iterable, Sequence

from bibkit import __version__
from bibkit.model import Record

TITLE = "Publications"

STYLE = """
:root { color-scheme: light dark; --fg: #1d1d1f; --muted: #5f6368; --bg: #fff; --line: #e3e3e6;
  --accent: #0b57d0; --badge-bg: #eef2fb; --badge-fg: #1f3a68; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e8e8ea; --muted: #a0a4ab; --bg: #141416; --line: #2e2f33; --accent: #8ab4f8;
    --badge-bg: #23304a; --badge-fg: #cddcff; }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header, main, footer { max-width: 60rem; margin: 0 auto; padding: 0 1.25rem; }
header { padding-top: 2rem; }
h1 { font-size: 2rem; margin: 0 0 .25rem; }
.count { color: var(--muted); margin: 0 0 1rem; }
form { margin: 0 0 .75rem; }
label { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
input[type=search] { width: 100%; font: inherit; padding: .55rem .8rem; color: inherit;
  background: transparent; border: 1px solid var(--line); border-radius: .5rem; }
input[type=search]:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
nav.years { display: flex; flex-wrap: wrap; gap: .25rem .9rem; padding-bottom: .75rem;
  border-bottom: 1px solid var(--line); }
a { color: var(--accent); text-decoration: none; }
a:hover, a:focus-visible { text-decoration: underline; }
h2 { font-size: 1.35rem; margin: 1.75rem 0 .5rem; }
ol.entries { list-style: none; margin: 0; padding: 0; }
li.entry { padding: .7rem 0; border-bottom: 1px solid var(--line); }
li.entry:last-child { border-bottom: 0; }
.csl-entry { overflow-wrap: anywhere; }
.meta { display: flex; flex-wrap: wrap; align-items: center; gap: .35rem .6rem; margin: .35rem 0 0;
  font-size: .85rem; }
.badge { background: var(--badge-bg); color: var(--badge-fg); border-radius: 999px; padding: .05rem .6rem;
  font-weight: 600; }
.links a { margin-right: .6rem; }
#none { color: var(--muted); font-style: italic; }
footer { color: var(--muted); font-size: .8rem; padding-top: 2rem; padding-bottom: 2rem; }
@media print { form, nav.years { display: none !important; } a { color: inherit; } }
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
  var sections = Array.prototype.slice.call(document.querySelectorAll("section.year"));
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


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    # The icon is data: so that browsers do not ask for /favicon.ico; style attributes come from
    # citeproc-py (small caps), hence 'unsafe-inline' for styles only.
    return (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; "
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


def _links(record: Record) -> list[tuple[str, str]]:
    links: list[tuple[str, str]] = []
    if record.arxiv is not None:
        links.append(("arXiv", record.arxiv.url))
        links.append(("PDF", record.arxiv.pdf_url))
    if record.doi is not None:
        links.append(("DOI", record.doi.url))
    # The publisher's page, when neither link above already leads there.
    if record.url and not record.url.startswith(("https://arxiv.org/", "https://doi.org/")) and record.doi is None:
        links.append(("Web", record.url))
    return links


def _entry(record: Record, fragment: str) -> str:
    badges = "".join(f'<span class="badge">{html.escape(v)}</span>' for v in record.venues)
    links = "".join(f'<a href="{_attr(url)}">{label}</a>' for label, url in _links(record))
    meta = f'\n  <p class="meta">{badges}<span class="links">{links}</span></p>' if badges or links else ""
    return (f'<li class="entry" id="ref-{_attr(record.key)}" data-search="{_attr(_search_text(record))}">\n'
            f'  <div class="csl-entry">{fragment}</div>{meta}\n</li>\n')


def _groups(entries: Iterable[tuple[Record, str]]) -> list[tuple[int | None, list[tuple[Record, str]]]]:
    by_year: dict[int | None, list[tuple[Record, str]]] = {}
    for record, fragment in entries:
        by_year.setdefault(record.issued.year if record.issued else None, []).append((record, fragment))
    # Newest first, undated last; within a year, the style's order.
    return sorted(by_year.items(), key=lambda item: -item[0] if item[0] is not None else 1)


def render(records: Sequence[Record], style: str, locale: str) -> bytes:
    from bibkit.export.citeproc import render_entries

    entries = render_entries(records, style, locale, "html")
    groups = _groups(entries)
    years = [y for y, _ in groups if y is not None]
    noun = "publication" if len(entries) == 1 else "publications"
    span = (f", {min(years)}–{max(years)}" if min(years) != max(years) else f", {years[0]}") if years else ""
    nav = " ".join(f'<a href="#y{y or "-undated"}">{y or "Undated"}</a>' for y, _ in groups)
    sections = []
    for year, members in groups:
        anchor = f"y{year}" if year is not None else "y-undated"
        body = "".join(_entry(r, fragment) for r, fragment in members)
        sections.append(f'<section class="year" id="{anchor}">\n<h2>{year or "Undated"}</h2>\n'
                        f'<ol class="entries">\n{body}</ol>\n</section>\n')
    page = f"""<!DOCTYPE html>
<html lang="{_attr(locale)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{_attr(_csp())}">
<meta name="generator" content="bibkit {__version__}">
<title>{TITLE}</title>
<link rel="icon" href="data:,">
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>{TITLE}</h1>
<p class="count" id="count" aria-live="polite">{len(entries)} {noun}{span}</p>
<form id="filter-form" role="search" hidden>
<label for="filter">Filter publications</label>
<input id="filter" type="search" placeholder="Filter by title, author, venue or year" autocomplete="off">
</form>
<nav class="years" aria-label="Years">{nav}</nav>
</header>
<main>
{"".join(sections)}<p id="none" hidden>No publication matches the filter.</p>
</main>
<footer>Made with bibkit from {len(entries)} curated {"record" if len(entries) == 1 else "records"}.</footer>
<script>{SCRIPT}</script>
</body>
</html>
"""
    return page.encode()
