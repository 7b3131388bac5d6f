"""CSL-JSON: the record is already in CSL's vocabulary; this adds what CSL spells differently.

arXiv preprints (CSL has no preprint type) are written the way Zotero and pandoc expect:
``type: article``, ``number: arXiv:ID``, ``DOI: 10.48550/arXiv.ID`` and ``URL`` to the abstract
page (``publisher: arXiv`` the records state themselves); what the record does not hold itself
is named in ``custom.derived``, so that importing the file again gives the same record. A
published paper keeps its own DOI and URL; its arXiv identifier goes only to ``custom``, so that
styles do not print a preprint DOI for a journal article. bibkit's own fields (arXiv identifier
and class, an incomplete author list, venues, tags, imported extras, former keys, code and
project-page links) go to ``custom``, the schema's place for extra data; any other key would make
the item invalid.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bibkit.fields import (
    CSL_EXTRA_VARIABLES,
    CSL_JSON_NAMES,
    CSL_TEXT_FIELDS,
    CSL_TYPES,
    FIELD_BY_NAME,
    NAME_FIELDS,
    Kind,
)
from bibkit.model import Date, Person, Record

NAME_KEYS = ("family", "given", "non-dropping-particle", "dropping-particle", "suffix", "literal")


def person(p: Person) -> dict[str, str]:
    values = (p.family, p.given, p.non_dropping_particle, p.dropping_particle, p.suffix, p.literal)
    return {k: v for k, v in zip(NAME_KEYS, values, strict=True) if v is not None}


def date_value(date: Date) -> dict[str, Any]:
    """CSL's date: one list of parts, or two for a range."""
    return {"date-parts": [date.parts] + ([date.end.parts] if date.end else [])}


def item(r: Record) -> dict[str, Any]:
    """One CSL item; keys in a fixed order so that output is byte-stable."""
    # A record without a CSL type (a finding of its own) is a generic document, as BibTeX's @misc.
    out: dict[str, Any] = {"id": r.key, "type": r.type if r.type in CSL_TYPES else "document", "title": r.title}
    custom: dict[str, Any] = {}
    for role in ("author", "editor", *NAME_FIELDS):
        people = r.people(role)
        if people:
            (out if FIELD_BY_NAME[role].csl else custom)[role] = [person(p) for p in people]
    if r.issued:
        out["issued"] = date_value(r.issued)
    for name, date in r.dates.items():
        out[name] = date_value(date)
    for name, value in r.text.items():
        if name not in CSL_TEXT_FIELDS:
            custom[name] = value
        elif CSL_JSON_NAMES.get(name, name) in r.extra:  # the source gave both names, with other values
            out[name] = value
        else:
            out[CSL_JSON_NAMES.get(name, name)] = value
    # Values CSL consumers look for, written from other fields; `custom.derived` names them, so
    # that an import of this file does not take them for the record's own.
    derived: dict[str, str] = {}
    if r.type in ("thesis", "report") and "publisher" not in out and r.get("institution"):
        derived["publisher"] = r.text["institution"]  # where CSL styles look for a university
    if r.type == "article" and r.arxiv is not None:  # a preprint, as Zotero and pandoc write one
        if "number" not in out:
            derived["number"] = f"arXiv:{r.arxiv.base}"
        if r.doi is None:
            derived["DOI"] = r.arxiv.doi
        if r.url is None:
            derived["URL"] = r.arxiv.url
    if r.doi:
        out["DOI"] = r.doi.value
    if r.url:
        out["URL"] = r.url
    out.update(derived)
    if derived:
        custom["derived"] = sorted(derived)
    if r.arxiv:
        custom["arxiv"] = str(r.arxiv)
    if r.arxiv_class:
        custom["arxiv-class"] = r.arxiv_class
    if r.author_truncated:
        custom["author-incomplete"] = True  # CSL names cannot say "and others"
    if r.venues:
        custom["venues"] = list(r.venues)
    if r.tags:
        custom["tags"] = list(r.tags)
    # What the model could not read goes back where it came from: a CSL variable (an id that is
    # not the key, a date range with a season, a DOI the model rejects) to the item, anything
    # else to `custom`, the only place the schema leaves for it.
    # (A text field the record holds is also kept as written when its LaTeX has commands rich text
    # cannot hold: that copy is for BibTeX, and stays in `custom`.)
    top = {k: v for k, v in r.extra.items() if _is_variable(k, v) and k not in r.text}
    rest = {k: v for k, v in r.extra.items() if k not in top and k != "custom"}
    if rest:
        custom["extra"] = rest
    if isinstance(r.extra.get("custom"), dict):
        custom.update({k: v for k, v in r.extra["custom"].items() if k not in custom})
    if r.ids:
        custom["ids"] = list(r.ids)
    for name, url in (("code", r.code), ("project-page", r.project_page)):
        if url:
            custom[name] = url
    if custom:
        out["custom"] = custom
    out.update(top)
    if out["id"] != r.key:  # the item's id is another system's: the key is its citation-key
        out.setdefault("citation-key", r.key)
    return out


def _is_variable(name: str, value: object) -> bool:
    """A CSL variable, with a value of its shape: a BibTeX name list kept as written is text,
    which as a CSL name variable would make the item invalid (it goes to custom). A date may be
    text: the schema takes an EDTF string."""
    spec = FIELD_BY_NAME.get(name)
    if name == "type" or spec is None or not spec.csl:
        return name in CSL_EXTRA_VARIABLES
    return spec.kind is not Kind.NAMES or isinstance(value, list)


def render(records: Sequence[Record]) -> bytes:
    return (json.dumps([item(r) for r in records], indent=2, ensure_ascii=False) + "\n").encode("utf-8")
