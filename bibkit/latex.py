"""Text to and from LaTeX: one escape function, its inverse for imports, and per-word case
protection for titles."""

from __future__ import annotations

import codecs
import contextlib
import re

# Every character with a meaning in LaTeX or to BibTeX's brace counting. Braces become text
# commands rather than \{ \}: BibTeX counts an escaped brace too, so \{ would unbalance the entry.
_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SPECIAL_RE = re.compile("[" + re.escape("".join(_SPECIAL)) + "]")


def escape(text: str, ligatures: bool = False) -> str:
    """Make ``text`` print as itself: no command, comment or group can come out of it.

    ``--`` is split (``-{}-``) so that TeX does not join it into a dash, unless ``ligatures``
    (page ranges, where ``--`` is meant to become one).
    """
    escaped = _SPECIAL_RE.sub(_special, text) if _SPECIAL_RE.search(text) else text
    return escaped if ligatures or "--" not in escaped else escaped.replace("--", "-{}-")


def _special(m: re.Match[str]) -> str:
    return _SPECIAL[m.group()]


# Text commands latexcodec leaves alone, and what they print.
_TEXT_COMMANDS = {
    "textquotedblleft": "“", "textquotedblright": "”", "textquoteleft": "‘", "textquoteright": "’",
    "textendash": "–", "textemdash": "—", "ldots": "…", "dots": "…", "textellipsis": "…",
    "TeX": "TeX", "LaTeX": "LaTeX", "BibTeX": "BibTeX", "textregistered": "®", "texttrademark": "™",
    "textdegree": "°", "S": "§", "P": "¶", "textbar": "|", "textless": "<", "textgreater": ">",
}
# TeX swallows the spaces after a control word; where that joins two words (\TeX Users) the
# writer meant the space, so only an opening quote takes the spaces after it.
_TEXT_COMMAND_RE = re.compile(r"\\(" + "|".join(sorted(_TEXT_COMMANDS, key=len, reverse=True))
                              + r")(?![A-Za-z])(?:\{\}|(?<=left)\s*)?")

# Commands whose argument is the text itself: the markup goes, the text stays.
_WRAPPERS = re.compile(r"\\(?:emph|textit|textbf|texttt|textsc|textrm|textsf|mbox|textup|textsl|url)\s*(?=\{)")
_UNESCAPE = {v.rstrip("{}") if v.endswith("{}") else v: k for k, v in _SPECIAL.items()}
_UNESCAPE_RE = re.compile(
    "|".join(re.escape(v) + (r"(?:\{\}|\s?)" if v[-1].isalpha() else "")
             for v in sorted(_UNESCAPE, key=len, reverse=True))
)
# Text without a character LaTeX or latexcodec's decoder gives a meaning to.
_PLAIN = re.compile(r"[^\\{}~$%&#_^\"`]*")
_PLACEHOLDER = 0xE000  # private-use characters stand in for escaped specials while decoding


def unescape(text: str) -> str:
    """LaTeX field text -> Unicode: accents decoded, case braces and font commands removed.

    The inverse of ``escape`` (and of ``protect_title``) for what bibkit writes, and a good
    reading of what other tools write: ``{\\"u}`` and ``\\"{u}`` become ``ü``, ``\\&`` becomes
    ``&``, ``{BLOOM}`` becomes ``BLOOM``. Commands it does not know stay as written.
    """
    if _PLAIN.fullmatch(text) and "--" not in text and "''" not in text and ",," not in text:
        # Nothing LaTeX would read as markup (most fields: years, numbers, plain titles): the
        # decoder would give it back unchanged, at a hundred times the cost.
        return " ".join(text.replace("\xa0", " ").split())
    import latexcodec  # noqa: F401  (registers the "ulatex" codec)

    held: list[str] = []

    def hold(m: re.Match[str]) -> str:
        held.append(_UNESCAPE[m.group().rstrip().removesuffix("{}")])
        return chr(_PLACEHOLDER + len(held) - 1)

    text = _UNESCAPE_RE.sub(hold, text)
    text = _TEXT_COMMAND_RE.sub(lambda m: _TEXT_COMMANDS[m.group(1)], text)
    text = _WRAPPERS.sub("", text)
    # latexcodec gives up on some malformed input; the text is still usable as it is.
    with contextlib.suppress(UnicodeDecodeError, ValueError, IndexError):
        text = codecs.decode(text, "ulatex")  # type: ignore[call-overload]
    text = " ".join(text.replace("{", "").replace("}", "").replace("\xa0", " ").split())
    return "".join(held[ord(c) - _PLACEHOLDER] if _PLACEHOLDER <= ord(c) < _PLACEHOLDER + len(held) else c
                   for c in text)


# Proper nouns that title-case titles do not reveal by their shape; a style must not lowercase them.
PROPER_NOUNS = frozenset(
    "Arabic Bayes Bayesian Chinese Dutch English Euclidean French Gaussian German Hindi Indian "
    "Italian Japanese Korean Markov Portuguese Russian Spanish Swahili Turing Vietnamese "
    "African American Asian European".split()
)
# Words a title-case title leaves in lower case; they do not make it a sentence-case title.
_MINOR = frozenset(
    "a an and as at but by do does for from how in into is are be nor of on or over the to "
    "under via vs with without its".split()
)
_WORD = re.compile(r"[^\W\d_][\w'’]*|\d[\w]*", re.UNICODE)


def _has_inner_capital(word: str) -> bool:
    rest = word[1:]
    return not rest.islower() and any(c.isupper() for c in rest)


def _is_sentence_case(words: list[tuple[str, bool, bool]]) -> bool:
    """A title is in sentence case when a word that title case would capitalise is lower-case.

    Only whole words count: title case leaves the tail of a compound lower-case (X-ray).
    """
    return any(w[0].islower() and w.lower() not in _MINOR
               for w, starts, leads in words if leads and not starts)


def protect_title(title: str) -> str:
    """Escape ``title`` and brace the words a BibTeX style must not lowercase.

    Braced: words with a capital after their first letter (BLOOM, LLaMA, GPT-4, YaRN) and single
    capitals (X-ray); short capitalised parts of a hyphenated name (Polyglot-Ko); a leading name
    before a colon (Pythia: ...); known proper nouns (Korean); and, in a sentence-case title,
    every capitalised word that does not start the title or a subtitle. Only the word is braced,
    never the whole title, so the style still sets the case of everything else.
    """
    tokens = re.split(r"(\s+)", title)
    # Which words start the title or a subtitle (after ':', '?', '!' or '.').
    words: list[tuple[str, bool, bool]] = []  # (word, starts a (sub)title, leads its token)
    starts_next = True
    for tok in tokens:
        for i, m in enumerate(_WORD.finditer(tok)):
            words.append((m.group(), starts_next, i == 0))
            starts_next = False
        if tok.rstrip().endswith((":", "?", "!", ".")) or tok.strip() in ("-", "–", "—"):
            starts_next = True
    sentence_case = _is_sentence_case(words)
    colon = title.find(":")
    lead_end = colon if colon > 0 and len(title[:colon].split()) <= 2 else -1
    out: list[str] = []
    index = 0
    pos = 0
    for tok in tokens:
        if tok.isspace() or not tok:
            out.append(tok)
            pos += len(tok)
            continue
        pieces: list[str] = []
        last = 0
        for m in _WORD.finditer(tok):
            word, starts, _ = words[index]
            index += 1
            pieces.append(escape(tok[last:m.start()]))
            in_lead = lead_end >= 0 and pos + m.start() < lead_end
            if _protect(word, tok, starts, sentence_case, in_lead):
                pieces.append("{" + escape(word) + "}")
            else:
                pieces.append(escape(word))
            last = m.end()
        pieces.append(escape(tok[last:]))
        out.append("".join(pieces))
        pos += len(tok)
    return "".join(out)


def _protect(word: str, token: str, starts: bool, sentence_case: bool, in_lead: bool) -> bool:
    if not word[0].isupper():
        return _has_inner_capital(word)  # iPhone, mRNA
    if _has_inner_capital(word) or (len(word) == 1 and word not in ("A", "I")):
        return True
    if in_lead or word in PROPER_NOUNS:
        return True
    if "-" in token and len(word) <= 2 and not token.startswith(word):
        return True  # Polyglot-Ko, GPT-J
    return sentence_case and not starts


def to_ascii(text: str) -> str:
    """Non-ASCII characters as braced LaTeX commands (``{\\"u}``, ``{\\l}``) for 8-bit BibTeX.

    Runs on text that is already escaped, so only non-ASCII characters are touched. A character
    LaTeX has no command for (CJK, emoji) stays as it is.
    """
    import latexcodec  # noqa: F401  (registers the "latex" codec)

    out = []
    for c in text:
        if ord(c) < 128:
            out.append(c)
            continue
        try:
            command = c.encode("latex+ascii").decode("ascii")
        except UnicodeEncodeError:
            out.append(c)
            continue
        out.append(command if command.startswith("{") else "{" + command + "}")
    return "".join(out)
