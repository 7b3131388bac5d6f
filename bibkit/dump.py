"""Record -> YAML text, in the field order of ``bibkit.fields`` (for import and ``add``)."""

from __future__ import annotations

from typing import Any

import yaml

from bibkit import keys
from bibkit.exporters.csljson import person as csl_person
from bibkit.fields import DATE_FIELDS, NAME_FIELDS, OTHERS, TEXT_FIELDS
from bibkit.model import Person, Record


def name_value(p: Person) -> str | dict[str, str]:
    """The plain ``Given Family`` string when it reads back as the same name, else the mapping."""
    text = str(p)
    try:
        if Person.parse(text) == p and text != OTHERS and "," not in text:
            return text
    except ValueError:
        pass
    return csl_person(p)


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
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1_000_000,
                     default_flow_style=False)


def dump_record(r: Record) -> str:
    return dump_yaml(record_data(r))
