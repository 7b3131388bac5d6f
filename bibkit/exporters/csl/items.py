"""Items as the engine reads them: a CSL-JSON item, prepared once as citeproc-js prepares it.

Names are parsed into parts (particles recognised), dates into their parts (``raw`` dates
read), ``page-first`` derived from ``page``, ``title-short`` from ``shortTitle`` and
``container-title-short`` from ``journalAbbreviation``, and ``key: value`` lines at the start
of ``note`` read as variables (Zotero's way of storing fields it has no place for).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from bibkit.exporters.csl.dates import DATE_VARIABLES, parse_date_object
from bibkit.exporters.csl.names import Name, read_name

NAME_ORDER = tuple("""author chair collection-editor compiler composer container-author contributor
curator director editor editor-translator editorial-director executive-producer guest host illustrator
interviewer narrator organizer original-author performer producer recipient reviewed-author script-writer
series-creator translator commenter""".split())
NAME_VARIABLES = frozenset(NAME_ORDER)

_NOTE_FIELDS = re.compile(r"\{:(?:[\-_a-z]+|[A-Z]+):[^\}]+\}")
_NOTE_FIELD = re.compile(r"^([\-_a-z]+|[A-Z]+):\s*([^\}]+)$")


def _name(value: Any) -> Name:
    """``read_name``, one ``Name`` for equal values: a collection's lists repeat their authors,
    and a list prepares every item before its first citation (a name is not changed once read)."""
    if isinstance(value, dict):
        key = tuple(value.items())
        try:
            return _read_name(key)
        except TypeError:  # (a value that cannot be a key: read as it is)
            pass
    return read_name(value)


@lru_cache(maxsize=65536)
def _read_name(key: tuple[tuple[str, Any], ...]) -> Name:
    return read_name(dict(key))


class Item:
    """One item; ``get`` answers a variable's raw value, ``names`` and ``date`` parsed ones."""

    __slots__ = ("_dates", "_names", "_truthy", "data", "id", "language", "type")

    def __init__(self, data: dict[str, Any]) -> None:
        data = dict(data)
        _note_fields(data)
        page = data.get("page")
        if page not in (None, ""):
            text = str(page)
            first = re.split(r"\s*(?:&|, |-|\u2013)\s*", text)[0]
            data["page-first"] = first if not first.endswith("\\") else text
        if not data.get("title-short") and data.get("shortTitle"):
            data["title-short"] = data["shortTitle"]
        if not data.get("container-title-short") and data.get("journalAbbreviation"):
            data["container-title-short"] = data["journalAbbreviation"]
        self.data = data
        self.id = str(data.get("id"))
        self.type = str(data.get("type") or "")
        self.language = str(data.get("language") or "")
        self._names: dict[str, list[Name]] = {}
        self._truthy: dict[str, bool] = {}
        self._dates: dict[str, dict[str, Any]] = {}
        for key, value in data.items():
            if key in NAME_VARIABLES:
                if isinstance(value, str | int):
                    self._names[key] = [read_name({"literal": str(value)})]
                elif isinstance(value, dict):
                    self._names[key] = [_name(value)]
                elif isinstance(value, list):
                    self._names[key] = [_name(v) for v in value]
            elif key in DATE_VARIABLES and value:
                self._dates[key] = parse_date_object(value)

    def get(self, name: str, default: Any = None) -> Any:
        if name in self._dates:
            return self._dates[name]
        return self.data.get(name, default)

    def names(self, name: str) -> list[Name]:
        return self._names.get(name, [])

    def date(self, name: str) -> dict[str, Any] | None:
        return self._dates.get(name)

    @property
    def has_date_range(self) -> bool:
        return any(key.endswith("_end") for date in self._dates.values() for key in date)

    def text(self, name: str) -> str | None:
        """A text or number variable's value as text; None when absent or empty."""
        value = self.data.get(name)
        if value is None or isinstance(value, bool):
            return None
        if isinstance(value, str):
            return value or None
        if isinstance(value, int | float):
            return str(value)
        return None

    def truthy(self, name: str) -> bool:
        """Whether ``<if variable="...">`` sees the variable (citeproc-js's test)."""
        try:
            return self._truthy[name]
        except KeyError:
            found = self._truthy[name] = self._test(name)
            return found

    def _test(self, name: str) -> bool:
        value = self.data.get(name)
        if value is None:  # (most variables a style tests for: nothing else holds one without it)
            return False
        if name in self._names:
            return bool(self._names[name])
        if name in self._dates:
            return any(bool(v) for v in self._dates[name].values())
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return bool(value)
        if isinstance(value, dict):
            return any(bool(v) for v in value.values())
        if isinstance(value, list):
            return bool(value)
        return bool(value)


def _note_fields(item: dict[str, Any]) -> None:
    """``key: value`` lines at the top of ``note`` become variables the item lacks."""
    note = item.get("note")
    if not isinstance(note, str):
        return
    lines = note.split("\n")
    for i, line in enumerate(lines):
        found = _NOTE_FIELDS.findall(line)
        if found:
            pieces = _NOTE_FIELDS.split(line)
            elems: list[str] = []
            for j in range(len(pieces) - 1):
                elems += [pieces[j], found[j]]
            elems.append(pieces[-1])
            for j in range(1, len(elems), 2):
                if elems[j - 1].strip() and (i > 0 or j > 1) and not _NOTE_FIELD.match(elems[j - 1]):
                    break
                elems[j] = "\n" + elems[j][2:-1].strip() + "\n"
            lines[i] = "".join(elems)
    lines = "\n".join(lines).split("\n")
    offset = 0
    names: dict[str, list[dict[str, Any]]] = {}
    for i, line in enumerate(lines):
        m = _NOTE_FIELD.match(line)
        if not line.strip():
            continue
        if not m:
            if i == 0:
                continue
            offset = i
            break
        key, value = m.group(1), m.group(2).strip()
        if key == "type":
            item["type"] = value
            lines[i] = ""
        elif key.removeprefix("alt-") in DATE_VARIABLES:
            item[key] = {"raw": value}
            lines[i] = ""
        elif not item.get(key):
            if key.removeprefix("alt-") in NAME_VARIABLES:
                parts = re.split(r"\s*\|\|\s*", value)
                if len(parts) == 1:
                    names.setdefault(key, []).append({"literal": parts[0]})
                elif len(parts) == 2:
                    names.setdefault(key, []).append({"family": parts[0], "given": parts[1]})
            else:
                item[key] = value
            lines[i] = ""
    for key, value in names.items():
        item[key] = value
    del offset
    item["note"] = "\n".join(lines).strip()
