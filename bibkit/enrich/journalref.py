"""Reading the journal reference authors give arXiv: free text, read as far as it can be.

arXiv's ``journal_ref`` is whatever the authors typed: ``Phys. Rev. B 74, 024520 (2006)``,
``ActaAstron.56:1-50,2006``, ``In Proc. ACM SIGSOFT ... (ISSTA 2020), pages 14-26. ACM, 2020``,
``ICML 2023``. ``parse`` takes out what it recognises (volume, issue, pages, date, PMLR volume,
publisher, a venue acronym), keeps the rest as the venue's name, as written (abbreviations are
not expanded), and says what it could not tell: whether the venue is a journal or proceedings,
the year, text after a second reference. Nothing is guessed beyond the tables below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?" \
         r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_YEAR = r"(?:19|20)\d\d"
_RANGE = r"\d+\s*(?:-{1,2}|–|—)\s*\d+"
# What separates the pieces: white space and punctuation, but not the full stop of an
# abbreviation ("Nature Commun. 2021" keeps its "Commun.").
_SEP = r"(?:[\s,;:]|(?<![A-Za-z])\.)"

# Physics and astronomy style, the commonest on arXiv: "Name 71, 184511 (2005)", "Name 56:1-50,2006",
# "Name, 26, 1244002 (2012)", and "Name C31 (2003) 17-29".
_JOURNAL_FORMS = (
    re.compile(rf"(?P<name>.*?[^\d\s,])[\s,]*(?P<volume>[A-Z]?\d+)\s*[,:]\s*"
               rf"(?P<page>[A-Z]?(?:{_RANGE}|\d+)(?:\(R\))?)\s*,?\s*\(?(?P<year>{_YEAR})\)?"),
    re.compile(rf"(?P<name>.*?[^\d\s,])[\s,]*(?P<volume>[A-Z]?\d+)\s*\((?P<year>{_YEAR})\)\s*,?\s*"
               rf"(?P<page>{_RANGE}|\d+)"),
)
_PREFIX = re.compile(r"^(?:(?P<pending>to appear (?:in|at)|accepted (?:at|to|by|for publication in|in|for))"
                     r"|published (?:as an? (?:conference|workshop|journal) paper )?(?:in|at|as)|appeared in|in)"
                     r"\s*:?\s+", re.I)
_REMARK = re.compile(r"\s*\((?:oral|spotlight|poster|long papers?|short papers?|main(?: conference| track)?)"
                     r"(?: presentation)?\)", re.I)
# Trailing pieces, peeled off the end one at a time (the separators before them go too).
_PEEL = (
    ("page", re.compile(rf"{_SEP}*\(?\s*(?:pp?\.|pages?)\s*(?P<v>{_RANGE}|\d+)\s*\)?$", re.I)),
    ("date", re.compile(rf"{_SEP}*\(?(?:(?P<m1>{_MONTH})\s+)?(?<!\d)(?P<year>{_YEAR})"
                        rf"(?:\s+(?P<m2>{_MONTH})(?:\s+\d{{1,2}})?)?\)?$", re.I)),
    ("publisher", re.compile(rf"{_SEP}+(?P<v>ACM|IEEE|Springer|Elsevier|PMLR|AAAI Press|MIT Press|"
                             r"Curran Associates(?:, Inc\.)?|OpenReview(?:\.net)?)$")),
    ("pmlr", re.compile(rf"{_SEP}*\bPMLR\s+(?P<volume>\d+)\s*:\s*(?P<v>{_RANGE}|\d+)$")),
    ("issue", re.compile(rf"{_SEP}*\b(?:no|num|number|issue)\.?\s*(?P<v>\d+)$", re.I)),
    ("volume", re.compile(rf"{_SEP}*\bvol(?:ume)?\.?\s*(?P<v>\d+)$", re.I)),
)
# Words that make a venue proceedings, checked before the journal words: "Findings of ACL" is a
# proceedings volume, "Transactions on ..." a journal.
_CONFERENCE = re.compile(r"\b(?:proceedings|proc\.|proc|conference|conf\.|workshops?|symposium|congress|"
                         r"colloquium|meeting|findings|lecture notes|lncs|lipics)(?!\w)", re.I)
# ... except these, which are journals despite their names.
_JOURNAL_PROCEEDINGS = re.compile(r"proc(?:eedings|\.) (?:of the )?(?:ieee\b|national academy|natl\.? acad|"
                                  r"royal society|r\. soc|vldb|acm on)|\bpnas\b", re.I)
_JOURNAL = re.compile(r"\b(?:journal|j\.|transactions|trans\.|letters|lett\.|review|rev\.|annals|acta|"
                      r"magazine|bulletin|nature|science|reports|communications)", re.I)

CONFERENCE, JOURNAL = "paper-conference", "article-journal"
# Venues written by their acronym alone ("ICML 2023"): the name each stands for.
ACRONYMS: dict[str, tuple[str, str]] = {
    "neurips": (CONFERENCE, "Advances in Neural Information Processing Systems"),
    "nips": (CONFERENCE, "Advances in Neural Information Processing Systems"),
    "icml": (CONFERENCE, "International Conference on Machine Learning"),
    "iclr": (CONFERENCE, "International Conference on Learning Representations"),
    "acl": (CONFERENCE, "Annual Meeting of the Association for Computational Linguistics"),
    "emnlp": (CONFERENCE, "Conference on Empirical Methods in Natural Language Processing"),
    "naacl": (CONFERENCE, "Conference of the North American Chapter of the Association for "
                          "Computational Linguistics"),
    "eacl": (CONFERENCE, "Conference of the European Chapter of the Association for Computational Linguistics"),
    "coling": (CONFERENCE, "International Conference on Computational Linguistics"),
    "colm": (CONFERENCE, "Conference on Language Modeling"),
    "aaai": (CONFERENCE, "AAAI Conference on Artificial Intelligence"),
    "ijcai": (CONFERENCE, "International Joint Conference on Artificial Intelligence"),
    "aistats": (CONFERENCE, "International Conference on Artificial Intelligence and Statistics"),
    "uai": (CONFERENCE, "Conference on Uncertainty in Artificial Intelligence"),
    "colt": (CONFERENCE, "Conference on Learning Theory"),
    "cvpr": (CONFERENCE, "IEEE/CVF Conference on Computer Vision and Pattern Recognition"),
    "iccv": (CONFERENCE, "IEEE/CVF International Conference on Computer Vision"),
    "eccv": (CONFERENCE, "European Conference on Computer Vision"),
    "kdd": (CONFERENCE, "ACM SIGKDD Conference on Knowledge Discovery and Data Mining"),
    "facct": (CONFERENCE, "ACM Conference on Fairness, Accountability, and Transparency"),
    "tmlr": (JOURNAL, "Transactions on Machine Learning Research"),
    "jmlr": (JOURNAL, "Journal of Machine Learning Research"),
    "tacl": (JOURNAL, "Transactions of the Association for Computational Linguistics"),
}


@dataclass(frozen=True)
class Venue:
    """What a journal reference says, as far as it could be read."""

    text: str  # the reference as arXiv gave it
    type: str | None = None  # CONFERENCE or JOURNAL; None: the text does not tell
    container: str | None = None  # the journal or proceedings, as written
    event: str | None = None  # a workshop held at the venue ("Workshop @ Conference")
    collection: str | None = None  # a series: Proceedings of Machine Learning Research
    volume: str | None = None
    issue: str | None = None
    page: str | None = None
    year: int | None = None
    month: int | None = None
    publisher: str | None = None
    pending: str | None = None  # "Accepted at", "To appear in": not out yet when written
    unread: tuple[str, ...] = ()  # what could not be read, for a person to look at

    @property
    def complete(self) -> bool:
        """Enough to cite the published version: a type, a venue and a year."""
        return self.type is not None and self.container is not None and self.year is not None


def _month(text: str | None) -> int | None:
    return _MONTHS.index(text[:3].lower()) + 1 if text else None


def _clean(text: str) -> str:
    return re.sub(rf"{_SEP}+$", "", text).strip(" ,;:")


def parse(text: str) -> Venue:
    """``text`` read into a Venue; ``unread`` lists what was left uncertain."""
    original = " ".join(text.split())
    body = original.rstrip(" .;")
    unread: list[str] = []
    if ";" in body:  # "ICML 2023; NeurIPS workshop 2022": the first is the reference
        body, *others = (p.strip() for p in body.split(";"))
        unread.extend(f"a second reference: {o!r}" for o in others if o)
    prefix = _PREFIX.match(body)
    pending = prefix["pending"] if prefix and prefix["pending"] else None
    body = body[prefix.end():] if prefix else body
    body = re.sub(r"^In(?=Proc)", "", body)  # "InProceedings of the 31st ..."
    body = _REMARK.sub("", body)
    event = None
    if " @ " in body:  # "Workshop name @ 2022 IEEE ... Workshops (ICSTW)"
        event, body = (p.strip() for p in body.split(" @ ", 1))
    for form in _JOURNAL_FORMS:
        m = form.fullmatch(body)
        if m and not _CONFERENCE.search(m["name"]):
            return Venue(original, JOURNAL, _clean(m["name"]), event, None, m["volume"], None,
                         re.sub(r"\s*(?:-{1,2}|–|—)\s*", "-", m["page"]), int(m["year"]),
                         pending=pending, unread=tuple(unread))
    found: dict[str, str] = {}
    year = month = None
    progress = True
    while progress:
        progress = False
        for name, pattern in _PEEL:
            m = pattern.search(body)
            if m is None or not m.group(0).strip() or name in found or (name == "date" and year):
                continue
            if name == "date":
                year, month = int(m["year"]), _month(m["m1"] or m["m2"])
                found["date"] = m.group(0)
                if re.fullmatch(r"\s+\d{4}", m.group(0)) and re.search(r".\W[A-Z]{2,}[a-z]*$", body[:m.start()]):
                    progress = True  # "...: ACL 2023": the year is part of the venue's name
                    continue
            else:
                found[name] = m["v"]
                if name == "pmlr":
                    found["volume"] = m["volume"]
            body = body[:m.start()]
            progress = True
    container = _clean(body) or None
    kind = None
    collection = "Proceedings of Machine Learning Research" if "pmlr" in found else None
    if container:
        acronym = ACRONYMS.get(re.sub(rf"\s*'?{_YEAR}$|\s*'\d\d$", "", container).lower())
        if acronym is not None:
            kind, container = acronym
        elif _JOURNAL_PROCEEDINGS.search(container):
            kind = JOURNAL
        elif _CONFERENCE.search(container) or event or collection:
            kind = CONFERENCE
        elif _JOURNAL.search(container) or ("volume" in found and "page" in found):
            kind = JOURNAL
        if kind == JOURNAL and "volume" not in found and (bare := re.fullmatch(r"(.*\D)\s+(\d{1,4})", container)):
            container, found["volume"] = bare[1], bare[2]  # "Proc. Natl. Acad. Sci. 120 (2023)"
        if year is None and (inside := re.search(rf"\b{_YEAR}\b", container)):
            year = int(inside.group())  # "2023 IEEE International Conference on ..."
    if container is None:
        unread.append("no venue name")
    elif kind is None:
        unread.append(f"whether {container!r} is a journal or proceedings")
    if year is None:
        unread.append("the year")
    page = found.get("page") or found.get("pmlr")
    publisher = found.get("publisher") or ("PMLR" if "pmlr" in found else None)
    return Venue(original, kind, container, event, collection, found.get("volume"), found.get("issue"),
                 re.sub(r"\s*(?:-{1,2}|–|—)\s*", "-", page) if page else None, year, month,
                 publisher, pending, tuple(unread))
