"""Dates: reading CSL-JSON dates (``date-parts``, ``raw``, ``literal``, ``season``, ``circa``) and
the parts of a date as a style prints them, including ranges (``May 3–June 5, 2020``)."""

from __future__ import annotations

import re
from typing import Any

DATE_VARIABLES = frozenset({"issued", "event-date", "accessed", "original-date", "publication-date",
                            "available-date", "submitted", "locator-date"})

_MONTHS = "january february march april may june july august september october november december " \
          "spring summer fall winter spring summer"
_MONTH_RES = [re.compile("(?:" + name[:3] + ")") for name in _MONTHS.split()]


def _js_int(text: Any) -> int | None:
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text
    m = re.match(r"\s*([-+]?\d+)", str(text))
    return int(m.group(1)) if m else None


def parse_date_object(value: Any) -> dict[str, Any]:
    """A CSL-JSON date as a flat dict: year, month, day, their ``_end`` counterparts for a
    range, season, circa, literal (citeproc-js's ``dateParseArray``; ``raw`` is parsed)."""
    if not isinstance(value, dict):
        if isinstance(value, str):
            return parse_raw(value)
        return {}
    if value.get("raw") and not value.get("date-parts"):
        return parse_raw(str(value["raw"]))
    out: dict[str, Any] = {}
    for key, val in value.items():
        if key == "date-parts":
            parts = val if isinstance(val, list) else []
            for i, row in enumerate(parts[:2]):
                if not isinstance(row, list):
                    continue
                suffix = "" if i == 0 else "_end"
                for j, name in enumerate(("year", "month", "day")):
                    out[name + suffix] = _js_int(row[j]) if j < len(row) and row[j] not in (None, "") else None
        elif key == "literal" and isinstance(val, dict) and isinstance(val.get("part"), str):
            out["literal"] = val["part"]
        else:
            out[key] = val
    return out


def parse_raw(text: str) -> dict[str, Any]:
    """A date typed as text, as citeproc-js's date parser reads it (``2020-05-03``,
    ``May 2020``, ``1999/2001``, ``Spring 2003``); what it cannot read stays a literal."""
    orig = text
    negative = False
    text = re.sub(r"^(.*[0-9])T[0-9].*", r"\1", text)
    if text[:1] == "-":
        negative = True
        text = text[1:]
    if re.fullmatch(r"[0-9]{1,3}", text):
        text = text.rjust(4, "0")
    text = re.sub(r"\s*[0-9]{2}:[0-9]{2}(?::[0-9]+)", "", text)
    text = re.sub(r"([A-Za-z])\.", r"\1", text)
    if text[:1] == '"' and text[-1:] == '"':
        return {"literal": text[1:-1]}
    slash, dash = text.find("/"), text.find("-")
    token = r"([?0-9]{4}(?:%N[?0-9]{1,2}){0,2}(?![0-9])|(?:[?0-9]{1,2}%N){0,2}[?0-9]{4}(?![0-9])|[?0-9]{1,3}|[%D]|[?~]|[^\-/~?0-9]+)"  # noqa: E501
    if slash > -1 and dash > -1:
        if len(text.split("/")) > 4:
            range_delim, date_delim = "-", "/"
            text = text.replace("_", "-")
            splitter = token.replace("%N", "/").replace("%D", "-")
        else:
            range_delim, date_delim = "/", "-"
            text = text.replace("_", "/")
            splitter = token.replace("%N", "-").replace("%D", "/")
    else:
        text = text.replace("/", "-").replace("_", "-")
        range_delim = date_delim = "-"
        splitter = token.replace("%N", "-").replace("%D", "-")
    pieces = re.split(splitter, text)
    elements = []
    for piece in pieces:
        if piece is None:
            continue
        m = re.match(r"^\s*([\-/]|[^\-/~?0-9]+|[\-~?0-9]+)\s*$", piece)
        if m:
            elements.append(m.group(1))
    date: dict[str, Any] = {}
    spans = [(0, len(elements))]
    is_range = False
    if range_delim in elements:
        k = elements.index(range_delim)
        spans = [(0, k), (k + 1, len(elements))]
        is_range = True
    suffix = ""
    number = ""
    note = ""
    for start, end in spans:
        for element in elements[start:end]:
            if date_delim in element:
                _numeric_date(date, date_delim, suffix, element)
                continue
            if re.search(r"[0-9]{4}", element):
                date["year" + suffix] = element.lstrip("0")
                continue
            if element in ("~", "?", "c") or element.startswith("cir"):
                date["circa"] = True
            lowered = element.lower()
            matched = False
            for k, rex in enumerate(_MONTH_RES):
                if rex.search(lowered):
                    date["month" + suffix] = str(k + 1)
                    matched = True
                    break
            if matched:
                continue
            if re.fullmatch(r"[0-9]+", element):
                number = element
            if lowered.startswith("bc") and number:
                date["year" + suffix] = str(-int(number))
                number = ""
                continue
            if lowered.startswith("ad") and number:
                date["year" + suffix] = number
                number = ""
                continue
            if re.search(r"(?:mic|tri|hil|eas)", lowered) and not date.get("season" + suffix):
                note = element
                continue
        if number:
            date["day" + suffix] = number
            number = ""
        if note and not date.get("season" + suffix):
            date["season" + suffix] = note.strip()
            note = ""
        suffix = "_end"
    if is_range:
        for part in ("year", "month", "day", "season"):
            if date.get(part) and not date.get(part + "_end"):
                date[part + "_end"] = date[part]
            elif not date.get(part) and date.get(part + "_end"):
                date[part] = date[part + "_end"]
    if not date.get("year") or (date.get("year") and date.get("day") and not date.get("month")):
        return {"literal": orig}
    for part in ("year", "month", "day", "year_end", "month_end", "day_end"):
        if isinstance(date.get(part), str) and re.fullmatch(r"[0-9]+", date[part]):
            date[part] = int(date[part])
    if negative and "year" in date:
        date["year"] = -_int_or_zero(date["year"])
    return date


def _int_or_zero(value: Any) -> int:
    n = _js_int(value)
    return n if n is not None else 0


def _numeric_date(date: dict[str, Any], delim: str, suffix: str, text: str) -> None:
    parts = text.split(delim)
    for i, part in enumerate(parts):
        if len(part) == 4:
            date["year" + suffix] = part.lstrip("0")
            parts = parts[1:] if i == 0 else parts[:i]
            break
    numbers = [_js_int(p) for p in parts]
    if len(numbers) == 1 or (len(numbers) == 2 and not numbers[1]):
        if numbers[0]:
            date["month" + suffix] = str(numbers[0])
    elif len(numbers) == 2:
        # month first unless that cannot be a month
        month, day = (numbers[1], numbers[0]) if (numbers[0] or 0) > 12 else (numbers[0], numbers[1])
        if month:
            date["month" + suffix] = str(month)
            if day:
                date["day" + suffix] = str(day)


def has_content(date: Any, parts: list[str] | tuple[str, ...] = ("year", "month", "day")) -> bool:
    """Whether a date variable counts as present for a date element showing ``parts``."""
    if not isinstance(date, dict):
        return False
    for key, value in date.items():
        if key not in parts and key != "literal":
            continue
        if value:
            return True
    return False


# ---------------------------------------------------------------------------------------------
# Date parts as text (citeproc-js's CSL.Util.Dates)


def normalise_month(num: Any, use_season: bool = False) -> Any:
    n = _js_int(num) if re.fullmatch(r"[0-9]+", str(num or 0)) else 0
    n = n or 0
    if use_season:
        stub = "month-"
        if n < 1 or n > 24:
            n = 0
        else:
            while n > 16:
                n -= 4
            if n > 12:
                stub = "season-"
                n -= 12
        return stub, n
    return n if 1 <= n <= 12 else 0


def format_part(engine: Any, name: str, form: str, value: Any, gender: str | None) -> Any:
    if not value and value != 0:
        return value
    if name == "year":
        if form == "short":
            text = str(value)
            return text[2:] if len(text) == 4 else None
        if form == "numeric":
            return year_numeric(value)
        return str(value) if value else ("" if isinstance(value, bool) else "0")
    if name == "month":
        if form in ("long", "short"):
            stub, n = normalise_month(value, True)
            return engine.term(f"{stub}{n:02d}", form) if n else ""
        n = normalise_month(value)
        if form == "numeric-leading-zeros":
            return f"{n:02d}" if n else ""
        return str(n) if n else ""
    if name == "day":
        if form == "numeric-leading-zeros":
            return str(value).rjust(2, "0") if value else "00"
        if form == "ordinal":
            return engine.ordinal(value, gender)
        return str(value)
    return str(value)


def year_numeric(value: Any) -> str:
    text = str(value)
    m = re.search(r"([0-9]*)$", text)
    digits = m.group(1) if m else ""
    pre = text[:len(text) - len(digits)]
    return pre + digits.rjust(4, "0")


def sort_key(date: Any, parts: list[str] | None) -> list[str]:
    """The pieces citeproc-js appends for a date sort key (``12020050310000...``)."""
    if not isinstance(date, dict) or not date.get("year"):
        return []
    parts = parts or ["year", "month", "day"]
    out = []
    for elem in ("year", "month", "day", "year_end", "month_end", "day_end"):
        base = elem.removesuffix("_end")
        value: Any = date.get(elem) if date.get(elem) and base in parts else 0
        if base == "year":
            year = year_numeric(value)
            prefix = "1"
            if year.startswith("-"):
                prefix = "0"
                year = str(9999 - int(year[1:]))
            out.append(year_numeric(prefix + year))
        else:
            if base == "month":
                n = normalise_month(value)
                text = f"{n:02d}" if n else ""
            else:
                text = str(value).rjust(2, "0") if value else "00"
            out.append(text or "00")
    return out
