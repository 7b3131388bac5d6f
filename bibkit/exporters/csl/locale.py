"""Locales: terms, date formats and options, merged as citeproc-js merges them.

citeproc-py supplies the locale files and the table of primary dialects; this module reads
them once per file and merges them for one style and language:

1. the locale file of the language's base dialect (``de-DE`` for ``de-AT``), unless the
   language is ``en-US``, then the file of the language itself;
2. the style's own ``<locale>`` elements: the one without ``xml:lang``, then the bare
   language (``de``), the base dialect, the language itself.

Later sources replace a term form by form (a style that redefines ``editor`` in its short
form keeps the locale's long form), and a date format as a whole. A term absent everywhere
prints as nothing, as in citeproc-js (``en-US`` is not a fallback for other languages).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

CSL_NS = "http://purl.org/net/xbiblio/csl"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# The dialect each bare language means (citeproc-js's LANG_BASES). A language not listed
# takes en-US as its base.
BASES = {
    "af": "af-ZA", "ar": "ar", "bg": "bg-BG", "ca": "ca-AD", "cs": "cs-CZ", "da": "da-DK",
    "de": "de-DE", "el": "el-GR", "en": "en-US", "es": "es-ES", "et": "et-EE", "eu": "eu",
    "fa": "fa-IR", "fi": "fi-FI", "fr": "fr-FR", "he": "he-IL", "hr": "hr-HR", "hu": "hu-HU",
    "is": "is-IS", "it": "it-IT", "ja": "ja-JP", "km": "km-KH", "ko": "ko-KR", "lt": "lt-LT",
    "lv": "lv-LV", "mn": "mn-MN", "nb": "nb-NO", "nl": "nl-NL", "nn": "nn-NO", "pl": "pl-PL",
    "pt": "pt-PT", "ro": "ro-RO", "ru": "ru-RU", "sk": "sk-SK", "sl": "sl-SI", "sr": "sr-RS",
    "sv": "sv-SE", "th": "th-TH", "tr": "tr-TR", "uk": "uk-UA", "vi": "vi-VN", "zh": "zh-CN",
}

# Words title case leaves lower-case (citeproc-js's default; a locale may replace them).
SKIP_WORDS = (
    "about", "above", "across", "afore", "after", "against", "al", "along", "alongside", "amid", "amidst",
    "among", "amongst", "anenst", "apropos", "apud", "around", "as", "aside", "astride", "at", "athwart",
    "atop", "barring", "before", "behind", "below", "beneath", "beside", "besides", "between", "beyond",
    "but", "by", "circa", "despite", "down", "during", "et", "except", "for", "forenenst", "from", "given",
    "in", "inside", "into", "lest", "like", "modulo", "near", "next", "notwithstanding", "of", "off", "on",
    "onto", "out", "over", "per", "plus", "pro", "qua", "sans", "since", "than", "through", " thru",
    "throughout", "thruout", "till", "to", "toward", "towards", "under", "underneath", "until", "unto", "up",
    "upon", "versus", "vs.", "v.", "vs", "v", "via", "vis-à-vis", "with", "within", "without",
    "according to", "ahead of", "apart from", "as for", "as of", "as per", "as regards", "aside from",
    "back to", "because of", "close to", "due to", "except for", "far from", "inside of", "instead of",
    "near to", "next to", "on to", "out from", "out of", "outside of", "prior to", "pursuant to",
    "rather than", "regardless of", "such as", "that of", "up to", "where as", "or", "yet", "so", "for",
    "and", "nor", "a", "an", "the", "de", "d'", "von", "van", "c", "ca")


@dataclass(frozen=True, slots=True)
class LangSpec:
    best: str  # the dialect to use, ``de-AT``
    base: str  # its base dialect, ``de-DE``
    bare: str  # the language, ``de``


def normalise_tag(tag: str) -> str:
    parts = tag.replace("_", "-").split("-")
    parts[0] = parts[0].lower()
    if len(parts) > 1:
        parts[1] = parts[1].upper()
    return "-".join(parts)


def resolve(tag: str | None, default: str = "en-US") -> LangSpec:
    """A language tag as citeproc-js resolves it (``localeResolve``)."""
    parts = (tag or default).replace("_", "-").split("-")
    base = BASES.get(parts[0])
    if base is None:
        return LangSpec(best=tag or default, base=default, bare=parts[0])
    best = base if len(parts) == 1 or parts[1] == "x" else "-".join(parts[:2])
    return LangSpec(best=best, base=base, bare=parts[0])


def locales_path() -> str:
    from bibkit.exporters import citeproc

    return str(citeproc.locales_folder())


@lru_cache(maxsize=64)
def _locale_file(lang: str) -> Any:
    path = os.path.join(locales_path(), f"locales-{lang}.xml")
    if not os.path.exists(path):
        return None
    return etree.parse(path, etree.XMLParser(remove_comments=True, no_network=True)).getroot()


def known_locales() -> set[str]:
    return {n[len("locales-"):-len(".xml")] for n in os.listdir(locales_path())
            if n.startswith("locales-") and n.endswith(".xml")}


def _text(node: Any) -> str:
    # citeproc-js reads element text with line breaks as spaces, and text of nothing but
    # spaces and tabs as no text at all.
    if node is None:
        return ""
    text = re.sub(r"\r\n|\n|\r", " ", node.text or "")
    return "" if not text.strip(" \t") else text


# A term's forms: form -> text, or (single, multiple); gendered variants under their gender.
TermForms = dict[str, Any]


@dataclass
class Locale:
    lang: str
    terms: dict[str, TermForms] = field(default_factory=dict)
    dates: dict[str, Any] = field(default_factory=dict)  # form -> <date> element
    opts: dict[str, Any] = field(default_factory=dict)
    noun_genders: dict[str, str] = field(default_factory=dict)
    type_genders: dict[str, str] = field(default_factory=dict)
    ordinal_keys: set[str] = field(default_factory=set)
    # CSL 1.0.1 ordinals: match -> number text -> gender form -> term name; None for 1.0.
    ordinals101: dict[str, dict[str, dict[str, str]]] | None = None

    def term(self, name: str, form: str = "long", plural: int = 0, gender: str | None = None) -> str | None:
        """A term's text, falling back from ``symbol`` to ``short`` and from any form to
        ``long``; None when the locale does not define it at all."""
        entry = self.terms.get(name)
        if entry is None:
            return None
        if gender and gender in entry:
            entry = entry[gender]
        if form == "long":
            forms: tuple[str, ...] = ("long",)
        elif form == "symbol":
            forms = ("symbol", "short", "long")
        elif form == "verb-short":
            forms = ("verb-short", "verb", "long")
        else:
            forms = (form, "long")
        for f in forms:
            value = entry.get(f)
            if value is not None:
                return value if isinstance(value, str) else value[plural if plural in (0, 1) else 0]
        return ""

    def text(self, name: str, form: str = "long", plural: int = 0, gender: str | None = None) -> str:
        return self.term(name, form, plural, gender) or ""

    def merge(self, node: Any) -> None:
        """Lay one ``<locale>`` element over what is here (citeproc-js's ``localeSet``)."""
        for typenode in node.iter(f"{{{CSL_NS}}}type"):
            if typenode.get("name") and typenode.get("gender"):
                self.type_genders[typenode.get("name")] = typenode.get("gender")
        terms = list(node.iter(f"{{{CSL_NS}}}term"))
        if any(t.get("name") == "ordinal" for t in terms):
            for key in self.ordinal_keys:
                self.terms.pop(key, None)
            self.ordinal_keys = set()
            self.ordinals101 = None
        ordinals: dict[str, dict[str, dict[str, str]]] = {"last-digit": {}, "last-two-digits": {},
                                                           "whole-number": {}}
        ordinals_toggle = False
        gendered: set[str] = set()
        for term in terms:
            name = term.get("name") or ""
            if name == "sub verbo":
                name = "sub-verbo"
            if name.startswith("ordinal"):
                if name == "ordinal":
                    ordinals_toggle = True
                else:
                    stub = name[8:]
                    match = term.get("match") or ("last-digit" if stub.startswith("0") else "last-two-digits")
                    if stub.startswith("0"):
                        stub = stub[1:]
                    ordinals[match].setdefault(stub, {})[term.get("gender-form") or "neuter"] = name
                self.ordinal_keys.add(name)
            entry = self.terms.setdefault(name, {})
            form = term.get("form") or "long"
            gender_form = term.get("gender-form")
            if term.get("gender"):
                self.noun_genders[name] = term.get("gender")
            if gender_form:
                target = entry.setdefault(gender_form, {})
                gendered.add(name)
            else:
                target = entry
            single = term.find(f"{{{CSL_NS}}}single")
            multiple = term.find(f"{{{CSL_NS}}}multiple")
            if multiple is not None:
                target[form] = (_text(single), _text(multiple))
            else:
                target[form] = _text(single) if single is not None else _text(term)
        self.terms.setdefault("supplement", {}).setdefault("long", ("supplement", "supplements"))
        if ordinals_toggle:
            for name in gendered:
                entry = self.terms[name]
                plain = [k for k in entry if k not in ("masculine", "feminine")]
                if not plain:
                    source = entry.get("feminine") or entry.get("masculine") or {}
                    entry.update(source)
            self.ordinals101 = ordinals
        for entry in self.terms.values():
            for gender in ("masculine", "feminine"):
                sub = entry.get(gender)
                if isinstance(sub, dict):
                    for form, value in entry.items():
                        if form not in ("masculine", "feminine") and form not in sub:
                            sub[form] = value
        for options in node.iter(f"{{{CSL_NS}}}style-options"):
            for attr, value in options.attrib.items():
                if attr in ("punctuation-in-quote", "limit-day-ordinals-to-day-1"):
                    self.opts[attr] = value == "true"
                elif attr == "skip-words" or attr == "leading-noise-words":
                    self.opts[attr] = [w.strip() for w in value.split(",")]
                elif attr in ("name-as-sort-order", "name-as-reverse-order", "name-never-short"):
                    self.opts[attr] = set(value.split())
        for date in node.iter(f"{{{CSL_NS}}}date"):
            self.dates[date.get("form") or ""] = date


def _style_locale(style_root: Any, lang: str) -> Any:
    for node in style_root.iterchildren(f"{{{CSL_NS}}}locale"):
        if (node.get(XML_LANG) or "") == lang:
            return node
    return None


def build(style_root: Any, spec: LangSpec) -> Locale:
    """The locale ``spec.best`` as a style sees it (citeproc-js's ``localeConfigure``)."""
    locale = Locale(spec.best)
    files = [spec.best] if spec.best == "en-US" else ([spec.base] if spec.base != spec.best else []) + [spec.best]
    for lang in files:
        root = _locale_file(lang)
        if root is not None:
            locale.merge(root)
    in_style = ["", spec.bare] + ([spec.base] if spec.base != spec.best else []) + [spec.best]
    for lang in in_style:
        node = _style_locale(style_root, lang)
        if node is not None:
            locale.merge(node)
    if "page-range-delimiter" not in locale.terms:
        locale.terms["page-range-delimiter"] = {"long": "-" if spec.best[:2].lower() in ("fr", "pt") else "–"}
    locale.terms.setdefault("year-range-delimiter", {"long": "–"})
    locale.terms.setdefault("citation-range-delimiter", {"long": "–"})
    locale.opts.setdefault("skip-words", list(SKIP_WORDS))
    return locale
