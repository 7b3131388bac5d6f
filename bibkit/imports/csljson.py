"""CSL-JSON -> Records. The model speaks CSL, so this is mostly a copy: every CSL 1.0.2 variable
has a home (``bibkit.fields``), bibkit's own fields come back from ``custom``, and what has no
home is kept in ``extra`` as the data it is (text stays text, a list stays a list)."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bibkit import keys, richtext
from bibkit.diagnostics import BibkitError
from bibkit.fields import CSL_TEXT_FIELDS, CSL_TYPES, DATE_FIELDS, FIELD_BY_NAME, NAME_FIELDS, TEXT_FIELDS
from bibkit.imports import Imported, KeyBook
from bibkit.model import ArxivId, Date, Doi, Person, Record, check_url

# Names the CSL-JSON schema (and Zotero) use for a variable the model has under its CSL 1.0.2
# name: read as that variable (docs/formats.md).
ALIASES = {"journalAbbreviation": "container-title-short", "shortTitle": "title-short", "part": "part-number",
           "printing": "printing-number", "supplement": "supplement-number"}
_NAME_PARTS = {"family": "family", "given": "given", "non-dropping-particle": "non_dropping_particle",
               "dropping-particle": "dropping_particle", "suffix": "suffix", "literal": "literal"}
# Read for the model's own values, so never kept in `extra`.
USED = frozenset({"id", "type", "title", "author", "editor", "issued", "DOI", "URL", "custom", "number",
                  "publisher", "citation-key"}) | CSL_TEXT_FIELDS | frozenset(NAME_FIELDS) | frozenset(DATE_FIELDS)
# Written by CSL processors, not data about the item.
_PROCESSOR_VARIABLES = frozenset({"citation-number", "first-reference-note-number", "locator", "year-suffix"})
_ARXIV_NUMBER = re.compile(r"arXiv:(\S+)", re.I)
_ARXIV_DOI = re.compile(r"10\.48550/arXiv\.(\S+)", re.I)
_ARXIV_URL = re.compile(r"^https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/(\S+?)(?:\.pdf)?/?$", re.I)


def _person(value: Any) -> Person:
    if not isinstance(value, dict):
        raise ValueError(f"a name must be an object, not {value!r}")
    parts = {_NAME_PARTS[k]: str(v).strip() for k, v in value.items() if k in _NAME_PARTS and str(v).strip()}
    if "literal" in parts:
        return Person(literal=parts["literal"])
    if "family" not in parts:
        if "given" in parts:
            return Person(literal=parts["given"])  # a single-part name: print it as it is
        raise ValueError(f"a name needs a family name: {value!r}")
    return Person(**parts)


def _date(value: Any) -> Date | None:
    if isinstance(value, str):
        value = {"raw": value}
    if not isinstance(value, dict):
        return None
    parts = value.get("date-parts")
    if isinstance(parts, list) and parts and all(isinstance(p, list) and p for p in parts[:2]):
        dates = [Date.parse("-".join(f"{int(p):02d}" if i else f"{int(p):04d}" for i, p in enumerate(one[:3])))
                 for one in parts[:2]]
        if len(dates) == 2 and dates[1] != dates[0]:
            return Date.parse(f"{dates[0]}/{dates[1]}")
        return dates[0]
    for key in ("raw", "literal"):
        text = value.get(key)
        if isinstance(text, str):
            m = re.match(r"\d{4}(-\d{2}(-\d{2})?)?", text.strip())
            if m:
                return Date.parse(m.group())
    return None


def _exact(value: Any, date: Date) -> bool:
    """Whether ``date`` says all that ``value`` did (one date or a range, nothing but its parts)."""
    if not isinstance(value, dict) or set(value) != {"date-parts"}:
        return False
    parts = value["date-parts"]
    return [[int(p) for p in one] for one in parts] == [date.parts] + ([date.end.parts] if date.end else [])


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        return str(value).strip() or None
    return None


def _item(index: int, item: Any, book: KeyBook, result: Imported) -> Record | None:
    label = str(item.get("id", f"#{index + 1}")) if isinstance(item, dict) else f"#{index + 1}"
    if not isinstance(item, dict):
        result.problems.append((index + 1, f"item {label} is not a CSL item (an object)"))
        return None
    extra: dict[str, Any] = {}
    custom: dict[str, Any] = item["custom"] if isinstance(item.get("custom"), dict) else {}
    item = dict(item)
    for alias, name in ALIASES.items():
        if alias in item and (name not in item or item[name] == item[alias]):
            item[name] = item.pop(alias)
    csl_type = str(item.get("type", ""))
    if csl_type not in CSL_TYPES:
        result.notes.append((label, f"type {csl_type!r} is not a CSL type; imported as 'document'"))
        extra["type"] = item.get("type")
        csl_type = "document"
    title = _text(item.get("title")) or ""
    if richtext.check(title):
        result.notes.append((label, f"title: {richtext.check(title)}"))
    values: dict[str, Any] = {"type": csl_type, "title": title}
    names: dict[str, tuple[Person, ...]] = {}
    for role in ("author", "editor", *NAME_FIELDS):
        source = item if role in item else custom if FIELD_BY_NAME.get(role) and role in custom else None
        if source is not None and isinstance(source.get(role), list):
            try:
                people = tuple(_person(p) for p in source[role])
            except ValueError as exc:
                extra[role] = source[role]
                result.notes.append((label, f"{role} kept in 'extra': {exc}"))
                continue
            if role in ("author", "editor"):
                values[role] = people
            else:
                names[role] = people
    values["names"] = names
    dates: dict[str, Date] = {}
    for name in ("issued", *DATE_FIELDS):
        if name not in item:
            continue
        try:
            parsed = _date(item[name])
        except (ValueError, TypeError):
            parsed = None
        if parsed is None or not _exact(item[name], parsed):
            extra[name] = item[name]  # ranges, seasons, circa: kept as they are, for CSL-JSON
            if parsed is None:
                result.notes.append((label, f"{name} kept in 'extra': not a date bibkit can read"))
                continue
        if name == "issued":
            values["issued"] = parsed
        else:
            dates[name] = parsed
    values["dates"] = dates
    arxiv_text = custom.get("arxiv")
    if not arxiv_text:
        for pattern, key in ((_ARXIV_NUMBER, "number"), (_ARXIV_DOI, "DOI"), (_ARXIV_URL, "URL")):
            m = pattern.search(str(item.get(key, "")))
            if m:
                arxiv_text = m.group(1)
                break
    if not arxiv_text and "arxiv" in (str(item.get("publisher", "")) + str(item.get("container-title", ""))).lower():
        arxiv_text = str(item.get("number", "")).strip() or None  # Manubot: number 1806.05726v1
    if arxiv_text:
        try:
            values["arxiv"] = ArxivId.parse(str(arxiv_text))
        except ValueError as exc:
            result.notes.append((label, f"arXiv identifier ignored: {exc}"))
    if custom.get("arxiv-class"):
        values["arxiv_class"] = str(custom["arxiv-class"])
    # What bibkit's own CSL-JSON export wrote from other fields (custom.derived) is not the record's.
    derived = {str(v) for v in custom.get("derived", [])} if isinstance(custom.get("derived"), list) else set()
    doi = "" if "DOI" in derived else _text(item.get("DOI")) or ""
    if doi:
        try:
            values["doi"] = Doi.parse(re.sub(r"^https?://(dx\.)?doi\.org/", "", doi))
        except ValueError as exc:
            extra["DOI"] = item["DOI"]
            result.notes.append((label, f"DOI kept in 'extra': {exc}"))
    url = "" if "URL" in derived else _text(item.get("URL")) or ""
    if url:
        try:
            values["url"] = check_url(url)
        except ValueError as exc:
            extra["URL"] = item["URL"]
            result.notes.append((label, f"URL kept in 'extra': {exc}"))
    text: dict[str, str] = {}
    for key in TEXT_FIELDS:
        source = item if key in CSL_TEXT_FIELDS else custom
        if key not in source:
            continue
        value = _text(source[key])
        if value is None:
            extra[key] = source[key]
            continue
        if key not in derived:
            text[key] = value
    values["text"] = {k: text[k] for k in TEXT_FIELDS if k in text}
    if custom.get("author-incomplete") is True:
        values["author_truncated"] = True
    for name in ("venues", "tags", "ids"):
        if isinstance(custom.get(name), list):
            values[name] = tuple(str(v) for v in custom[name])
    for name in ("code", "project-page"):
        if isinstance(custom.get(name), str):
            try:
                values[name.replace("-", "_")] = check_url(custom[name])
            except ValueError:
                extra[name] = custom[name]
    if isinstance(custom.get("extra"), dict):
        extra.update(custom["extra"])
    own = {"arxiv", "arxiv-class", "author-incomplete", "venues", "tags", "ids", "code", "project-page", "extra",
           "derived"} | set(TEXT_FIELDS) | set(NAME_FIELDS)
    if custom:
        rest = {k: v for k, v in custom.items() if k not in own}
        if rest:
            extra["custom"] = rest
    for k in sorted(item):
        if k not in USED and k not in _PROCESSOR_VARIABLES:
            extra[k] = item[k]
    values["extra"] = {k: v for k, v in extra.items() if v not in (None, "", [], {})}
    # The citation key: CSL's citation-key when the item has one (the id may be a database's URI),
    # else the id. An id that is not the key is kept, so that the CSL-JSON export gives it back.
    ident = _text(item.get("id")) or ""
    key = (_text(item.get("citation-key")) or ident) if keys.is_valid_key(_text(item.get("citation-key")) or "") \
        else ident
    draft = Record(key=key, **values)
    new_key = book.claim(key, draft, result.notes)  # (CSL processors differ in which of two they keep)
    if ident and ident != new_key:
        draft = dataclasses.replace(draft, extra={**draft.extra, "id": item["id"]})
    if "citation-key" in item and item["citation-key"] != new_key:
        draft = dataclasses.replace(draft, extra={**draft.extra, "citation-key": item["citation-key"]})
    if not title:
        result.notes.append((new_key, "no title; imported as it is"))
    return draft if new_key == key else dataclasses.replace(draft, key=new_key)


def read(path: Path, book: KeyBook) -> Imported:
    result = Imported()
    result.records.extend(records(path, book, result))
    return result


def records(path: Path, book: KeyBook, result: Imported) -> Iterator[Record]:
    """The file's records one by one, its problems and notes into ``result`` as they are met."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except OSError as exc:
        raise BibkitError(f"{path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise BibkitError(f"{path}:{exc.lineno}:{exc.colno}: not CSL-JSON: {exc.msg}") from None
    except UnicodeDecodeError as exc:
        raise BibkitError(f"{path}: not CSL-JSON: not UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset "
                          f"{exc.start})") from None
    items = data if isinstance(data, list) else [data] if isinstance(data, dict) else None
    if items is None:
        raise BibkitError(f"{path}: not CSL-JSON: expected a list of items")
    for i, item in enumerate(items):
        try:
            record = _item(i, item, book, result)
        except (ValueError, TypeError) as exc:
            label = str(item.get("id", f"#{i + 1}")) if isinstance(item, dict) else f"#{i + 1}"
            result.problems.append((i + 1, f"item {label}: {exc}"))
            continue
        if record is not None:
            yield record
