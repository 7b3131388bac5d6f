"""CSL-JSON: the record is already in CSL's vocabulary; this adds what CSL spells differently.

arXiv preprints (CSL has no preprint type) are written the way Zotero and pandoc expect:
``type: article``, ``number: arXiv:ID``, ``DOI: 10.48550/arXiv.ID`` and ``URL`` to the abstract
page (``publisher: arXiv`` the records state themselves). A published paper keeps its own DOI
and URL; its arXiv identifier goes only to ``custom``, so that styles do not print a preprint
DOI for a journal article. bibkit's own fields (arXiv identifier and class, an incomplete author
list, venues, tags, imported extras, former keys, code and project-page links) go to ``custom``,
the schema's place for extra data; any other key would make the item invalid.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bibkit.model import Person, Record

NAME_KEYS = ("family", "given", "non-dropping-particle", "dropping-particle", "suffix", "literal")


def person(p: Person) -> dict[str, str]:
    values = (p.family, p.given, p.non_dropping_particle, p.dropping_particle, p.suffix, p.literal)
    return {k: v for k, v in zip(NAME_KEYS, values, strict=True) if v is not None}


def item(r: Record) -> dict[str, Any]:
    """One CSL item; keys in a fixed order so that output is byte-stable."""
    out: dict[str, Any] = {"id": r.key, "type": r.type, "title": r.title}
    if r.author:
        out["author"] = [person(p) for p in r.author]
    if r.editor:
        out["editor"] = [person(p) for p in r.editor]
    if r.issued:
        out["issued"] = {"date-parts": [r.issued.parts]}
    out.update(r.text)
    preprint = r.type == "article" and r.arxiv is not None
    if preprint and r.arxiv is not None:
        out.setdefault("number", f"arXiv:{r.arxiv.base}")
    doi = r.doi.value if r.doi else (r.arxiv.doi if preprint and r.arxiv else None)
    if doi:
        out["DOI"] = doi
    url = r.url or (r.arxiv.url if preprint and r.arxiv else None)
    if url:
        out["URL"] = url
    custom: dict[str, Any] = {}
    if r.arxiv:
        custom["arxiv"] = r.arxiv.base
    if r.arxiv_class:
        custom["arxiv-class"] = r.arxiv_class
    if r.author_truncated:
        custom["author-incomplete"] = True  # CSL names cannot say "and others"
    if r.venues:
        custom["venues"] = list(r.venues)
    if r.tags:
        custom["tags"] = list(r.tags)
    if r.extra:
        custom["extra"] = dict(r.extra)
    if r.ids:
        custom["ids"] = list(r.ids)
    for name, url in (("code", r.code), ("project-page", r.project_page)):
        if url:
            custom[name] = url
    if custom:
        out["custom"] = custom
    return out


def render(records: Sequence[Record]) -> bytes:
    return (json.dumps([item(r) for r in records], indent=2, ensure_ascii=False) + "\n").encode("utf-8")
