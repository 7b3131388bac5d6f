"""CSL-JSON -> Records. The model speaks CSL, so this is mostly a copy; what it has no place for
(and bibkit's own ``custom`` data from its CSL-JSON export) is read back or kept in ``extra``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bibkit.diagnostics import BibkitError
from bibkit.fields import CSL_TYPES, TEXT_FIELDS
from bibkit.imports import Imported, KeyBook
from bibkit.model import ArxivId, Date, Doi, Person, Record, check_url

_NAME_PARTS = {"family": "family", "given": "given", "non-dropping-particle": "non_dropping_particle",
               "dropping-particle": "dropping_particle", "suffix": "suffix", "literal": "literal"}
# Read for the model's own values, so never kept in `extra`.
USED = frozenset({"id", "type", "title", "author", "editor", "issued", "DOI", "URL", "custom",
                  "number", "publisher"}) | frozenset(TEXT_FIELDS)
_ARXIV_NUMBER = re.compile(r"arXiv:(\S+)", re.I)
_ARXIV_DOI = re.compile(r"10\.48550/arXiv\.(\S+)", re.I)


def _person(value: Any) -> Person:
    if not isinstance(value, dict):
        raise ValueError(f"a name must be an object, not {value!r}")
    parts = {_NAME_PARTS[k]: str(v).strip() for k, v in value.items() if k in _NAME_PARTS and str(v).strip()}
    if "literal" in parts:
        return Person(literal=parts["literal"])
    if "family" not in parts:
        if "given" in parts:
            return Person(family=parts.pop("given"), **{k: v for k, v in parts.items()})
        raise ValueError(f"a name needs a family name: {value!r}")
    return Person(**parts)


def _date(value: Any) -> Date | None:
    if not isinstance(value, dict):
        return None
    parts = value.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        first = [int(p) for p in parts[0][:3]]
        return Date.parse("-".join(f"{p:02d}" if i else f"{p:04d}" for i, p in enumerate(first)))
    for key in ("raw", "literal"):
        text = value.get(key)
        if isinstance(text, str):
            m = re.match(r"\d{4}(-\d{2}(-\d{2})?)?", text.strip())
            if m:
                return Date.parse(m.group())
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _item(index: int, item: Any, book: KeyBook, result: Imported) -> None:
    label = str(item.get("id", f"#{index + 1}")) if isinstance(item, dict) else f"#{index + 1}"
    if not isinstance(item, dict):
        result.skipped.append((label, "not a CSL item (an object)"))
        return
    title = str(item.get("title", "")).strip()
    if not title:
        result.skipped.append((label, "no title"))
        return
    extra: dict[str, str] = {}
    csl_type = str(item.get("type", ""))
    if csl_type not in CSL_TYPES:
        result.notes.append((label, f"type {csl_type!r} is not a CSL type; imported as 'document'"))
        extra["type"] = csl_type
        csl_type = "document"
    values: dict[str, Any] = {"type": csl_type, "title": title}
    for role in ("author", "editor"):
        if isinstance(item.get(role), list):
            values[role] = tuple(_person(p) for p in item[role])
    issued = _date(item.get("issued"))
    if issued is not None:
        values["issued"] = issued
    elif "issued" in item:
        extra["issued"] = _text(item["issued"])
        result.notes.append((label, "issued kept in 'extra': no date-parts, raw or literal date"))
    custom: dict[str, Any] = item["custom"] if isinstance(item.get("custom"), dict) else {}
    arxiv_text = custom.get("arxiv")
    if not arxiv_text:
        for pattern, key in ((_ARXIV_NUMBER, "number"), (_ARXIV_DOI, "DOI")):
            m = pattern.search(str(item.get(key, "")))
            if m:
                arxiv_text = m.group(1)
                break
    if not arxiv_text and "arxiv" in (str(item.get("publisher", "")) + str(item.get("container-title", ""))).lower():
        arxiv_text = str(item.get("number", "")).strip() or None  # Manubot: number 1806.05726v1
    if arxiv_text:
        try:
            values["arxiv"] = ArxivId(ArxivId.parse(str(arxiv_text)).base)  # the paper, not a version
        except ValueError as exc:
            result.notes.append((label, f"arXiv identifier ignored: {exc}"))
    if custom.get("arxiv-class"):
        values["arxiv_class"] = str(custom["arxiv-class"])
    preprint = csl_type == "article" and "arxiv" in values
    doi = str(item.get("DOI", "")).strip()
    if doi and not (preprint and _ARXIV_DOI.fullmatch(doi)):
        try:
            values["doi"] = Doi.parse(re.sub(r"^https?://(dx\.)?doi\.org/", "", doi))
        except ValueError as exc:
            extra["DOI"] = doi
            result.notes.append((label, f"DOI kept in 'extra': {exc}"))
    url = str(item.get("URL", "")).strip()
    if url and not (preprint and url == values["arxiv"].url):
        try:
            values["url"] = check_url(url)
        except ValueError as exc:
            extra["URL"] = url
            result.notes.append((label, f"URL kept in 'extra': {exc}"))
    text = {k: _text(item[k]).strip() for k in TEXT_FIELDS
            if k in item and k not in ("number", "publisher") and _text(item[k]).strip()}
    for key in ("number", "publisher"):
        value = _text(item.get(key, "")).strip()
        derived = key == "number" and preprint and value == f"arXiv:{values['arxiv'].base}"
        if value and not derived:
            text[key] = value
    values["text"] = {k: text[k] for k in TEXT_FIELDS if k in text}
    if custom.get("author-incomplete") is True:
        values["author_truncated"] = True
    for name in ("venues", "tags"):
        if isinstance(custom.get(name), list):
            values[name] = tuple(str(v) for v in custom[name])
    if isinstance(custom.get("extra"), dict):
        extra.update({str(k): _text(v) for k, v in custom["extra"].items()})
    for k in sorted(item):
        if k not in USED:
            extra[k] = _text(item[k])
    values["extra"] = {k: v for k, v in extra.items() if v.strip()}
    key = str(item.get("id", "")).strip()
    new_key = book.claim(key, Record(key=key, **values), result.notes)
    result.records.append(Record(key=new_key, **values))


def read(path: Path, book: KeyBook) -> Imported:
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
    result = Imported()
    for i, item in enumerate(items):
        try:
            _item(i, item, book, result)
        except (ValueError, TypeError) as exc:
            label = str(item.get("id", f"#{i + 1}")) if isinstance(item, dict) else f"#{i + 1}"
            result.skipped.append((label, str(exc)))
    return result
