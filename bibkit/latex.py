"""Text to and from LaTeX: one escape function, its inverse for imports, and per-word case
protection for titles."""

from __future__ import annotations

import codecs
import contextlib
import functools
import re
from collections.abc import Callable, Sequence

from bibkit import richtext

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


# Pairs TeX's fonts join into another character (T1: -- – and --- —, `` “, '' ”, ,, „, << «, >> »,
# !` ¡, ?` ¿): an empty group between the two keeps each as itself.
_LIGATURE = re.compile(r"(?<=-)(?=-)|(?<=`)(?=`)|(?<=')(?=')|(?<=,)(?=,)|(?<=<)(?=<)|(?<=>)(?=>)|(?<=[!?])(?=`)")


def escape(text: str, ligatures: bool = False) -> str:
    """Make ``text`` print as itself: no command, comment or group can come out of it, and no two
    characters become one (``--`` is written ``-{}-``), unless ``ligatures`` (page ranges, where
    ``--`` is meant to become a dash).
    """
    if text.isalnum() or not text:  # most words of a title: nothing to escape, no ligature
        return text
    escaped = _SPECIAL_RE.sub(_special, text) if _SPECIAL_RE.search(text) else text
    return escaped if ligatures else _LIGATURE.sub("{}", escaped)


def _special(m: re.Match[str]) -> str:
    return _SPECIAL[m.group()]


# Text commands latexcodec leaves alone, and what they print.
_TEXT_COMMANDS = {
    "textquotedblleft": "“", "textquotedblright": "”", "textquoteleft": "‘", "textquoteright": "’",
    "textendash": "–", "textemdash": "—", "ldots": "…", "dots": "…", "textellipsis": "…",
    "TeX": "TeX", "LaTeX": "LaTeX", "BibTeX": "BibTeX", "textregistered": "®", "texttrademark": "™",
    "textdegree": "°", "S": "§", "P": "¶", "textbar": "|", "textless": "<", "textgreater": ">",
    # textcomp's symbols, as reference managers and converters write them
    "textquotesingle": "'", "textquotedbl": '"', "quotesinglbase": "‚", "quotedblbase": "„",
    "guilsinglleft": "‹", "guilsinglright": "›", "textunderscore": "_", "textdollar": "$",
    "textsection": "§", "textparagraph": "¶", "textdagger": "†", "textdaggerdbl": "‡",
    "textexclamdown": "¡", "textquestiondown": "¿", "textmu": "µ", "textperthousand": "‰",
    "texttimes": "×", "textdiv": "÷", "textminus": "−", "textonehalf": "½", "textonequarter": "¼",
    "textthreequarters": "¾", "textasteriskcentered": "∗", "texteuro": "€", "euro": "€", "textcent": "¢",
    "textnumero": "№", "textordfeminine": "ª", "textordmasculine": "º", "checkmark": "✓",
    "textbrokenbar": "¦", "textlangle": "⟨", "textrangle": "⟩", "textcelsius": "℃", "textohm": "Ω",
    "textreferencemark": "※", "textinterrobang": "‽", "textestimated": "℮", "textflorin": "ƒ",
}
# TeX swallows the spaces after a control word; where that joins two words (\TeX Users) the
# writer meant the space, so only what opens or joins (a quote, an apostrophe: d\textquotesingle
# Alché) takes the spaces after it.
_TEXT_COMMAND_RE = re.compile(r"\\(" + "|".join(sorted(_TEXT_COMMANDS, key=len, reverse=True))
                              + r")(?![A-Za-z])(?:\{\}|(?:(?<=left)|(?<=single)|(?<=base))\s*)?")

# Commands whose argument is the text itself: the markup goes, the text stays.
_WRAPPERS = re.compile(r"\\(?:emph|textit|textbf|texttt|textsc|textrm|textsf|mbox|textup|textsl|url)\s*(?=\{)")
_UNESCAPE = {v.rstrip("{}") if v.endswith("{}") else v: k for k, v in _SPECIAL.items()}
_UNESCAPE_RE = re.compile(
    "|".join(re.escape(v) + (r"(?:\{\}|\s?)" if v[-1].isalpha() else "")
             for v in sorted(_UNESCAPE, key=len, reverse=True))
)
_PLACEHOLDER = 0xE000  # private-use characters stand in for escaped specials while decoding


def unescape(text: str) -> str:
    """LaTeX field text -> Unicode: accents decoded, case braces and font commands removed.

    The inverse of ``escape`` (and of ``protect_title``) for what bibkit writes, and a good
    reading of what other tools write: ``{\\"u}`` and ``\\"{u}`` become ``ü``, ``\\&`` becomes
    ``&``, ``{BLOOM}`` becomes ``BLOOM``. Commands it does not know stay as written.
    """
    if _NEEDS_DECODING.search(text) is None:  # plain text (most values): nothing to decode
        return " ".join(text.replace("\xa0", " ").split())
    return _unescape(text)


# What latexcodec would change: commands, groups, ties, dashes, quotes, ¡ and ¿.
_NEEDS_DECODING = re.compile(r"[\\{}~]|--|''|``|[!?]`")


@functools.lru_cache(maxsize=65536)
def _unescape(text: str) -> str:
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
        text = decode_latex(text)
    text = " ".join(text.replace("{", "").replace("}", "").replace("\xa0", " ").split())
    return _put_back(text, held, _PLACEHOLDER)


# What latexcodec reads as more than the characters themselves: commands, ties, math, dashes,
# quotes, ,, (a low quote), ¡ and ¿.
_LATEX_IN_TEXT = re.compile(r"[\\~$]|--|''|``|,,|[!?]`")
_BLANKS = re.compile(r"([ \t]+)")


def decode_latex(text: str) -> str:
    """``codecs.decode(text, "ulatex")`` up to the length of white space runs, decoding only the
    stretches of ``text`` that hold LaTeX (latexcodec takes microseconds a character: an
    abstract with one ``--`` took milliseconds).

    ``text`` is cut at the blanks after words without a backslash (a command swallows the blanks
    after it), unless it holds a comment (``%`` runs to the end of the line) or a line break (a
    command swallows that too, and the blanks after it). No sequence of latexcodec's table runs
    across such a cut: the one with a blank, `` \\par``, reads as ``\\par`` alone does, a
    paragraph break. Pieces without LaTeX are their own decoding. Raises what latexcodec raises
    on the whole text.
    """
    import latexcodec  # noqa: F401  (registers the "ulatex" codec)

    if "%" in text or "\n" in text:
        return _decode(text)
    parts = _BLANKS.split(text)  # word, blanks, word, ..., word
    pieces: list[str] = []
    start = 0
    try:
        for i in range(1, len(parts), 2):
            if "\\" not in parts[i - 1]:
                pieces.append(_decode_piece("".join(parts[start:i])))
                pieces.append(parts[i])
                start = i + 1
        pieces.append(_decode_piece("".join(parts[start:])))
    except (UnicodeDecodeError, ValueError, IndexError):
        return _decode(text)
    return "".join(pieces)


def _decode_piece(text: str) -> str:
    return _decode(text) if _LATEX_IN_TEXT.search(text) else text


def _decode(text: str) -> str:
    decoded: str = codecs.decode(text, "ulatex")  # type: ignore[call-overload]
    return decoded


def _put_back(text: str, held: list[str], first: int) -> str:
    """``text`` with each stand-in character (``first``, ``first + 1``, ...) replaced by what
    ``held`` says it stands for."""
    return text.translate({first + i: value for i, value in enumerate(held)}) if held else text


# LaTeX markup that has a rich-text equivalent: commands with an argument, and declarations
# that switch a font until their group ends ({\em ...}).
_FORMAT_COMMANDS: dict[str, richtext.Kind] = {
    "emph": "i", "textit": "i", "mkbibemph": "i", "textsl": "i", "mkbibitalic": "i",
    "textbf": "b", "mkbibbold": "b", "textsc": "sc", "textsuperscript": "sup", "mkbibsuperscript": "sup",
    "textsubscript": "sub", "mkbibsubscript": "sub",
}
_FORMAT_SWITCHES: dict[str, richtext.Kind] = {"em": "i", "it": "i", "itshape": "i", "sl": "i", "bf": "b",
                                              "bfseries": "b", "sc": "sc", "scshape": "sc"}
_MARK = 0xF000  # private-use characters stand in for rich-text tags and math while decoding
_TAG_OPEN: dict[richtext.Kind, str] = {"i": "<i>", "b": "<b>", "sc": "<sc>", "sup": "<sup>",
                                        "sub": "<sub>", "nocase": '<span class="nocase">'}
_TAG_CLOSE: dict[richtext.Kind, str] = {"i": "</i>", "b": "</b>", "sc": "</sc>", "sup": "</sup>",
                                         "sub": "</sub>", "nocase": "</span>"}
_COMMAND = re.compile(r"\\([A-Za-z]+|.)")
# Commands that only box or set a font rich text does not have: their group is the text.
_PLAIN_WRAPPERS = frozenset({"mbox", "hbox", "textrm", "textsf", "texttt", "textup", "textnormal", "textmd"})


@functools.lru_cache(maxsize=65536)
def latex_to_rich(text: str) -> str:
    """A BibTeX field value -> bibkit's rich text (docs/record-format.md, *Rich text*).

    Accents and escapes are decoded as ``unescape`` does; ``\\emph``, ``\textbf``, ``\textsc``,
    ``\textsuperscript``, ``\textsubscript`` (and ``{\\em ...}``-style switches) become ``<i>``,
    ``<b>``, ``<sc>``, ``<sup>``, ``<sub>``; a brace group that holds a capital letter (what
    BibTeX styles leave alone when they change case: ``{BERT}``, ``{G}aussian``) becomes
    ``<span class="nocase">``; math between dollars is kept as it is. ``rich_to_latex`` is the
    inverse.
    """
    held: list[str] = []  # what each private-use character stands for, in the result

    def mark(markup: str) -> str:
        held.append(markup)
        return chr(_MARK + len(held) - 1)

    return _tidy_spans(_put_back(unescape(_convert(text, mark)), held, _MARK))


def _convert(text: str, mark: Callable[[str], str]) -> str:
    """Replace rich-text structure in ``text`` by markers; leave the rest for ``unescape``."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        # Text up to the next character that can start structure is copied as it is.
        nxt = _STRUCTURE.search(text, i)
        if nxt is None:
            out.append(text[i:])
            break
        if nxt.start() > i:
            out.append(text[i:nxt.start()])
            i = nxt.start()
        c = text[i]
        if c == "$" and (i == 0 or text[i - 1] != "\\"):
            end = _math_end(text, i)
            if end > 0:
                out.append(mark(text[i:end + 1]))
                i = end + 1
                continue
        if c == "\\":
            m = _COMMAND.match(text, i)
            assert m is not None or i == n - 1
            if m is None:
                out.append(c)
                i += 1
                continue
            name = m.group(1)
            kind = _FORMAT_COMMANDS.get(name)
            j = m.end()
            while j < n and text[j] == " ":
                j += 1
            close = group_end(text, j) if j < n and text[j] == "{" else -1
            if close > 0 and kind is not None:
                out.append(mark(_TAG_OPEN[kind]) + _convert(text[j + 1:close], mark) + mark(_TAG_CLOSE[kind]))
                i = close + 1
                continue
            if close > 0 and name == "url":  # the address itself, as written (rich_to_latex writes \url again)
                out.append(mark(text[j + 1:close]))
                i = close + 1
                continue
            if close > 0 and name in _PLAIN_WRAPPERS:  # \mbox{...}: its group, as a bare group is read
                i = j
                continue
            out.append(m.group())
            i = m.end()
            continue
        if c == "{":
            close = group_end(text, i)
            if close < 0:
                out.append(c)
                i += 1
                continue
            inner = text[i + 1:close]
            switch = re.match(r"\\([A-Za-z]+)\s*", inner)
            if switch and switch.group(1) in _FORMAT_SWITCHES:
                kind = _FORMAT_SWITCHES[switch.group(1)]
                body = _convert(inner[switch.end():], mark)
                out.append(mark(_TAG_OPEN[kind]) + body + mark(_TAG_CLOSE[kind]))
            elif inner.startswith("\\") or not any(ch.isupper() for ch in _letters(inner)):
                # A special character ({\"u}, {\ss}) or text with nothing a style could lowercase.
                out.append("{" + _convert(inner, mark) + "}")
            else:
                out.append(mark(_TAG_OPEN["nocase"]) + _convert(inner, mark) + mark(_TAG_CLOSE["nocase"]))
            i = close + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _letters(tex: str) -> str:
    """The letters of ``tex`` outside command names (\\Large has no capital a reader sees)."""
    return _COMMAND.sub(lambda m: "" if m.group(1).isalpha() else m.group(1), tex)


# What _convert, group_end and _math_end look at; the text between is skipped in one step (an
# abstract is thousands of characters with a handful of these).
_STRUCTURE = re.compile(r"[$\\{]")
_BRACE = re.compile(r"\\.|[{}]", re.S)  # an escaped character is not a brace
_DOLLAR = re.compile(r"\\.|\$", re.S)


def group_end(text: str, start: int) -> int:
    """Index of the brace that closes the group opened at ``start``, or -1."""
    depth = 0
    for m in _BRACE.finditer(text, start):
        c = m.group()
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return m.start()
    return -1


def _math_end(text: str, start: int) -> int:
    for m in _DOLLAR.finditer(text, start + 1):
        if m.group() == "$":
            return m.start() if m.start() > start + 1 else -1
    return -1


def _tidy_spans(text: str) -> str:
    """Drop empty spans and join adjacent nocase spans ({A}{B} is one protected run)."""
    text = re.sub(r'<span class="nocase"></span>|<(i|b|sc|sup|sub)></\1>', "", text)
    return text.replace('</span><span class="nocase">', "")


def rich_to_latex(text: str, title: bool = False) -> str:
    """bibkit's rich text -> BibTeX field text: escaped, with markup as LaTeX commands and
    ``nocase`` as braces. ``title`` adds the automatic per-word protection of ``protect_title``
    to the text outside spans. Text that is not valid rich text is escaped as it stands."""
    try:
        rich = richtext.parse(text)
    except richtext.RichTextError:
        return protect_title(text) if title else escape(text)
    if not title:
        return "".join(_latex_node(node) for node in rich.nodes)
    return _protect_pieces(rich.nodes)


_URL_IN_TEXT = re.compile(r"https?://[^\s{}\\]+[^\s{}\\.,;:)\]]")


def _text_latex(text: str) -> str:
    """``escape``, but an address in the text is written as ``\\url{...}``, which both bibtex's
    styles and biblatex define (and which breaks lines where an address can break)."""
    out, pos = [], 0
    for m in _URL_IN_TEXT.finditer(text):
        url = m.group()
        if url.count("%") or url.count("#"):
            continue  # \url would need them escaped; as text they are
        out.append(escape(text[pos:m.start()]) + "\\url{" + url + "}")
        pos = m.end()
    return "".join(out) + escape(text[pos:])


def _latex_node(node: richtext.Node) -> str:
    if isinstance(node, str):
        return _text_latex(node)
    if node.kind == "math":
        tex = "".join(c for c in node.children if isinstance(c, str))
        return f"${tex}$" if richtext.math_is_safe(tex) else escape(f"${tex}$")
    inner = "".join(_latex_node(c) for c in node.children)
    if node.kind == "nocase":
        return "{" + inner + "}"
    return LATEX_COMMAND_OF[node.kind] + "{" + inner + "}"


LATEX_COMMAND_OF = richtext.LATEX_COMMAND


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
    never the whole title, so the style still sets the case of everything else. This is a
    safety net for BibTeX only; what a title marks ``<span class="nocase">`` is protected in
    every export (``rich_to_latex``).
    """
    return _protect_pieces((title,))


def _protect_pieces(nodes: Sequence[richtext.Node]) -> str:
    """Rich-text nodes as LaTeX; plain pieces get per-word protection, spans their markup."""
    # The words as a reader sees them, spans included: marking a word nocase must not change
    # which other words are protected (an export imported again is exported the same).
    if len(nodes) == 1 and isinstance(nodes[0], str):  # most titles: the words found once, for both
        tokens = _tokens(nodes[0])
        words_all = _words_of(tokens)
    else:
        tokens = None
        words_all = _words_of(_tokens(richtext.Rich(tuple(nodes)).plain()))
    sentence_case = _is_sentence_case(words_all)
    flat = "".join(n if isinstance(n, str) else "\x00" for n in nodes)
    colon = flat.find(":")
    lead_end = colon if colon > 0 and len(flat[:colon].split()) <= 2 and "\x00" not in flat[:colon] else -1
    out: list[str] = []
    state = _ProtectState(starts_next=True, pos=0)
    for node in nodes:
        if isinstance(node, str):
            out.append(_protect_text(tokens or _tokens(node), state, sentence_case, lead_end))
        else:
            out.append(_latex_node(node))
            state.starts_next = False
            state.pos += 1
    return "".join(out)


class _ProtectState:
    __slots__ = ("pos", "starts_next")

    def __init__(self, starts_next: bool, pos: int) -> None:
        self.starts_next, self.pos = starts_next, pos


_SPACES = re.compile(r"(\s+)")
# A token, its words, and whether it ends a clause (the next word starts a subtitle).
_Tokens = list[tuple[str, list[re.Match[str]], bool]]


def _tokens(text: str) -> _Tokens:
    """The text split at white space (kept as tokens of their own), each token with its words."""
    return [(tok, [], False) if not tok or tok.isspace() else (tok, list(_WORD.finditer(tok)), _ends_clause(tok))
            for tok in _SPACES.split(text)]


def _ends_clause(tok: str) -> bool:
    return tok.rstrip().endswith((":", "?", "!", ".")) or tok.strip() in ("-", "–", "—")


def _words_of(tokens: _Tokens) -> list[tuple[str, bool, bool]]:
    words: list[tuple[str, bool, bool]] = []  # (word, starts a (sub)title, leads its token)
    starts_next = True
    for _, found, ends in tokens:
        for i, m in enumerate(found):
            words.append((m.group(), starts_next, i == 0))
            starts_next = False
        if ends:
            starts_next = True
    return words


def _protect_text(tokens: _Tokens, state: _ProtectState, sentence_case: bool, lead_end: int) -> str:
    out: list[str] = []
    for tok, found, ends in tokens:
        if tok.isspace() or not tok:
            out.append(tok)
            state.pos += len(tok)
            continue
        braced = []
        for i, m in enumerate(found):
            starts = state.starts_next and i == 0
            if i == 0:
                state.starts_next = False
            in_lead = lead_end >= 0 and state.pos + m.start() < lead_end
            if _protect(m.group(), tok, starts, sentence_case, in_lead):
                braced.append(m)
        if not braced:
            # (escaping is the same piece by piece: no pair of characters escape joins, such
            # as "--", can straddle a word's edge)
            out.append(escape(tok))
        else:
            last = 0
            for m in braced:
                out.append(escape(tok[last:m.start()]))
                out.append("{" + escape(m.group()) + "}")
                last = m.end()
            out.append(escape(tok[last:]))
        if ends:
            state.starts_next = True
        state.pos += len(tok)
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


def lowercased_names(title: str) -> list[str]:
    """Words of ``title`` that BibTeX styles lowercasing titles would lower although, as far as
    the title shows, they are names: capitalised words after a lower-case "the" that end the
    title ("Datasheet for the Pile", "... with the Tuned Lens"). Only what
    ``protect_title`` does not brace on its own: in a title written in sentence case it braces
    every capitalised word, and anywhere it braces words shaped like names (BLOOM, GPT-4,
    Korean). Words in ``<span class="nocase">`` are not listed."""
    try:
        nodes = richtext.parse(title).nodes
    except richtext.RichTextError:
        return []
    if _is_sentence_case(_words_of(_tokens(richtext.Rich(nodes).plain()))):
        return []
    plain = " ".join(n if isinstance(n, str) else "\x00" for n in nodes)
    tokens = plain.split()
    found: list[str] = []
    for i, tok in enumerate(tokens):
        if i == 0 or tokens[i - 1] != "the":
            continue
        run = [tok]  # the name: this word and the capitalised words after it
        for nxt in tokens[i + 1:]:
            if run[-1].endswith((":", "?", "!", ".")) or not nxt[:1].isupper():
                break
            run.append(nxt)
        words = [m.group() for t in run for m in _WORD.finditer(t)]
        if i + len(run) == len(tokens) and words and all(w[0].isupper() for w in words):
            found += [w for w in words if not _has_inner_capital(w) and len(w) > 1 and w not in PROPER_NOUNS]
    return found


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
